"""``Edition`` <-> the JSON edition (``edition.json``).

The JSON edition carries the full content of the day (all summaries, abstracts, links), so the
archive can be rebuilt from it alone, without the digests or an LLM. ``SCHEMA_VERSION`` goes up
whenever a field changes meaning; readers refuse versions they do not know.
"""

from __future__ import annotations

import json
from typing import Any

from newsletter.errors import NewsletterError
from newsletter.model import (
    Bilingual,
    Edition,
    EditionSection,
    Entry,
    Paper,
    Summary,
)

SCHEMA_VERSION = 1


def _bilingual(value: Bilingual | None) -> dict[str, str | None] | None:
    return None if value is None else {"en": value.en, "zh": value.zh}


def _from_bilingual(value: Any) -> Bilingual | None:
    if value is None:
        return None
    return Bilingual(en=value.get("en"), zh=value.get("zh"))


def entry_to_dict(entry: Entry) -> dict[str, Any]:
    paper = entry.paper
    return {
        "id": paper.id,
        "title": paper.title,
        "title_zh": entry.title_zh,
        "authors": list(paper.authors),
        "categories": list(paper.categories),
        "url": paper.abs_url,
        "pdf_url": paper.pdf_url,
        "code_url": paper.code_url,
        "tldr": _bilingual(entry.tldr),
        "tldr_source": _bilingual(entry.tldr_source),
        "summary": {
            "language": paper.summary_language,
            "tldr": paper.summary.tldr,
            "motivation": paper.summary.motivation,
            "method": paper.summary.method,
            "result": paper.summary.result,
            "conclusion": paper.summary.conclusion,
        },
        "abstract": paper.abstract,
        "abstract_translation": paper.abstract_translation,
        "title_translation": paper.title_translation,
        "keywords": list(paper.keywords),
        "comment": paper.comment,
        "extra": [[key, value] for key, value in paper.extra],
        "version": paper.version,
        "highlight_reasons": list(entry.highlight_reasons),
        "seen_on": entry.seen_on,
        "section_id": entry.section_id,
        "rewrite_failure": entry.rewrite_failure,
    }


def edition_to_dict(edition: Edition) -> dict[str, Any]:
    return {
        "schema": SCHEMA_VERSION,
        "date": edition.date,
        "language": edition.language,
        "generated_at": edition.generated_at,
        "source": edition.source,
        "source_format": edition.source_format,
        "grouping": edition.grouping_method,
        "intro": _bilingual(edition.intro),
        "sections": [
            {
                "id": section.id,
                "kind": section.kind,
                "title": _bilingual(section.title),
                "area": section.area,
                "area_title": _bilingual(section.area_title),
                "papers": [entry_to_dict(entry) for entry in section.entries],
            }
            for section in edition.sections
        ],
        "stats": dict(edition.stats),
    }


def edition_to_json(edition: Edition) -> str:
    return json.dumps(edition_to_dict(edition), ensure_ascii=False, indent=2) + "\n"


def _entry_from_dict(data: dict[str, Any]) -> Entry:
    summary = data.get("summary") or {}
    paper = Paper(
        id=data["id"],
        title=data["title"],
        authors=tuple(data.get("authors") or ()),
        categories=tuple(data.get("categories") or ()),
        abstract=data.get("abstract") or "",
        abs_url=data.get("url") or "",
        pdf_url=data.get("pdf_url") or "",
        code_url=data.get("code_url"),
        summary=Summary(
            tldr=summary.get("tldr"),
            motivation=summary.get("motivation"),
            method=summary.get("method"),
            result=summary.get("result"),
            conclusion=summary.get("conclusion"),
        ),
        summary_language=summary.get("language"),
        title_translation=data.get("title_translation"),
        abstract_translation=data.get("abstract_translation"),
        keywords=tuple(data.get("keywords") or ()),
        comment=data.get("comment"),
        extra=tuple((key, value) for key, value in data.get("extra") or ()),
        version=data.get("version"),
    )
    return Entry(
        paper=paper,
        tldr=_from_bilingual(data.get("tldr")) or Bilingual(),
        title_zh=data.get("title_zh"),
        tldr_source=_from_bilingual(data.get("tldr_source")) or Bilingual(),
        rewrite_failure=data.get("rewrite_failure"),
        highlight_reasons=tuple(data.get("highlight_reasons") or ()),
        seen_on=data.get("seen_on"),
        section_id=data.get("section_id"),
    )


def edition_from_dict(data: dict[str, Any], source: str = "edition.json") -> Edition:
    """Rebuild an ``Edition``; raise NewsletterError naming ``source`` if the shape is wrong."""
    if data.get("schema") != SCHEMA_VERSION:
        raise NewsletterError(
            f"{source}: edition schema {data.get('schema')!r} is not supported "
            f"(expected {SCHEMA_VERSION}); rebuild the day with `newsletter build`"
        )
    try:
        sections = tuple(
            EditionSection(
                id=section["id"],
                title=_from_bilingual(section["title"]) or Bilingual(),
                entries=tuple(_entry_from_dict(paper) for paper in section["papers"]),
                area=section.get("area"),
                area_title=_from_bilingual(section.get("area_title")),
                kind=section.get("kind", "topic"),
            )
            for section in data["sections"]
        )
        return Edition(
            date=data["date"],
            language=data["language"],
            sections=sections,
            source=data.get("source", ""),
            source_format=data.get("source_format", ""),
            intro=_from_bilingual(data.get("intro")),
            grouping_method=data.get("grouping", ""),
            stats=tuple((data.get("stats") or {}).items()),
            generated_at=data.get("generated_at", ""),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise NewsletterError(f"{source}: malformed edition ({type(exc).__name__}: {exc})") from exc


def load_edition(path) -> Edition:
    from pathlib import Path

    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NewsletterError(f"{path}: cannot read edition ({exc})") from exc
    if not isinstance(data, dict):
        raise NewsletterError(f"{path}: malformed edition (expected a JSON object)")
    return edition_from_dict(data, str(path))
