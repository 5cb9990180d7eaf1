"""Compose: which TL;DR each language shows, Highlights, repeats; and the JSON round trip."""

from __future__ import annotations

from datetime import UTC, datetime

from newsletter.compose import HIGHLIGHTS_ID, SEEN_BEFORE_ID, UNSORTED_ID, compose_edition
from newsletter.edition_json import edition_from_dict, edition_to_dict
from newsletter.history import first_seen, ids_json
from newsletter.model import (
    Bilingual,
    Digest,
    Grouping,
    Highlight,
    Paper,
    Rewrite,
    Rewrites,
    Section,
    Summary,
)
from newsletter.render.textwrap_cjk import display_width, wrap
from newsletter.tldr import offline_tldr, split_sentences

ABSTRACT = (
    "Large models are costly. In this paper, we propose FastThing, which cuts cost by 3.5x "
    "on e.g. ImageNet. Experiments confirm it."
)


def paper(pid: str, **kwargs) -> Paper:
    defaults = dict(
        title=f"Paper {pid}",
        authors=("A. Author",),
        categories=("cs.CV",),
        abstract=ABSTRACT,
        abs_url=f"https://arxiv.org/abs/{pid}",
        pdf_url=f"https://arxiv.org/pdf/{pid}",
        summary=Summary(tldr="中文摘要。"),
        summary_language="zh",
    )
    defaults.update(kwargs)
    return Paper(id=pid, **defaults)


def digest(*papers: Paper) -> Digest:
    return Digest(date="2026-02-10", source="test.md", format="markdown:current", papers=papers)


def grouping(*ids: str, highlights=()) -> Grouping:
    return Grouping(
        sections=(Section(id="cv-3d", title=Bilingual("3D vision", "三维视觉"), paper_ids=ids),),
        highlights=highlights,
        method="taxonomy",
    )


def test_offline_english_tldr_prefers_the_contribution_sentence():
    assert offline_tldr(ABSTRACT).startswith("In this paper, we propose FastThing")
    assert "e.g. ImageNet" in offline_tldr(ABSTRACT)  # not split at the abbreviation
    assert offline_tldr("") is None
    assert split_sentences("It reaches 92.5% accuracy. Then it stops.") == [
        "It reaches 92.5% accuracy.",
        "Then it stops.",
    ]
    long = "We propose " + "very " * 200 + "long things."
    assert len(offline_tldr(long)) <= 321 and offline_tldr(long).endswith("…")


def test_tldr_sources_digest_abstract_and_llm():
    papers = (paper("2602.00001"), paper("2602.00002"), paper("2602.00003"))
    rewrites = Rewrites(
        by_paper=(
            Rewrite("2602.00001", "llm", Bilingual("LLM English.", "LLM 中文。"), title_zh="标题"),
            Rewrite("2602.00002", "failed", failure="timeout"),
        )
    )
    edition = compose_edition(
        digest(*papers), grouping(*(p.id for p in papers)), language="bilingual", rewrites=rewrites
    )
    entries = {e.paper.id: e for e in edition.sections[0].entries}
    assert entries["2602.00001"].tldr == Bilingual("LLM English.", "LLM 中文。")
    assert entries["2602.00001"].title_zh == "标题"
    assert entries["2602.00001"].tldr_source == Bilingual("llm", "llm")
    # A failed rewrite keeps the digest's summary and the abstract's sentence, and is marked.
    failed = entries["2602.00002"]
    assert failed.tldr.zh == "中文摘要。" and failed.tldr.en.startswith("In this paper")
    assert failed.tldr_source == Bilingual("abstract", "digest")
    assert failed.rewrite_failure == "timeout"
    assert entries["2602.00003"].rewrite_failure is None


def test_english_digest_summary_is_used_for_english():
    english = paper("2602.00004", summary=Summary(tldr="An English summary."), summary_language="en")
    edition = compose_edition(digest(english), grouping(english.id), language="en")
    entry = edition.sections[0].entries[0]
    assert entry.tldr == Bilingual("An English summary.", None)


def test_highlights_come_first_and_papers_stay_in_their_section():
    papers = (paper("2602.00001"), paper("2602.00002"))
    edition = compose_edition(
        digest(*papers),
        grouping("2602.00001", "2602.00002", highlights=(Highlight("2602.00002", ("keyword: FastThing",)),)),
        language="bilingual",
    )
    assert [s.id for s in edition.sections] == [HIGHLIGHTS_ID, "cv-3d"]
    assert edition.sections[0].entries[0].highlight_reasons == ("keyword: FastThing",)
    assert edition.sections[0].entries[0].section_id == "cv-3d"
    assert len(edition.sections[1].entries) == 2
    assert edition.paper_count == 2


def test_repeats_move_keep_drop():
    papers = (paper("2602.00001"), paper("2602.00002"))
    seen = {"2602.00001": "2026-02-06"}
    moved = compose_edition(digest(*papers), grouping(*(p.id for p in papers)), language="bilingual", seen_on=seen)
    assert [s.id for s in moved.sections] == ["cv-3d", SEEN_BEFORE_ID]
    assert moved.sections[1].entries[0].seen_on == "2026-02-06"
    kept = compose_edition(digest(*papers), grouping(*(p.id for p in papers)), language="bilingual", seen_on=seen, repeats="keep")
    assert [len(s.entries) for s in kept.sections] == [2]
    dropped = compose_edition(digest(*papers), grouping(*(p.id for p in papers)), language="bilingual", seen_on=seen, repeats="drop")
    assert [len(s.entries) for s in dropped.sections] == [1]
    assert dict(dropped.stats)["repeats_dropped"] == 1


def test_a_paper_the_grouping_forgot_is_still_in_the_edition():
    papers = (paper("2602.00001"), paper("2602.00002"))
    edition = compose_edition(digest(*papers), grouping("2602.00001"), language="bilingual")
    assert [s.id for s in edition.sections] == ["cv-3d", UNSORTED_ID]
    assert edition.paper_count == 2


def test_edition_json_round_trip():
    papers = (paper("2602.00001", extra=(("AI_Comments", "good"),), keywords=("a", "b")), paper("2602.00002"))
    edition = compose_edition(
        digest(*papers),
        grouping("2602.00001", "2602.00002", highlights=(Highlight("2602.00001", ("author",)),)),
        language="bilingual",
        now=datetime(2026, 2, 10, tzinfo=UTC),
    )
    again = edition_from_dict(edition_to_dict(edition))
    assert again == edition


def test_first_seen_only_looks_at_earlier_days(tmp_path):
    for date, ids in (("2026-02-05", ["a", "b"]), ("2026-02-06", ["b", "c"]), ("2026-02-09", ["d"])):
        (tmp_path / date).mkdir()
        (tmp_path / date / "edition.json").write_text("{}")
        (tmp_path / date / "ids.json").write_text(ids_json(ids))
    assert first_seen(tmp_path, "2026-02-07", {"a", "b", "c", "d"}) == {"a": "2026-02-05", "b": "2026-02-05", "c": "2026-02-06"}
    assert first_seen(tmp_path, "2026-02-06", {"c", "d"}) == {}


def test_cjk_aware_wrapping():
    text = "SuperHead是一个从低质量源创建高质量可动画3D头部化身的框架，通过动态感知的3D反演方案。 Then English words follow."
    lines = wrap(text, width=30, initial_indent="  ", subsequent_indent="  ").splitlines()
    # Closing punctuation may hang past the margin (never starts a line): at most 2 columns.
    for line in lines:
        assert display_width(line) <= 30 or (display_width(line) <= 32 and line[-1] in "，。")
    assert all(not line.strip().startswith("，") for line in lines)
    assert "".join(line.strip() for line in lines).replace(" ", "") == text.replace(" ", "")
