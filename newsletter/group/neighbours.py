"""Neighbour smoothing: papers that read alike lean towards the same section.

An editor who files one paper on, say, financial question answering files its near twin next to
it, even when the twin's own wording happens to match "retrieval" a little more than "finance".
The taxonomy scores each paper alone; this step adds to each paper's scores a share of the
scores of its nearest neighbours of the day, found by cosine similarity over a small TF-IDF of
title and abstract content words (pure Python, an inverted index keeps it fast on 500 papers).

Only the day's own papers are compared, and only the taxonomy's (unsmoothed) scores are
borrowed, so the result does not depend on paper order and stays deterministic.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from newsletter.group.score import PaperScores
from newsletter.model import Paper

NEIGHBOURS = 8  # nearest papers consulted
MIN_SIMILARITY = 0.1  # below this cosine two papers share little more than boilerplate
# Neighbours' votes (each normalised to its own top score, weighted by similarity) add up to
# SHARE times the paper's own top score; the similarity total is floored at SIM_MASS, so a
# lone weak neighbour lends little.
SHARE = 1.0
SIM_MASS = 1.0
TERMS_PER_PAPER = 25  # strongest terms kept per paper (bounds the work per paper)
MAX_DF_SHARE = 0.05  # words many of the day's papers use ("model", "benchmark") say little
TITLE_WEIGHT = 2.0  # a title word counts twice an abstract word
# Smaller days are left alone: with a few dozen papers near twins are rare, and the weak
# neighbours left are incidental (measured on the 52- and 64-paper labelled days: ARI -0.1).
MIN_PAPERS = 100

_WORD = re.compile(r"[a-z][a-z0-9]+")

# Function words and the boilerplate of every abstract; content words are what is left.
_STOPWORD_TEXT = """
    a about above across after again against all almost also although always among an and
    another any are around as at based be because been before being between both but by can
    could do does done due during each either enable enables especially even ever every few
    for from further furthermore given has have having here however if in into is it its itself
    just large less like made make makes many may more moreover most much must new not novel
    now of often on one only or other our over paper per performance present proposed propose
    proposes provide provides rather recent remains several should show shows significant
    significantly since so some such than that the their them then there these they this those
    through thus to toward towards under up upon use used uses using various via was we well
    were what when where whether which while who whose why will with within without work would
    yet approach approaches method methods results result existing study studies task tasks
    framework achieve achieves demonstrate demonstrates experiments extensive state art first
    model models data two three different including introduce introduces address challenge
    challenges problem problems across key however further existing effectively effective
    improve improves improved improving high higher low lower level levels code available
    github https com www org http
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def _fold(word: str) -> str:
    """A crude plural fold: "agents" ~ "agent" (not "class", "loss")."""
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _words(text: str) -> list[str]:
    return [
        _fold(word)
        for word in _WORD.findall(text.lower())
        if len(word) > 2 and word not in _STOPWORDS
    ]


def _vectors(papers: Sequence[Paper]) -> list[dict[str, float]]:
    """Unit TF-IDF vectors over the day's content words (title words count double)."""
    counts: list[Counter[str]] = []
    for paper in papers:
        tf = Counter(_words(paper.abstract))
        for word in _words(paper.title):
            tf[word] += TITLE_WEIGHT
        counts.append(tf)
    n = len(papers)
    df: Counter[str] = Counter()
    for tf in counts:
        df.update(tf.keys())
    most = max(2, MAX_DF_SHARE * n)
    idf = {word: math.log(n / count) for word, count in df.items() if 2 <= count <= most}
    vectors = []
    for tf in counts:
        weights = [
            ((1 + math.log(count)) * idf[word], word) for word, count in tf.items() if word in idf
        ]
        weights.sort(key=lambda item: (-item[0], item[1]))
        kept = weights[:TERMS_PER_PAPER]
        norm = math.sqrt(sum(w * w for w, _ in kept)) or 1.0
        vectors.append({word: w / norm for w, word in kept})
    return vectors


def nearest_neighbours(papers: Sequence[Paper]) -> list[list[tuple[int, float]]]:
    """For each paper, up to NEIGHBOURS (index, cosine) pairs, most similar first."""
    vectors = _vectors(papers)
    postings: dict[str, list[tuple[int, float]]] = {}
    for index, vector in enumerate(vectors):
        for word, weight in vector.items():
            postings.setdefault(word, []).append((index, weight))
    result = []
    for index, vector in enumerate(vectors):
        dots: dict[int, float] = {}
        get = dots.get
        for word, weight in vector.items():
            for other, other_weight in postings[word]:
                dots[other] = get(other, 0.0) + weight * other_weight
        dots.pop(index, None)
        close = sorted(
            ((other, sim) for other, sim in dots.items() if sim >= MIN_SIMILARITY),
            key=lambda item: (-item[1], item[0]),
        )
        result.append(close[:NEIGHBOURS])
    return result


def smooth_scores(
    papers: Sequence[Paper],
    scores: Sequence[PaperScores],
    order: dict[str, int],
) -> tuple[PaperScores, ...]:
    """Each paper's scores plus a share of its near neighbours' (normalised) scores."""
    if len(papers) < MIN_PAPERS:
        return tuple(scores)
    neighbours = nearest_neighbours(papers)
    normalised = []
    for paper_scores in scores:
        top = paper_scores.ranked[0][1] if paper_scores.ranked else 0.0
        normalised.append({k: v / top for k, v in paper_scores.ranked} if top > 0 else {})
    smoothed = []
    for index, paper_scores in enumerate(scores):
        close = [(other, sim) for other, sim in neighbours[index] if normalised[other]]
        if not close or not paper_scores.ranked:
            smoothed.append(paper_scores)
            continue
        top = paper_scores.ranked[0][1]
        # Weak or few neighbours lend little: the votes are divided by at least SIM_MASS.
        total_sim = max(SIM_MASS, sum(sim for _, sim in close))
        totals = dict(paper_scores.ranked)
        for other, sim in close:
            for key, value in normalised[other].items():
                # Only sections the paper itself matched: a neighbour adds weight to a choice
                # the paper's own words support, it does not invent a new one.
                if key in totals:
                    totals[key] += SHARE * top * value * sim / total_sim
        ranked = sorted(
            ((key, round(value, 6)) for key, value in totals.items()),
            key=lambda item: (-item[1], order[item[0]]),
        )
        smoothed.append(
            PaperScores(
                paper_id=paper_scores.paper_id,
                ranked=tuple(ranked),
                area_hint=paper_scores.area_hint,
            )
        )
    return tuple(smoothed)
