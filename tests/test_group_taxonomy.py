"""Loading the subtopic taxonomy: the bundled file is valid; a broken one is named precisely."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.config import GroupingConfig
from newsletter.errors import ConfigError
from newsletter.group import group_papers
from newsletter.group.taxonomy import default_taxonomy_path, load_taxonomy
from newsletter.model import Paper

MINIMAL = """
version: 1
areas:
  - id: cv
    title: {en: Vision, zh: 视觉}
    categories: [cs.CV]
    subtopics:
      - id: three-d
        title: {en: 3D, zh: 三维}
        description: 3D things.
        terms: {en: {point cloud: 3}, zh: [点云]}
"""


def test_bundled_taxonomy_is_valid_and_bilingual() -> None:
    taxonomy = load_taxonomy()
    assert default_taxonomy_path().name == "topics.yaml"
    assert len(taxonomy.areas) >= 10
    assert len(taxonomy.subtopics) >= 30
    for subtopic in taxonomy.subtopics:
        assert subtopic.title.en and subtopic.title.zh and subtopic.description
        assert subtopic.terms_en and subtopic.terms_zh


def test_custom_taxonomy_file_is_used(tmp_path: Path) -> None:
    path = tmp_path / "topics.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    paper = Paper(id="2602.00001", title="Point cloud completion", categories=("cs.CV",))
    grouping = group_papers([paper], GroupingConfig(taxonomy=path))
    assert [(s.id, s.title.zh, s.area_title.en) for s in grouping.sections] == [
        ("cv-three-d", "三维", "Vision")
    ]


@pytest.mark.parametrize(
    ("broken", "key", "expected"),
    [
        (MINIMAL.replace("zh: 三维", "zh: ''"), "areas[0].subtopics[0].title.zh", "non-empty name"),
        (
            MINIMAL.replace("point cloud: 3", "point cloud: -1"),
            "areas[0].subtopics[0].terms.en.point cloud",
            "positive number",
        ),
        (MINIMAL.replace("id: three-d", "id: Three D"), "areas[0].subtopics[0].id", "slug"),
        (
            MINIMAL.replace("        description: 3D things.\n", ""),
            "areas[0].subtopics[0].description",
            "one-line",
        ),
        (
            MINIMAL.replace("categories: [cs.CV]", "categories: [cs.CV]\n    colour: red"),
            "areas[0].colour",
            "unknown key",
        ),
        (
            MINIMAL.replace("[cs.CV]", "['not a category']"),
            "areas[0].categories",
            "arXiv categories",
        ),
        ("version: 1\nareas: []\n", "areas", "non-empty list"),
    ],
)
def test_malformed_taxonomy_names_file_and_key(
    tmp_path: Path, broken: str, key: str, expected: str
) -> None:
    path = tmp_path / "topics.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_taxonomy(path)
    message = str(caught.value)
    assert str(path) in message
    assert f"{key}:" in message
    assert expected in message


def test_duplicate_subtopic_ids_are_reported(tmp_path: Path) -> None:
    doubled = MINIMAL + MINIMAL.split("subtopics:\n", 1)[1]
    path = tmp_path / "topics.yaml"
    path.write_text(doubled, encoding="utf-8")
    with pytest.raises(
        ConfigError, match=r"areas\[0\]\.subtopics\[1\]\.id: duplicate section id 'cv-three-d'"
    ):
        load_taxonomy(path)


def test_invalid_yaml_and_missing_file_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "topics.yaml"
    path.write_text("areas: [\n  - id: x\n bad", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"{path}:\d+: invalid YAML"):
        load_taxonomy(path)
    with pytest.raises(ConfigError, match="taxonomy file not found"):
        load_taxonomy(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="taxonomy file not found"):
        group_papers(
            [Paper(id="2602.00001", title="x", categories=("cs.CV",))],
            GroupingConfig(taxonomy=tmp_path / "missing.yaml"),
        )
