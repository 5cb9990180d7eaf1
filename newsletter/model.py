"""The typed data that flows between pipeline stages.

ingest -> ``Digest`` of ``Paper``s
group  -> ``Grouping`` of ``Section``s (+ ``Highlight``s)
rewrite -> ``Rewrites`` (per-paper ``Rewrite`` + an ``Intro``)
compose -> ``Edition`` of ``EditionSection``s of ``Entry``s, which every renderer reads

All classes are frozen: a stage returns new values, it never edits what it was given.
Collections are tuples so that values stay immutable and hashable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Language = Literal["zh", "en"]
EditionLanguage = Literal["bilingual", "zh", "en"]

SUMMARY_FIELDS = ("tldr", "motivation", "method", "result", "conclusion")

# New-style ids (2007+): 2602.06122, optionally with v2; old style: hep-th/9901001 or math.GT/0309136.
_NEW_ID = re.compile(r"^(\d{4}\.\d{4,5})(v\d+)?$")
_OLD_ID = re.compile(r"^([a-z][a-z\-]*(?:\.[A-Za-z]{2})?/\d{7})(v\d+)?$")
_ID_IN_URL = re.compile(
    r"arxiv\.org/(?:abs|pdf|html)/([a-z][a-z\-]*(?:\.[A-Za-z]{2})?/\d{7}|\d{4}\.\d{4,5})(v\d+)?",
    re.IGNORECASE,
)


def canonical_arxiv_id(raw: str) -> str | None:
    """Return the version-less arXiv id in ``raw`` (an id or an arxiv.org URL), or None.

    >>> canonical_arxiv_id("2602.06122v2")
    '2602.06122'
    >>> canonical_arxiv_id("http://arxiv.org/abs/2506.20770v1")
    '2506.20770'
    """
    text = raw.strip()
    for pattern in (_NEW_ID, _OLD_ID):
        match = pattern.match(text)
        if match:
            return match.group(1)
    match = _ID_IN_URL.search(text)
    if match:
        return match.group(1)
    return None


def is_canonical_arxiv_id(value: str) -> bool:
    """True for a bare, version-less arXiv id such as ``2602.06122`` or ``hep-th/9901001``."""
    return canonical_arxiv_id(value) == value


@dataclass(frozen=True)
class Summary:
    """The digest's AI summary of one paper, in one language. Missing fields are None."""

    tldr: str | None = None
    motivation: str | None = None
    method: str | None = None
    result: str | None = None
    conclusion: str | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in SUMMARY_FIELDS)


@dataclass(frozen=True)
class Paper:
    """One arXiv paper as the digest describes it."""

    id: str  # canonical arXiv id, no version suffix
    title: str
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # primary category first
    abstract: str = ""  # English abstract, unwrapped; paragraphs separated by "\n\n"
    abs_url: str = ""
    pdf_url: str = ""
    code_url: str | None = None
    summary: Summary = field(default_factory=Summary)
    summary_language: Language | None = None  # language of ``summary``; None when it is empty
    title_translation: str | None = None  # usually Chinese
    abstract_translation: str | None = None  # e.g. xmkxabc's 摘要翻译
    keywords: tuple[str, ...] = ()
    comment: str | None = None
    # Fields a digest carries that have no slot above, kept in digest order: ("AI_Comments", "...")
    extra: tuple[tuple[str, str], ...] = ()
    version: int | None = None  # highest version seen, when the digest says
    source_line: int | None = None  # 1-based line (Markdown) or row (JSONL) it came from

    @property
    def primary_category(self) -> str | None:
        return self.categories[0] if self.categories else None


@dataclass(frozen=True)
class Digest:
    """One day's digest, as read from one source."""

    date: str  # YYYY-MM-DD
    source: str  # path or URL it was read from
    format: str  # reader that produced it, e.g. "markdown:current", "jsonl:ai", "jsonl:raw"
    papers: tuple[Paper, ...] = ()
    # Category totals declared by the digest's table of contents (may exceed papers shown).
    declared_totals: tuple[tuple[str, int], ...] = ()
    warnings: tuple[str, ...] = ()  # things the reader noticed and tolerated, with locations


@dataclass(frozen=True)
class Bilingual:
    en: str | None = None
    zh: str | None = None

    def get(self, language: str) -> str | None:
        return self.zh if language == "zh" else self.en


@dataclass(frozen=True)
class Section:
    """A group of papers chosen by the grouping stage."""

    id: str  # stable slug, e.g. "cv-3d-vision" or "cs-cv"
    title: Bilingual
    paper_ids: tuple[str, ...]
    area: str | None = None  # id of the broad area, e.g. "cv"
    area_title: Bilingual | None = None
    description: str | None = None


@dataclass(frozen=True)
class Highlight:
    """A paper that matches the reader's interests, and why."""

    paper_id: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Grouping:
    sections: tuple[Section, ...]
    highlights: tuple[Highlight, ...] = ()
    method: str = "category"  # "category", "taxonomy", "llm"


RewriteStatus = Literal["digest", "llm", "cache", "failed"]


@dataclass(frozen=True)
class Rewrite:
    """What the LLM stage produced (or failed to produce) for one paper."""

    paper_id: str
    status: RewriteStatus
    tldr: Bilingual = field(default_factory=Bilingual)
    title_zh: str | None = None
    failure: str | None = None  # failure kind when status == "failed": "timeout", "bad_json", ...


@dataclass(frozen=True)
class RewriteStats:
    requests: int = 0
    cache_hits: int = 0
    failures: tuple[tuple[str, int], ...] = ()  # (kind, count), sorted by kind
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float | None = None
    wall_s: float = 0.0


@dataclass(frozen=True)
class Rewrites:
    by_paper: tuple[Rewrite, ...] = ()
    intro: Bilingual | None = None
    stats: RewriteStats = field(default_factory=RewriteStats)
    model: str | None = None
    prompt_version: str | None = None

    def get(self, paper_id: str) -> Rewrite | None:
        for rewrite in self.by_paper:
            if rewrite.paper_id == paper_id:
                return rewrite
        return None


@dataclass(frozen=True)
class Entry:
    """A paper as it appears in an edition: the paper plus everything decided about it."""

    paper: Paper
    tldr: Bilingual  # what the edition shows as TL;DR in each language
    title_zh: str | None = None
    tldr_source: Bilingual = field(default_factory=Bilingual)  # "digest" | "abstract" | "llm" | "cache"
    rewrite_failure: str | None = None  # failure kind when the LLM was asked and failed
    highlight_reasons: tuple[str, ...] = ()
    seen_on: str | None = None  # date of an earlier edition that already listed this paper
    section_id: str | None = None  # the subtopic section that lists it (for cross-references)


@dataclass(frozen=True)
class EditionSection:
    id: str
    title: Bilingual
    entries: tuple[Entry, ...]
    area: str | None = None
    area_title: Bilingual | None = None
    kind: Literal["topic", "highlights", "seen_before"] = "topic"


@dataclass(frozen=True)
class Edition:
    """One day's finished edition: the single input of every renderer."""

    date: str
    language: EditionLanguage
    sections: tuple[EditionSection, ...]
    source: str = ""
    source_format: str = ""
    intro: Bilingual | None = None
    grouping_method: str = "category"
    stats: tuple[tuple[str, object], ...] = ()
    generated_at: str = ""

    @property
    def topic_sections(self) -> tuple[EditionSection, ...]:
        return tuple(s for s in self.sections if s.kind == "topic")

    @property
    def paper_count(self) -> int:
        """Distinct papers in the edition (Highlights repeat papers, so they are not counted)."""
        ids = {e.paper.id for s in self.sections for e in s.entries}
        return len(ids)


@dataclass(frozen=True)
class RenderedEmail:
    """The email edition as rendered: what the delivery stage turns into MIME messages."""

    date: str
    subject: str  # one line, no CR/LF
    html: str  # complete HTML document, CSS already inlined
    text: str  # the plain-text part
    paper_count: int
    language: EditionLanguage = "bilingual"
    web_url: str | None = None  # the archive page of this edition, when a base URL is configured
