"""Neighbour smoothing and the scoring knobs that make the grouping generalise to unseen days."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from newsletter.config import GroupingConfig
from newsletter.errors import ConfigError
from newsletter.group import group_papers
from newsletter.group.neighbours import MIN_PAPERS, nearest_neighbours, smooth_scores
from newsletter.group.score import PaperScores, Scorer
from newsletter.group.taxonomy import load_taxonomy
from newsletter.model import Paper

TAXONOMY = """
version: 1
generic_terms: [benchmark]
areas:
  - id: nlp
    title: {en: Language, zh: 语言}
    categories: [cs.CL]
    subtopics:
      - id: evaluation
        title: {en: Evaluation, zh: 评测}
        description: Benchmarks.
        terms: {en: {benchmark: 2, evaluation: 2}, zh: [评测]}
      - id: medical
        title: {en: Medical, zh: 医疗}
        description: Clinical NLP.
        title_boost: 2
        terms: {en: {clinical: 2, radiology: 2}, zh: [医疗]}
"""

FILLER_TOPICS = [
    "graph coloring heuristics",
    "protein folding kinetics",
    "ocean wave forecasting",
    "chess opening theory",
    "solar panel degradation",
    "bird song syllables",
    "traffic light timing",
    "wine fermentation chemistry",
    "glacier melt modelling",
    "bridge cable fatigue",
]


def _filler(count: int) -> list[Paper]:
    """Unrelated papers, so a day is large enough for smoothing and vocabularies stay apart."""
    papers = []
    for index in range(count):
        topic = FILLER_TOPICS[index % len(FILLER_TOPICS)]
        words = f"{topic} variant{index} sample{index} measure{index}"
        papers.append(
            Paper(
                id=f"2601.{index:05d}",
                title=f"Clinical notes study {index}: {topic}",
                abstract=f"We study {words} with clinical records.",
                categories=("cs.CL",),
            )
        )
    return papers


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "topics.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_twins_lend_their_section_to_an_undecided_paper() -> None:
    twins = [
        Paper(
            id=f"2602.1000{i}",
            title=f"Radiology report summarisation with sparse attention {i}",
            abstract="Radiology report summarisation with sparse attention over findings "
            "sections, impression generation and hospital discharge letters.",
            categories=("cs.CL",),
        )
        for i in range(4)
    ]
    undecided = Paper(
        id="2602.20000",
        title="Findings sections and impression generation for discharge letters",
        abstract="Radiology report summarisation with sparse attention; evaluation on a "
        "benchmark of hospital findings sections and impression generation.",
        categories=("cs.CL",),
    )
    papers = [*_filler(MIN_PAPERS), *twins, undecided]
    neighbours = nearest_neighbours(papers)
    assert {papers[i].id for i, _ in neighbours[-1][:4]} == {p.id for p in twins}
    order = {"nlp-evaluation": 0, "nlp-medical": 1}
    own = [PaperScores(p.id, (("nlp-medical", 4.0), ("nlp-evaluation", 1.0)), "nlp") for p in twins]
    lone = PaperScores(undecided.id, (("nlp-evaluation", 3.0), ("nlp-medical", 2.5)), "nlp")
    fillers = [PaperScores(p.id, (), "nlp") for p in papers[:MIN_PAPERS]]
    smoothed = smooth_scores(papers, [*fillers, *own, lone], order)
    assert smoothed[-1].best == "nlp-medical"
    assert smoothed[-1].score("nlp-medical") > 2.5
    # A section the paper never matched is not invented by its neighbours.
    assert smoothed[-1].score("nlp-other") == 0.0
    # A small day is left as scored.
    small = smooth_scores(papers[-5:], [*own, lone], order)
    assert small[-1].best == "nlp-evaluation"


def test_smoothing_does_not_depend_on_paper_order() -> None:
    papers = _filler(MIN_PAPERS + 20)
    forward = {p.id: n for p, n in zip(papers, _neighbour_ids(papers), strict=True)}
    backward_papers = list(reversed(papers))
    backward = {
        p.id: n for p, n in zip(backward_papers, _neighbour_ids(backward_papers), strict=True)
    }
    assert forward == backward


def _neighbour_ids(papers: list[Paper]) -> list[list[str]]:
    return [[papers[i].id for i, _ in close] for close in nearest_neighbours(papers)]


def test_generic_terms_count_less_in_abstracts_and_title_boost_counts_more(tmp_path: Path) -> None:
    taxonomy = load_taxonomy(_write(tmp_path, TAXONOMY))
    scorer = Scorer(taxonomy)
    body = Paper(id="2602.00001", title="A study", abstract="A benchmark.", categories=("cs.CL",))
    titled = Paper(id="2602.00002", title="A benchmark", categories=("cs.CL",))
    clinical = Paper(id="2602.00003", title="Clinical notes", categories=("cs.CL",))
    body_score = scorer.score(body).score("nlp-evaluation")
    title_score = scorer.score(titled).score("nlp-evaluation")
    # Abstract: weight 2 x generic factor 0.4, plus the area lean 1.5; title: 2 x 3 + 1.5.
    assert abs(body_score - (2 * 0.4 + 1.5)) < 1e-6
    assert abs(title_score - (2 * 3 + 1.5)) < 1e-6
    assert abs(scorer.score(clinical).score("nlp-medical") - (2 * 3 * 2 + 1.5)) < 1e-6


def test_bad_title_boost_and_generic_terms_are_named(tmp_path: Path) -> None:
    broken = TAXONOMY.replace("title_boost: 2", "title_boost: 0.5").replace(
        "generic_terms: [benchmark]", "generic_terms: {benchmark: 1}"
    )
    with pytest.raises(ConfigError) as caught:
        load_taxonomy(_write(tmp_path, broken))
    message = str(caught.value)
    assert "areas[0].subtopics[1].title_boost: expected a number of at least 1" in message
    assert "generic_terms: expected a list of English terms" in message


def test_edited_taxonomy_is_read_again(tmp_path: Path) -> None:
    path = _write(tmp_path, TAXONOMY)
    first = load_taxonomy(path)
    assert load_taxonomy(path) is first  # parsed once per file version
    renamed = TAXONOMY.replace("{en: Medical, zh: 医疗}", "{en: Clinic, zh: 诊所}")
    path.write_text(renamed, encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert load_taxonomy(path).subtopic("nlp-medical").title.en == "Clinic"
    paper = Paper(id="2602.00003", title="Clinical notes", categories=("cs.CL",))
    grouping = group_papers([paper], GroupingConfig(taxonomy=path))
    assert grouping.sections[0].title.en == "Clinic"
