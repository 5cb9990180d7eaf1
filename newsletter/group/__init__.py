"""Grouping stage: a day's papers -> ordered subtopic ``Section``s (+ reader Highlights).

Modes: "taxonomy" (offline, the default), "category" (one section per primary arXiv category)
and "llm" (a model picks subtopics; without a chooser, or per paper on failure, the offline
choice stands).

Order of sections: areas, then subtopics, in the taxonomy's order, "Other" last. A daily
newsletter keeps its sections in the same place every day, like a newspaper, so a reader who
follows "3D Vision" finds it where it was yesterday; the taxonomy file lists them in reading
order. Within a section, papers go from the most typical (highest score) to the least, ties in
digest order.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from newsletter.config import GroupingConfig
from newsletter.group.category import group_by_category
from newsletter.group.interests import match_interests
from newsletter.group.llm import SubtopicChooser, assign_with_llm
from newsletter.group.neighbours import smooth_scores
from newsletter.group.score import PaperScores, Scorer
from newsletter.group.shape import OTHER, shape_assignment
from newsletter.group.taxonomy import Taxonomy, load_taxonomy
from newsletter.model import Grouping, Paper, Section

__all__ = ["group_papers", "group_with_taxonomy", "load_taxonomy", "SubtopicChooser"]


def _sections(
    papers: Sequence[Paper],
    taxonomy: Taxonomy,
    scores: Sequence[PaperScores],
    section_of: dict[str, str],
) -> tuple[Section, ...]:
    position = {paper.id: index for index, paper in enumerate(papers)}
    score_of = {s.paper_id: s for s in scores}
    children: dict[str, list[str]] = {}
    for child, parent in taxonomy.parent_of.items():
        children.setdefault(parent, []).append(child)
    members: dict[str, list[str]] = {}
    for paper in papers:
        members.setdefault(section_of[paper.id], []).append(paper.id)

    def in_order(key: str) -> tuple[str, ...]:
        # A parent section also holds its folded split-offs' papers: rank them by either score.
        keys = [key, *children.get(key, ())]

        def typicality(pid: str) -> float:
            return max(score_of[pid].score(k) for k in keys)

        ids = members[key]
        return tuple(sorted(ids, key=lambda pid: (-typicality(pid), position[pid])))

    sections = []
    for area in taxonomy.areas:
        for subtopic in area.subtopics:
            if subtopic.key in members:
                sections.append(
                    Section(
                        id=subtopic.key,
                        title=subtopic.title,
                        paper_ids=in_order(subtopic.key),
                        area=area.id,
                        area_title=area.title,
                        description=subtopic.description,
                    )
                )
    if OTHER in members:
        sections.append(Section(id=OTHER, title=taxonomy.other_title, paper_ids=in_order(OTHER)))
    return tuple(sections)


@lru_cache(maxsize=4)
def _scorer(taxonomy: Taxonomy) -> Scorer:
    """Compiled once per taxonomy: building the term patterns costs about as much as scoring
    a hundred papers, and a run groups several editions with the same taxonomy."""
    return Scorer(taxonomy)


def group_with_taxonomy(
    papers: Sequence[Paper],
    taxonomy: Taxonomy,
    *,
    chooser: SubtopicChooser | None = None,
) -> tuple[tuple[Section, ...], str]:
    """Sections for ``papers`` under ``taxonomy``; also the method that decided them."""
    scorer = _scorer(taxonomy)
    order = {key: index for index, key in enumerate(scorer.keys)}
    scores = smooth_scores(papers, scorer.score_all(papers), order)
    method = "taxonomy"
    if chooser is not None:
        offline = {s.paper_id: s for s in scores}
        scores, decided = assign_with_llm(papers, taxonomy, offline, chooser)
        method = "llm" if decided else "taxonomy"
    area_of = {s.key: s.area for s in taxonomy.subtopics}
    section_of = shape_assignment(scores, order, area_of, taxonomy.parent_of)
    return _sections(papers, taxonomy, scores, section_of), method


def _unique(papers: Sequence[Paper]) -> list[Paper]:
    """A paper listed twice is grouped once (the first listing wins)."""
    seen: set[str] = set()
    unique = []
    for paper in papers:
        if paper.id not in seen:
            seen.add(paper.id)
            unique.append(paper)
    return unique


def group_papers(
    papers: Sequence[Paper],
    config: GroupingConfig,
    *,
    mode: str | None = None,
    chooser: SubtopicChooser | None = None,
) -> Grouping:
    """Group a day's papers into ordered sections; every paper lands in exactly one section.

    ``mode`` overrides ``config.mode``. ``chooser`` is the model's subtopic picker for mode
    "llm" (see ``newsletter.group.llm``); without it mode "llm" groups offline.
    """
    mode = mode or config.mode
    if mode not in ("taxonomy", "category", "llm"):
        from newsletter.errors import ConfigError

        raise ConfigError(f"grouping.mode: expected taxonomy, category or llm (got {mode!r})")
    unique = _unique(papers)
    highlights = match_interests(unique, config.interests, config.max_highlights)
    if not unique:
        return Grouping(sections=(), highlights=(), method=mode if mode != "llm" else "taxonomy")
    if mode == "category":
        return Grouping(group_by_category(unique), highlights, method="category")
    taxonomy = load_taxonomy(config.taxonomy)
    sections, method = group_with_taxonomy(
        unique, taxonomy, chooser=chooser if mode == "llm" else None
    )
    return Grouping(sections=sections, highlights=highlights, method=method)
