"""Reader interests: English and Chinese keywords and authors become Highlights with reasons."""

from __future__ import annotations

from newsletter.config import GroupingConfig
from newsletter.group import group_papers
from newsletter.model import Paper, Summary

PAPERS = [
    Paper(
        id="2602.00001",
        title="Fast Gaussian Splatting for Large Scenes",
        authors=("Ana Núñez", "Wei Zhang"),
        categories=("cs.CV",),
        abstract="We render scenes in real time.",
    ),
    Paper(
        id="2602.00002",
        title="A study of token pruning",
        authors=("Kaiming He",),
        categories=("cs.CV",),
        abstract="Efficient vision transformers with Gaussian splatting priors.",
        summary=Summary(tldr="本文提出一种扩散模型加速方法。"),
        summary_language="zh",
    ),
    Paper(
        id="2602.00003",
        title="Unrelated work on speech",
        authors=("Someone Else",),
        categories=("cs.SD",),
        title_translation="语音识别的扩散模型",
    ),
]


def _config(**interests) -> GroupingConfig:
    return GroupingConfig(interests=interests)


def test_english_keyword_matches_title_before_abstract_and_says_where() -> None:
    grouping = group_papers(PAPERS, _config(keywords=["gaussian splatting"]))
    assert [(h.paper_id, h.reasons) for h in grouping.highlights] == [
        ("2602.00001", ("keyword “gaussian splatting” in title",)),
        ("2602.00002", ("keyword “gaussian splatting” in abstract",)),
    ]


def test_chinese_keyword_matches_summary_and_translated_title() -> None:
    grouping = group_papers(PAPERS, _config(keywords=["扩散模型"]))
    reasons = {h.paper_id: h.reasons for h in grouping.highlights}
    assert reasons == {
        "2602.00003": ("keyword “扩散模型” in title",),
        "2602.00002": ("keyword “扩散模型” in summary",),
    }
    assert grouping.highlights[0].paper_id == "2602.00003"  # title match ranks first


def test_author_match_ignores_case_accents_and_name_order() -> None:
    grouping = group_papers(PAPERS, _config(authors=["nunez, ana", "KAIMING HE", "Nobody"]))
    assert [(h.paper_id, h.reasons) for h in grouping.highlights] == [
        ("2602.00001", ("author Ana Núñez",)),
        ("2602.00002", ("author Kaiming He",)),
    ]


def test_more_reasons_rank_higher_and_limit_applies() -> None:
    config = GroupingConfig(
        interests={"keywords": ["gaussian splatting", "pruning"], "authors": ["Kaiming He"]},
        max_highlights=1,
    )
    grouping = group_papers(PAPERS, config)
    assert len(grouping.highlights) == 1
    assert grouping.highlights[0].paper_id == "2602.00002"
    assert len(grouping.highlights[0].reasons) == 3


def test_keyword_needs_whole_words_and_no_interests_means_no_highlights() -> None:
    assert group_papers(PAPERS, _config(keywords=["splat"])).highlights == ()
    assert group_papers(PAPERS, GroupingConfig()).highlights == ()
    zero = GroupingConfig(interests={"keywords": ["pruning"]}, max_highlights=0)
    assert group_papers(PAPERS, zero).highlights == ()


def test_highlighted_papers_stay_in_their_subtopic() -> None:
    grouping = group_papers(PAPERS, _config(keywords=["gaussian splatting"]))
    listed = {pid for s in grouping.sections for pid in s.paper_ids}
    assert {h.paper_id for h in grouping.highlights} <= listed
