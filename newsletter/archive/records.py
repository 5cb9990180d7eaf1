"""Compact per-day records: what the index, feed, search index and topic pages need of a day.

A day's full ``Edition`` is only loaded to render that day's own page. Everything that spans
days (the index, the feed, the search index, the topic pages) is rendered from these small
records, which the manifest keeps between runs, so adding a day does not re-read the other
249 ``edition.json`` files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from newsletter.model import Edition

# Search and topic lists show at most this many authors; the day page shows them all.
MAX_RECORD_AUTHORS = 12


@dataclass(frozen=True)
class PaperRecord:
    """One paper as listed on one day, in a topic section (not Highlights, not Seen before)."""

    id: str
    date: str
    section_id: str
    title: str
    title_zh: str | None
    authors: str  # "A, B, C" (first MAX_RECORD_AUTHORS, then "et al.")
    tldr_en: str | None
    tldr_zh: str | None

    def to_row(self) -> list[Any]:
        return [
            self.id,
            self.date,
            self.section_id,
            self.title,
            self.title_zh,
            self.authors,
            self.tldr_en,
            self.tldr_zh,
        ]

    @classmethod
    def from_row(cls, row: list[Any]) -> PaperRecord:
        return cls(*row)


# Field names of ``to_row``, published in the search index so the script reads rows by name.
ROW_FIELDS = ("id", "date", "section", "title", "title_zh", "authors", "tldr_en", "tldr_zh")


@dataclass(frozen=True)
class SectionRecord:
    id: str
    title_en: str
    title_zh: str
    kind: str  # "topic", "highlights", "seen_before"
    count: int


@lru_cache(maxsize=1024)
def parse_rows(rows_json: str) -> tuple[PaperRecord, ...]:
    return tuple(PaperRecord.from_row(row) for row in json.loads(rows_json))


def encode_rows(papers: tuple[PaperRecord, ...]) -> str:
    return json.dumps(
        [paper.to_row() for paper in papers], ensure_ascii=False, separators=(",", ":")
    )


@dataclass(frozen=True)
class DayRecord:
    """What the site remembers about one day between runs.

    The day's papers are kept as their JSON text (``rows_json``): the search index is the
    concatenation of these texts, so adding a day encodes one day, not the whole archive, and
    a day's rows are parsed only when a page needs them.
    """

    date: str
    stamp: tuple[int, int]  # (mtime_ns, size) of the edition.json it was made from
    paper_count: int
    generated_at: str
    intro_en: str | None
    intro_zh: str | None
    sections: tuple[SectionRecord, ...]
    rows_json: str  # JSON array of PaperRecord rows (see ``ROW_FIELDS``)
    # The neighbours the day page was rendered with: a page is re-rendered when they change.
    previous: str | None = None
    next: str | None = None

    @property
    def papers(self) -> tuple[PaperRecord, ...]:
        return parse_rows(self.rows_json)

    @property
    def topic_sections(self) -> tuple[SectionRecord, ...]:
        return tuple(s for s in self.sections if s.kind == "topic")

    def top_sections(self, limit: int = 3) -> tuple[SectionRecord, ...]:
        """The day's largest topic sections, largest first (ties keep edition order)."""
        ranked = sorted(enumerate(self.topic_sections), key=lambda item: (-item[1].count, item[0]))
        return tuple(section for _, section in ranked[:limit])

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date,
            "stamp": list(self.stamp),
            "paper_count": self.paper_count,
            "generated_at": self.generated_at,
            "intro": [self.intro_en, self.intro_zh],
            "sections": [[s.id, s.title_en, s.title_zh, s.kind, s.count] for s in self.sections],
            "previous": self.previous,
            "next": self.next,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], rows_json: str) -> DayRecord:
        intro = data.get("intro") or [None, None]
        return cls(
            date=data["date"],
            stamp=(int(data["stamp"][0]), int(data["stamp"][1])),
            paper_count=int(data["paper_count"]),
            generated_at=data.get("generated_at") or "",
            intro_en=intro[0],
            intro_zh=intro[1],
            sections=tuple(SectionRecord(*row) for row in data["sections"]),
            rows_json=rows_json,
            previous=data.get("previous"),
            next=data.get("next"),
        )


def short_authors(authors: tuple[str, ...], limit: int = MAX_RECORD_AUTHORS) -> str:
    if len(authors) > limit:
        return ", ".join(authors[:limit]) + ", et al."
    return ", ".join(authors)


def day_record(edition: Edition, stamp: tuple[int, int]) -> DayRecord:
    """The compact record of ``edition`` (its Highlights and Seen-before lists repeat papers
    that a topic section or an earlier day already lists, so only topic sections give papers)."""
    papers = tuple(
        PaperRecord(
            id=entry.paper.id,
            date=edition.date,
            section_id=section.id,
            title=entry.paper.title,
            title_zh=entry.title_zh,
            authors=short_authors(entry.paper.authors),
            tldr_en=entry.tldr.en,
            tldr_zh=entry.tldr.zh,
        )
        for section in edition.sections
        if section.kind == "topic"
        for entry in section.entries
    )
    sections = tuple(
        SectionRecord(
            id=section.id,
            title_en=section.title.en or section.id,
            title_zh=section.title.zh or section.title.en or section.id,
            kind=section.kind,
            count=len(section.entries),
        )
        for section in edition.sections
    )
    intro = edition.intro
    return DayRecord(
        date=edition.date,
        stamp=stamp,
        paper_count=edition.paper_count,
        generated_at=edition.generated_at,
        intro_en=intro.en if intro else None,
        intro_zh=intro.zh if intro else None,
        sections=sections,
        rows_json=encode_rows(papers),
    )
