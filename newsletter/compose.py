"""Compose the edition: digest + grouping + rewrites (+ history) -> ``Edition``.

This is where the edition's editorial decisions meet: which TL;DR each language shows (the
LLM's when it succeeded, else the digest's Chinese summary and the abstract's first sentence),
the Highlights section, and what happens to papers already sent on an earlier day.
Nothing here reads or writes files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime

from newsletter.model import (
    Bilingual,
    Digest,
    Edition,
    EditionLanguage,
    EditionSection,
    Entry,
    Grouping,
    Paper,
    Rewrites,
)
from newsletter.tldr import offline_tldr

HIGHLIGHTS_ID = "highlights"
SEEN_BEFORE_ID = "seen-before"
HIGHLIGHTS_TITLE = Bilingual(en="Highlights", zh="今日关注")
SEEN_BEFORE_TITLE = Bilingual(en="Seen before", zh="往期已收录")
UNSORTED_ID = "unsorted"
UNSORTED_TITLE = Bilingual(en="More papers", zh="更多论文")


def _digest_tldr(paper: Paper, language: str) -> str | None:
    if paper.summary_language != language:
        return None
    return paper.summary.tldr


def make_entry(paper: Paper, rewrites: Rewrites | None) -> Entry:
    """The paper with the TL;DRs and Chinese title the edition will show."""
    rewrite = rewrites.get(paper.id) if rewrites else None
    llm_ok = rewrite is not None and rewrite.status in ("llm", "cache")

    zh = _digest_tldr(paper, "zh")
    zh_source = "digest" if zh else None
    en = _digest_tldr(paper, "en")
    en_source = "digest" if en else None
    if en is None:
        en = offline_tldr(paper.abstract)
        en_source = "abstract" if en else None
    title_zh = paper.title_translation

    if llm_ok:
        assert rewrite is not None
        if rewrite.tldr.en:
            en, en_source = rewrite.tldr.en, rewrite.status
        if rewrite.tldr.zh:
            zh, zh_source = rewrite.tldr.zh, rewrite.status
        title_zh = rewrite.title_zh or title_zh

    return Entry(
        paper=paper,
        tldr=Bilingual(en=en, zh=zh),
        title_zh=title_zh,
        tldr_source=Bilingual(en=en_source, zh=zh_source),
        rewrite_failure=rewrite.failure if rewrite is not None and rewrite.status == "failed" else None,
    )


def compose_edition(
    digest: Digest,
    grouping: Grouping,
    *,
    language: EditionLanguage,
    rewrites: Rewrites | None = None,
    seen_on: Mapping[str, str] | None = None,
    repeats: str = "move",
    stats: Mapping[str, object] | None = None,
    now: datetime | None = None,
) -> Edition:
    """Assemble the edition. ``seen_on`` maps paper id -> date of the earlier edition."""
    seen_on = dict(seen_on or {})
    papers = {paper.id: paper for paper in digest.papers}
    section_of = {pid: section.id for section in grouping.sections for pid in section.paper_ids}
    reasons = {h.paper_id: h.reasons for h in grouping.highlights}

    entries: dict[str, Entry] = {}
    for pid, paper in papers.items():
        entries[pid] = replace(
            make_entry(paper, rewrites),
            highlight_reasons=reasons.get(pid, ()),
            seen_on=seen_on.get(pid),
            section_id=section_of.get(pid),
        )

    sections: list[EditionSection] = []
    repeated: list[Entry] = []
    highlight_entries = tuple(
        entries[h.paper_id]
        for h in grouping.highlights
        if h.paper_id in entries and not (repeats != "keep" and entries[h.paper_id].seen_on)
    )
    if highlight_entries:
        sections.append(
            EditionSection(
                id=HIGHLIGHTS_ID, title=HIGHLIGHTS_TITLE, entries=highlight_entries, kind="highlights"
            )
        )
    for section in grouping.sections:
        shown: list[Entry] = []
        for pid in section.paper_ids:
            entry = entries[pid]
            if entry.seen_on and repeats != "keep":
                repeated.append(entry)
            else:
                shown.append(entry)
        if shown:
            sections.append(
                EditionSection(
                    id=section.id,
                    title=section.title,
                    entries=tuple(shown),
                    area=section.area,
                    area_title=section.area_title,
                )
            )
    # A grouping that left a paper out is a bug, but the reader must still get the paper.
    unplaced = tuple(entries[pid] for pid in papers if pid not in section_of)
    if unplaced:
        sections.append(
            EditionSection(id=UNSORTED_ID, title=UNSORTED_TITLE, entries=unplaced)
        )
    if repeated and repeats == "move":
        sections.append(
            EditionSection(
                id=SEEN_BEFORE_ID,
                title=SEEN_BEFORE_TITLE,
                entries=tuple(sorted(repeated, key=lambda e: (e.seen_on or "", e.paper.id))),
                kind="seen_before",
            )
        )

    all_stats: dict[str, object] = {
        "papers": len(papers),
        "sections": sum(1 for s in sections if s.kind == "topic"),
        "highlights": len(highlight_entries),
        "repeats": len(repeated),
        "repeats_dropped": len(repeated) if repeats == "drop" else 0,
        "declared_total": sum(total for _, total in digest.declared_totals) or None,
    }
    all_stats.update(stats or {})
    return Edition(
        date=digest.date,
        language=language,
        sections=tuple(sections),
        source=digest.source,
        source_format=digest.format,
        intro=rewrites.intro if rewrites else None,
        grouping_method=grouping.method,
        stats=tuple(all_stats.items()),
        generated_at=(now or datetime.now(UTC)).replace(microsecond=0).isoformat(),
    )
