"""The boundary for mode "llm": a model picks each paper's subtopic among the taxonomy's ids.

The LLM client lives in the rewrite stage; the pipeline passes a ``SubtopicChooser`` built on
it. Whatever the chooser does wrong for a paper (raises, returns nothing, returns an id that is
not a subtopic) falls back to the offline choice for that paper only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from newsletter.group.score import PaperScores
from newsletter.group.taxonomy import Taxonomy
from newsletter.model import Paper

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SubtopicChoice:
    """One option offered to the model (the prompt lists these; the answer must be a ``key``)."""

    key: str
    title_en: str
    title_zh: str
    description: str


# (paper, options) -> chosen key, or None when the model gave no usable answer.
SubtopicChooser = Callable[[Paper, tuple[SubtopicChoice, ...]], str | None]


def subtopic_choices(taxonomy: Taxonomy) -> tuple[SubtopicChoice, ...]:
    return tuple(
        SubtopicChoice(s.key, s.title.en or s.key, s.title.zh or s.key, s.description)
        for s in taxonomy.subtopics
    )


def assign_with_llm(
    papers: Sequence[Paper],
    taxonomy: Taxonomy,
    offline: Mapping[str, PaperScores],
    choose: SubtopicChooser,
) -> tuple[tuple[PaperScores, ...], int]:
    """Put the model's pick first in each paper's ranking; return (scores, papers it decided).

    The offline ranking stays behind the pick, so the shaping step can still move a paper to
    its next-best subtopic when the pick's section turns out too small for the day.
    """
    choices = subtopic_choices(taxonomy)
    valid = {choice.key for choice in choices}
    result: list[PaperScores] = []
    decided = 0
    for paper in papers:
        scores = offline[paper.id]
        try:
            pick = choose(paper, choices)
        except Exception as exc:  # any failure of the model is a per-paper fallback
            log.warning("llm grouping failed for %s (%s); using the offline choice", paper.id, exc)
            pick = None
        if pick not in valid:
            if pick is not None:
                log.warning("llm grouping chose unknown subtopic %r for %s", pick, paper.id)
            result.append(scores)
            continue
        top = scores.ranked[0][1] if scores.ranked else 0.0
        rest = tuple(item for item in scores.ranked if item[0] != pick)
        ranked = ((pick, top + 1.0), *rest)
        result.append(PaperScores(paper.id, ranked, scores.area_hint))
        decided += 1
    return tuple(result), decided
