"""Reader interests: papers that match a keyword or an author become Highlights, with reasons.

Keywords may be English (whole words, case-insensitive, hyphens as spaces, plural -s accepted)
or Chinese (substring match, since Chinese has no spaces). Authors match by name regardless of
case, accents, punctuation and "Last, First" order.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from newsletter.config import InterestsConfig
from newsletter.group.score import normalize_english
from newsletter.model import SUMMARY_FIELDS, Highlight, Paper

_HAS_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _name_key(name: str) -> tuple[str, ...]:
    """'Kaiming He', 'He, Kaiming', 'kaiming  HE' -> ('he', 'kaiming')."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return tuple(sorted(re.findall(r"\w+", text)))


def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    if _HAS_CJK.search(keyword):
        return re.compile(re.escape(keyword.strip().lower()))
    term = re.escape(normalize_english(keyword))
    return re.compile(r"(?<![a-z0-9])" + term + r"(?:s|es)?(?![a-z0-9])")


def _fields(paper: Paper) -> list[tuple[str, str]]:
    """(where, text) pairs in the order reasons should name them; text already normalised."""
    summary = " ".join(v for name in SUMMARY_FIELDS if (v := getattr(paper.summary, name)))
    fields = [
        ("title", paper.title),
        ("title", paper.title_translation or ""),
        ("keywords", " ".join(paper.keywords)),
        ("abstract", paper.abstract),
        ("abstract", paper.abstract_translation or ""),
        ("summary", summary),
    ]
    return [(where, normalize_english(text)) for where, text in fields if text]


def match_interests(
    papers: Sequence[Paper], interests: InterestsConfig, limit: int
) -> tuple[Highlight, ...]:
    """Highlights in digest order of strength: more reasons first, then title hits, then order."""
    if limit <= 0 or not (interests.keywords or interests.authors):
        return ()
    keywords = [(k.strip(), _keyword_pattern(k)) for k in interests.keywords if k.strip()]
    authors = {_name_key(a): a.strip() for a in interests.authors if _name_key(a)}
    found: list[tuple[int, int, int, Highlight]] = []
    for position, paper in enumerate(papers):
        reasons: list[str] = []
        in_title = 0
        fields = _fields(paper)
        for keyword, pattern in keywords:
            where = next((w for w, text in fields if pattern.search(text)), None)
            if where is not None:
                reasons.append(f"keyword “{keyword}” in {where}")
                in_title += where == "title"
        for author in paper.authors:
            wanted = authors.get(_name_key(author))
            if wanted is not None:
                reasons.append(f"author {author}")
        if reasons:
            found.append((-len(reasons), -in_title, position, Highlight(paper.id, tuple(reasons))))
    found.sort(key=lambda item: item[:3])
    return tuple(item[3] for item in found[:limit])
