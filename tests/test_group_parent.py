"""Split-off subtopics: a section of its own on a day with many such papers, folded otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.config import GroupingConfig
from newsletter.errors import ConfigError
from newsletter.group import group_papers
from newsletter.group.score import Scorer
from newsletter.group.shape import SPLIT_FACTOR, min_section_size
from newsletter.group.taxonomy import load_taxonomy
from newsletter.model import Paper

TAXONOMY = """
version: 1
areas:
  - id: nlp
    title: {en: Language, zh: 语言}
    categories: [cs.CL]
    subtopics:
      - id: health
        parent: applications
        title: {en: Medicine, zh: 医疗}
        description: Clinical NLP.
        terms: {en: {clinical: 3, patient: 2}}
      - id: applications
        title: {en: Domain applications, zh: 领域应用}
        description: Law, finance, education, and medicine on quiet days.
        terms: {en: {legal: 3, financial: 3, student: 2}}
      - id: translation
        title: {en: Translation, zh: 翻译}
        description: Machine translation.
        terms: {en: {translation: 3}}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "topics.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _paper(index: int, title: str) -> Paper:
    return Paper(id=f"2601.{index:05d}", title=title, categories=("cs.CL",), abstract=title)


def _day(medical: int, legal: int, translation: int) -> list[Paper]:
    papers = [_paper(i, f"Clinical notes of patient cohort {i}") for i in range(medical)]
    papers += [_paper(100 + i, f"Legal contracts corpus {i}") for i in range(legal)]
    papers += [_paper(200 + i, f"Translation of idioms {i}") for i in range(translation)]
    return papers


def _sections(papers: list[Paper], path: Path) -> dict[str, int]:
    grouping = group_papers(papers, GroupingConfig(taxonomy=path))
    assert sum(len(s.paper_ids) for s in grouping.sections) == len(papers)
    return {s.id: len(s.paper_ids) for s in grouping.sections}


def test_a_split_off_with_few_papers_is_folded_into_its_parent(tmp_path: Path) -> None:
    path = _write(tmp_path, TAXONOMY)
    papers = _day(medical=3, legal=8, translation=20)
    smallest = min_section_size(len(papers))
    assert 3 < SPLIT_FACTOR * smallest  # the day is sized so that three medical papers fold
    sections = _sections(papers, path)
    assert "nlp-health" not in sections
    assert sections["nlp-applications"] == 11
    # Folded papers keep their typicality: the medical ones are ranked in the parent too.
    grouping = group_papers(papers, GroupingConfig(taxonomy=path))
    parent = next(s for s in grouping.sections if s.id == "nlp-applications")
    assert {pid for pid in parent.paper_ids if pid.startswith("2601.000")} == {
        p.id for p in papers[:3]
    }


def test_a_split_off_with_many_papers_is_its_own_section(tmp_path: Path) -> None:
    path = _write(tmp_path, TAXONOMY)
    papers = _day(medical=12, legal=8, translation=20)
    assert 12 >= SPLIT_FACTOR * min_section_size(len(papers))
    sections = _sections(papers, path)
    assert sections["nlp-health"] == 12
    assert sections["nlp-applications"] == 8


def test_parent_and_split_off_compete_with_their_joint_evidence(tmp_path: Path) -> None:
    """Some medical and some education evidence outweigh a stronger single other topic."""
    scorer = Scorer(load_taxonomy(_write(tmp_path, TAXONOMY)))
    paper = Paper(
        id="2601.00001",
        title="Translation for students",
        abstract="A clinical study of students.",
        categories=("cs.CL",),
    )
    scores = scorer.score(paper)
    # Own evidence: translation 9 (title) vs health 3 and applications 6+2 = 8 apart;
    # joint, the application family (11 + lean) beats translation (9 + lean).
    assert scores.best == "nlp-applications"
    assert scores.score("nlp-applications") > scores.score("nlp-translation")
    assert scores.score("nlp-health") < scores.score("nlp-applications")


@pytest.mark.parametrize(
    ("replacement", "expected"),
    [
        (
            "parent: nowhere",
            "areas[0].subtopics[0].parent: expected the id of another subtopic of this area "
            "(applications, translation), got 'nowhere'",
        ),
        ("parent: health", "got 'health'"),
        ("parent: Not A Slug", "areas[0].subtopics[0].parent: expected a lower-case slug"),
    ],
)
def test_a_bad_parent_is_named(tmp_path: Path, replacement: str, expected: str) -> None:
    broken = TAXONOMY.replace("parent: applications", replacement)
    with pytest.raises(ConfigError) as caught:
        load_taxonomy(_write(tmp_path, broken))
    assert expected in str(caught.value)


def test_a_bad_parent_is_named_in_a_hyphenated_area(tmp_path: Path) -> None:
    hyphenated = TAXONOMY.replace("  - id: nlp\n", "  - id: natural-language\n").replace(
        "parent: applications", "parent: nowhere"
    )
    with pytest.raises(ConfigError) as caught:
        load_taxonomy(_write(tmp_path, hyphenated))
    assert "(applications, translation), got 'nowhere'" in str(caught.value)


def test_a_parent_with_a_parent_is_refused(tmp_path: Path) -> None:
    nested = TAXONOMY.replace(
        "      - id: applications\n",
        "      - id: applications\n        parent: translation\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_taxonomy(_write(tmp_path, nested))
    assert "areas[0].subtopics[0].parent: 'nlp-applications' has a parent itself" in str(
        caught.value
    )
