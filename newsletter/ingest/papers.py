"""Building ``Paper`` values the same way for every reader, and merging duplicate rows.

Digests repeat papers (one upstream day lists every paper three times; forks list a paper in
each of its categories). Both readers merge by canonical arXiv id: the first occurrence wins,
and its missing fields are filled from later ones, so no paper is ever listed twice and no
information is thrown away.
"""

from __future__ import annotations

import re
from dataclasses import fields, replace

from newsletter.model import SUMMARY_FIELDS, Language, Paper, Summary
from newsletter.textclean import strip_control_characters

from .text import detect_language, https_arxiv, unique

# arXiv categories ("cs.CV", "quant-ph", "cond-mat.soft"). Crawls also list MSC and ACM class
# codes ("68T07 (Primary)", "F.2.2; I.2.7") among categories: those are not sections.
_WEB_URL = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)
_ARXIV_CATEGORY = re.compile(r"^[a-z][a-z\-]*(?:\.[A-Za-z][A-Za-z\-]*)?$")


def finish_paper(paper: Paper) -> Paper:
    """Fill what every paper must have: arXiv URLs and the language of its summary."""
    paper = _without_control_characters(paper)
    return replace(
        paper,
        abs_url=https_arxiv(_web_url(paper.abs_url)) or f"https://arxiv.org/abs/{paper.id}",
        pdf_url=https_arxiv(_web_url(paper.pdf_url)) or f"https://arxiv.org/pdf/{paper.id}",
        code_url=_web_url(paper.code_url),
        categories=unique(c for c in paper.categories if _ARXIV_CATEGORY.match(c)),
        summary_language=_summary_language(paper.summary),
    )


def _clean(value: object) -> object:
    if isinstance(value, str):
        return strip_control_characters(value)
    if isinstance(value, tuple):
        return tuple(_clean(item) for item in value)
    if isinstance(value, Summary):
        return replace(value, **{name: _clean(getattr(value, name)) for name in SUMMARY_FIELDS})
    return value


def _without_control_characters(paper: Paper) -> Paper:
    """NUL, ESC and the other C0 controls (and U+FFFE/U+FFFF) mean nothing in a digest and
    cannot be written to XML (the Atom feed) at all: they are removed from every field."""
    changes = {}
    for spec in fields(Paper):
        value = getattr(paper, spec.name)
        cleaned = _clean(value)
        if cleaned != value:
            changes[spec.name] = cleaned
    return replace(paper, **changes) if changes else paper


def _web_url(url: str | None) -> str | None:
    """``url`` when it is an http(s) link; anything else (``javascript:``, ``data:``, a bare
    word) would become a live link in every edition, so it is dropped."""
    if url and _WEB_URL.match(url.strip()):
        return url.strip()
    return None


def _summary_language(summary: Summary) -> Language | None:
    if summary.is_empty():
        return None
    return detect_language(getattr(summary, name) for name in SUMMARY_FIELDS)


def _is_missing(value: object) -> bool:
    return value is None or value == "" or value == ()


def _merge_pair(first: Paper, later: Paper) -> Paper:
    changes: dict[str, object] = {}
    for spec in fields(Paper):
        name = spec.name
        mine, theirs = getattr(first, name), getattr(later, name)
        if name == "summary":
            filled = {
                key: getattr(theirs, key)
                for key in SUMMARY_FIELDS
                if getattr(mine, key) is None and getattr(theirs, key) is not None
            }
            if filled:
                changes[name] = replace(mine, **filled)
        elif name == "extra":
            labels = {label for label, _ in mine}
            added = tuple(item for item in theirs if item[0] not in labels)
            if added:
                changes[name] = mine + added
        elif name == "version":
            versions = [v for v in (mine, theirs) if v is not None]
            if versions and max(versions) != mine:
                changes[name] = max(versions)
        elif name in ("summary_language", "source_line"):
            continue
        elif _is_missing(mine) and not _is_missing(theirs):
            changes[name] = theirs
    return replace(first, **changes) if changes else first


def merge_duplicates(papers: list[Paper]) -> tuple[Paper, ...]:
    """One paper per id, in first-seen order, each completed from its later duplicates."""
    by_id: dict[str, Paper] = {}
    for paper in papers:
        first = by_id.get(paper.id)
        by_id[paper.id] = paper if first is None else _merge_pair(first, paper)
    return tuple(finish_paper(paper) for paper in by_id.values())
