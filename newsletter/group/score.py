"""Score every paper against every subtopic of the taxonomy (offline, deterministic).

A paper's score for a subtopic adds up the weights of the subtopic's terms found in the paper
(a title match counts more than an abstract match, because a title states what a paper is
*about* while an abstract also names its tools and baselines), the weights of its arXiv
categories, and a lean towards the area of the paper's primary category (a cs.CL paper that
talks about "evaluation" belongs with language evaluation, not with vision benchmarks).
When a whole day is scored (``score_all``), terms most of the day's papers share count less.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from newsletter.group.taxonomy import Taxonomy
from newsletter.model import SUMMARY_FIELDS, Paper

TITLE_FACTOR = 3.0  # an English title match is worth three abstract matches
ZH_TITLE_FACTOR = 2.0  # the Chinese title is a translation: strong, but may paraphrase
ZH_BODY_FACTOR = 0.6  # Chinese summaries mostly restate the abstract, so count them less
SUMMARY_FACTOR = 0.6  # so do English ones (a digest gives one or the other)
KEYWORD_FACTOR = 0.5  # author keywords name the topic, but as often the method and the data
REPEAT_BONUS = 0.25  # each further body mention (up to MAX_REPEATS) adds a quarter weight
MAX_REPEATS = 3
AREA_LEAN = 1.5  # added to a subtopic with any term match in the primary category's area
AREA_LEAN_CROSSLIST = 0.5  # same for an area of a cross-listed category
# A paper's own area wins unless another area's evidence is clearly stronger: a cs.CV paper
# that "reasons" or "benchmarks" is still a vision paper to its readers. Not much stronger: a
# cs.CL paper about vision-language models or speech is filed there by editors. Measured over
# eight labellings, 0.6 -> 0.7: ARI -0.02 to +0.05 on the language days (mean +0.02), 0 to
# +0.02 on the vision days.
OUTSIDE_AREA = 0.7
OUTSIDE_AREA_CROSSLIST = 0.8
# Day-level rarity: a term used by more than IDF_FREE_SHARE of the day's papers ("reasoning",
# "benchmark", "agents" on a language day) tells the day's papers apart less, so it counts less
# (log-scaled, down to IDF_FLOOR). Editors group by what is distinctive; measured on five
# labelled days (three held out): average ARI +0.03. Days under IDF_MIN_PAPERS are too small
# for shares to mean anything.
IDF_MIN_PAPERS = 20
IDF_FREE_SHARE = 0.08
IDF_FLOOR = 0.3
# An abstract match of one of the taxonomy's generic terms counts this much of a normal one.
GENERIC_BODY_FACTOR = 0.4


@dataclass(frozen=True)
class PaperScores:
    """How strongly one paper belongs to each subtopic it matched, best first."""

    paper_id: str
    ranked: tuple[tuple[str, float], ...]  # (subtopic key, score), score > 0, best first
    area_hint: str | None  # area of the primary category, used when no term matched

    @property
    def best(self) -> str | None:
        return self.ranked[0][0] if self.ranked else None

    def score(self, key: str) -> float:
        for candidate, value in self.ranked:
            if candidate == key:
                return value
        return 0.0


def normalize_english(text: str) -> str:
    """Lower-case, hyphens and underscores as spaces, single spaces: 'Text-to-Image' -> 'text to image'."""
    text = text.lower().replace("-", " ").replace("_", " ").replace("\u2011", " ")
    return re.sub(r"\s+", " ", text).strip()


def _alternation(terms: Iterable[str]) -> str:
    """A regex matching any of ``terms``, longest first, built as a character trie.

    A flat ``a|b|c`` of a few thousand literals makes ``re`` try every alternative at every
    position (0.6 s on a 500-paper day); factoring common prefixes makes it one walk down the
    trie. Greedy optional branches keep "longest match wins", with backtracking to a shorter
    term when the longer one fails the surrounding context.
    """
    trie: dict = {}
    for term in set(terms):
        if not term:
            continue
        node = trie
        for char in term:
            node = node.setdefault(char, {})
        node[""] = True
    return _trie_pattern(trie)


def _trie_pattern(node: dict) -> str:
    terminal = "" in node
    branches = [
        re.escape(char) + _trie_pattern(child) for char, child in sorted(node.items()) if char
    ]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 and not terminal else "(?:" + "|".join(branches) + ")"
    if len(branches) == 1 and not terminal:
        return body
    return body + "?" if terminal else body


class Scorer:
    """Compiled once per taxonomy; scores papers with two regular-expression passes per field."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self.keys = tuple(s.key for s in taxonomy.subtopics)
        self._order = {key: index for index, key in enumerate(self.keys)}
        self._area_of = {s.key: s.area for s in taxonomy.subtopics}
        self._parent_of = taxonomy.parent_of
        self._area_by_category: dict[str, tuple[str, float]] = {}
        for area in taxonomy.areas:
            for category, strength in area.categories:
                self._area_by_category.setdefault(category, (area.id, strength))
        self._en_index: dict[str, list[tuple[str, float]]] = {}
        self._zh_index: dict[str, list[tuple[str, float]]] = {}
        self._category_index: dict[str, list[tuple[str, float]]] = {}
        # Title indexes carry each subtopic's title boost inside the weight.
        self._en_title_index: dict[str, list[tuple[str, float]]] = {}
        self._zh_title_index: dict[str, list[tuple[str, float]]] = {}
        for subtopic in taxonomy.subtopics:
            boost = subtopic.title_boost
            for term, weight in subtopic.terms_en:
                normal = normalize_english(term)
                self._en_index.setdefault(normal, []).append((subtopic.key, weight))
                self._en_title_index.setdefault(normal, []).append((subtopic.key, weight * boost))
            for term, weight in subtopic.terms_zh:
                self._zh_index.setdefault(term, []).append((subtopic.key, weight))
                self._zh_title_index.setdefault(term, []).append((subtopic.key, weight * boost))
            for category, weight in subtopic.categories:
                self._category_index.setdefault(category, []).append((subtopic.key, weight))
        # Whole words only; a plural -s/-es is accepted ("benchmarks", "biases").
        self._en_pattern = (
            re.compile(r"(?<![a-z0-9])(" + _alternation(self._en_index) + r")(?:s|es)?(?![a-z0-9])")
            if self._en_index
            else None
        )
        self._zh_pattern = re.compile(_alternation(self._zh_index)) if self._zh_index else None
        self._generic = {
            term: GENERIC_BODY_FACTOR
            for term in map(normalize_english, taxonomy.generic_terms)
            if term in self._en_index
        }
        self._body_cache: tuple[dict[str, float], dict[str, float]] | None = None

    def _english_counts(self, text: str) -> Counter[str]:
        if not text or self._en_pattern is None:
            return Counter()
        return Counter(m.group(1) for m in self._en_pattern.finditer(normalize_english(text)))

    def _chinese_counts(self, text: str) -> Counter[str]:
        if not text or self._zh_pattern is None:
            return Counter()
        return Counter(m.group(0) for m in self._zh_pattern.finditer(text.lower()))

    @staticmethod
    def _add(
        totals: dict[str, float],
        counts: Counter[str],
        index: dict[str, list[tuple[str, float]]],
        factor: float,
        *,
        repeats: bool,
        rarity: dict[str, float],
    ) -> None:
        for term, count in counts.items():
            extra = REPEAT_BONUS * min(count - 1, MAX_REPEATS) if repeats else 0.0
            scale = factor * (1.0 + extra) * rarity.get(term, 1.0)
            for key, weight in index.get(term, ()):
                totals[key] = totals.get(key, 0.0) + weight * scale

    def _matches(self, paper: Paper) -> tuple[Counter[str], ...]:
        """Term counts: English title, abstract, English summary, author keywords, Chinese
        title, Chinese body (abstract translation, keywords and a Chinese summary)."""
        summary_text = " ".join(
            value for name in SUMMARY_FIELDS if (value := getattr(paper.summary, name))
        )
        keywords = " ; ".join(paper.keywords)
        english_summary = summary_text if paper.summary_language == "en" else ""
        chinese_body = " ".join([paper.abstract_translation or "", keywords])
        if paper.summary_language != "en":
            chinese_body += " " + summary_text
        return (
            self._english_counts(paper.title),
            self._english_counts(paper.abstract),
            self._english_counts(english_summary),
            self._english_counts(keywords),
            self._chinese_counts(paper.title_translation or ""),
            self._chinese_counts(chinese_body),
        )

    def score(self, paper: Paper) -> PaperScores:
        """One paper on its own (no day to compare its terms with: every term weighs fully)."""
        return self._score(paper, self._matches(paper), {})

    def _score(
        self,
        paper: Paper,
        matches: tuple[Counter[str], ...],
        rarity: dict[str, float],
    ) -> PaperScores:
        en_title, en_body, en_summary, keywords, zh_title, zh_body = matches
        totals: dict[str, float] = {}
        add = self._add
        body_rarity = self._body_rarity(rarity)
        add(totals, en_title, self._en_title_index, TITLE_FACTOR, repeats=False, rarity=rarity)
        add(totals, en_body, self._en_index, 1.0, repeats=True, rarity=body_rarity)
        add(totals, en_summary, self._en_index, SUMMARY_FACTOR, repeats=True, rarity=body_rarity)
        add(totals, keywords, self._en_index, KEYWORD_FACTOR, repeats=False, rarity=rarity)
        add(totals, zh_title, self._zh_title_index, ZH_TITLE_FACTOR, repeats=False, rarity=rarity)
        add(totals, zh_body, self._zh_index, ZH_BODY_FACTOR, repeats=True, rarity=rarity)

        for position, category in enumerate(paper.categories):
            share = 1.0 if position == 0 else 0.5
            for key, weight in self._category_index.get(category, ()):
                totals[key] = totals.get(key, 0.0) + weight * share
        self._join_families(totals)

        primary_area, strength = self._area_by_category.get(
            paper.primary_category or "", (None, 0.0)
        )
        crosslisted = {
            self._area_by_category[c][0]
            for c in paper.categories[1:]
            if c in self._area_by_category
        }
        for key in list(totals) if primary_area is not None else ():
            area = self._area_of[key]
            if area == primary_area:
                totals[key] += AREA_LEAN * strength
            elif area in crosslisted:
                factor = 1 - (1 - OUTSIDE_AREA_CROSSLIST) * strength
                totals[key] = totals[key] * factor + AREA_LEAN_CROSSLIST * strength
            else:
                totals[key] *= 1 - (1 - OUTSIDE_AREA) * strength

        ranked = sorted(
            ((key, round(value, 6)) for key, value in totals.items() if value > 0),
            key=lambda item: (-item[1], self._order[item[0]]),
        )
        return PaperScores(paper_id=paper.id, ranked=tuple(ranked), area_hint=primary_area)

    def _join_families(self, totals: dict[str, float]) -> None:
        """A split-off and its parent compete with their joint evidence.

        "A counselling chatbot for students" has some medical and some education evidence:
        together they say "domain application" more strongly than either says anything else.
        The joint score goes to whichever of the two has more of it; the other keeps its own.
        """
        for child, parent in self._parent_of.items():
            own, broad = totals.get(child, 0.0), totals.get(parent, 0.0)
            if own > 0 and broad > 0:
                totals[child if own > broad else parent] = own + broad

    def _body_rarity(self, rarity: dict[str, float]) -> dict[str, float]:
        """``rarity`` with generic terms scaled down, for abstract matches."""
        if not self._generic:
            return rarity
        cached = self._body_cache
        if cached is not None and cached[0] is rarity:
            return cached[1]
        body = dict(rarity)
        for term, factor in self._generic.items():
            body[term] = body.get(term, 1.0) * factor
        self._body_cache = (rarity, body)
        return body

    def score_all(self, papers: Sequence[Paper]) -> tuple[PaperScores, ...]:
        matches = [self._matches(paper) for paper in papers]
        rarity = day_rarity(matches, len(papers))
        return tuple(
            self._score(paper, found, rarity) for paper, found in zip(papers, matches, strict=True)
        )


def day_rarity(matches: Sequence[tuple[Counter[str], ...]], n: int) -> dict[str, float]:
    """Weight factor per term: 1 for terms few papers of the day use, less for common ones.

    ``matches`` holds each paper's term counts (title and body, both languages); a term counts
    once per paper that uses it anywhere. Terms missing from the result weigh fully.
    """
    if n < IDF_MIN_PAPERS:
        return {}
    df: Counter[str] = Counter()
    for found in matches:
        df.update(set().union(*found))
    free = IDF_FREE_SHARE
    rarity = {}
    for term, count in df.items():
        share = count / n
        if share > free:
            rarity[term] = max(IDF_FLOOR, math.log(1 / share) / math.log(1 / free))
    return rarity
