"""Reader for the JSONL files: the raw crawl (``YYYY-MM-DD.jsonl``) and the AI-enhanced files
(``YYYY-MM-DD_AI_enhanced_<Language>.jsonl``), including the fields forks add.

Fork fields without a slot in ``Paper`` go to ``Paper.extra`` under the label the same fork's
Markdown prints, so a day reads the same whichever of its two files is used.
"""

from __future__ import annotations

import json
import re

from newsletter.errors import DigestError
from newsletter.model import Digest, Paper, Summary, canonical_arxiv_id

from .papers import merge_duplicates
from .placeholders import clean_field
from .text import (
    collapse_whitespace,
    split_keywords,
    split_lines,
    split_names,
    unique,
    unwrap_abstract,
    version_in,
)

_SUMMARY_KEYS = {
    "tldr": "tldr",
    "task": "tldr",
    "motivation": "motivation",
    "method": "method",
    "result": "result",
    "conclusion": "conclusion",
}
# AI keys that become Paper.extra, in the order the forks' Markdown shows them.
_EXTRA_KEYS = (
    ("comments", "AI_Comments"),
    ("summary", "ai_Abstract"),
    ("importance_score", "Relevance Score"),
    ("read_time_minutes", "Read time"),
    ("key_contributions", "Key Contributions"),
    ("limitations", "Limitations"),
    ("why_matters", "Why it matters"),
)
_HANDLED_AI_KEYS = (
    set(_SUMMARY_KEYS) | {key for key, _ in _EXTRA_KEYS} | {"title_translation", "translation"}
) | {"keywords"}
_EXPECTED = "expected one JSON object per line"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _as_text(value: object) -> str | None:
    if isinstance(value, list):
        value = "\n".join(str(item) for item in value)
    return clean_field(value)


def _extra_value(key: str, value: object) -> str | None:
    if key == "key_contributions" and isinstance(value, list):
        items = [str(item).strip() for item in value if clean_field(item)]
        return "\n".join(f"{n}. {item}" for n, item in enumerate(items, start=1)) or None
    if key == "read_time_minutes" and isinstance(value, int | float):
        return f"{value:g} min"
    return _as_text(value)


def _authors(value: object) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(name for name in (str(item).strip() for item in value) if name)
    return split_names(value) if isinstance(value, str) else ()


def _categories(row: dict) -> tuple[str, ...]:
    value = row.get("categories") or ()
    if isinstance(value, str):
        listed = value.split(",")
    elif isinstance(value, list):
        listed = [str(item) for item in value]
    else:  # a number or an object where a list belongs: no categories rather than a crash
        listed = []
    primary = [row["cate"]] if isinstance(row.get("cate"), str) else []
    return unique(item.strip() for item in primary + listed)


def _paper_from_row(row: dict, number: int, source: str) -> Paper:
    raw_id = row.get("id")
    if raw_id is None or not str(raw_id).strip():
        raise DigestError(
            source, "row has no 'id'; expected an arXiv id such as 2602.06122", line=number
        )
    paper_id = canonical_arxiv_id(str(raw_id))
    if paper_id is None:
        raise DigestError(
            source, f"'id' is {raw_id!r}; expected an arXiv id such as 2602.06122", line=number
        )
    title = row.get("title")
    if not isinstance(title, str) or not title.strip():
        raise DigestError(
            source, f"paper {paper_id} has no 'title'; expected a title string", line=number
        )
    ai = row.get("AI") if isinstance(row.get("AI"), dict) else {}
    summary = Summary(
        **{
            slot: _as_text(ai[key])
            for key, slot in _SUMMARY_KEYS.items()
            if key in ai and _as_text(ai[key]) is not None
        }
    )
    extra = [(label, _extra_value(key, ai[key])) for key, label in _EXTRA_KEYS if key in ai]
    extra += [(key, _as_text(value)) for key, value in ai.items() if key not in _HANDLED_AI_KEYS]
    abstract = clean_field(row.get("summary"))
    comment = clean_field(row.get("comment"))
    return Paper(
        id=paper_id,
        title=collapse_whitespace(title),
        authors=_authors(row.get("authors")),
        categories=_categories(row),
        abstract=unwrap_abstract(abstract) if abstract else "",
        abs_url=clean_field(row.get("abs") or row.get("url")) or "",
        pdf_url=clean_field(row.get("pdf") or row.get("pdf_url")) or "",
        code_url=clean_field(row.get("code_url")),
        summary=summary,
        title_translation=_as_text(ai.get("title_translation")),
        abstract_translation=_as_text(ai.get("translation") or row.get("translation")),
        keywords=split_keywords(ai.get("keywords") or row.get("keywords")),
        comment=collapse_whitespace(comment) if comment else None,
        extra=tuple((label, text) for label, text in extra if text is not None),
        version=version_in(
            str(raw_id), row.get("abs"), row.get("url"), row.get("pdf"), row.get("pdf_url")
        ),
        source_line=number,
    )


def _without_lone_surrogates(value: object) -> object:
    """``"\\ud800"`` is valid JSON but not text: such a character would make every UTF-8
    output fail, so it becomes U+FFFD (paired surrogates already decode to one character)."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {
            _LONE_SURROGATE.sub("\ufffd", key): _without_lone_surrogates(item)
            for key, item in value.items()
        }
    return value


def read_jsonl(text: str, source: str, date: str | None = None) -> Digest:
    """Read one JSONL digest (raw crawl or AI-enhanced); one paper per non-blank line."""
    papers: list[Paper] = []
    has_ai = False
    for number, line in enumerate(split_lines(text), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise DigestError(
                source, f"not JSON ({error.msg} at column {error.colno}); {_EXPECTED}", line=number
            ) from None
        except RecursionError:
            raise DigestError(source, f"JSON nested too deeply; {_EXPECTED}", line=number) from None
        if "\\ud" in line.lower():
            row = _without_lone_surrogates(row)
        if not isinstance(row, dict):
            raise DigestError(source, f"a JSON {type(row).__name__}; {_EXPECTED}", line=number)
        has_ai = has_ai or isinstance(row.get("AI"), dict)
        papers.append(_paper_from_row(row, number, source))
    warnings = () if papers else (f"{source}:1: the file is empty; read as a day with no papers",)
    return Digest(
        date=date or "",
        source=source,
        format="jsonl:ai" if has_ai else "jsonl:raw",
        papers=merge_duplicates(papers),
        warnings=warnings,
    )
