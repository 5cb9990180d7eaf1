"""Repeats across days, end to end: digests in a folder, ``build_edition`` for each day, the
``ids.json`` it leaves, and what a later (or an earlier) day makes of them.

Day 1 lists A, B, C; day 2 lists B, C, D (a weekend file repeating Friday's papers).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import html

from newsletter.archive import update_site
from newsletter.cli import main
from newsletter.config import Config, load_config
from newsletter.history import IDS_FILE, edition_dates, first_seen
from newsletter.pipeline import build_edition
from newsletter.writer import atomic_write_bytes

DAY1, DAY2 = "2026-02-05", "2026-02-06"
PAPERS = {
    "A": ("2602.10001", "Alpha Segmentation"),
    "B": ("2602.10002", "Beta Depth Estimation"),
    "C": ("2602.10003", "Gamma Video Models"),
    "D": ("2602.10004", "Delta Point Clouds"),
}


def digest_markdown(keys: str) -> str:
    """A digest in the current Markdown layout of the daily arXiv digests."""
    lines = [
        "<div id=toc></div>",
        "",
        "# Table of Contents",
        "",
        f"- [cs.CV](#cs.CV) [Total: {len(keys)}]",
        "",
        "",
        "<div id='cs.CV'></div>",
        "",
        "# cs.CV [[Back]](#toc)",
        "",
    ]
    for n, key in enumerate(keys, start=1):
        pid, title = PAPERS[key]
        lines += [
            f"### [{n}] [{title}](https://arxiv.org/abs/{pid})",
            "*Ada Lovelace,Alan Turing*",
            "",
            "Main category: cs.CV",
            "",
            f"TL;DR: {title}的中文摘要。",
            "",
            "",
            "<details>",
            "  <summary>Details</summary>",
            "Motivation: 动机。",
            "",
            "Method: 方法。",
            "",
            "Result: 结果。",
            "",
            "Conclusion: 结论。",
            "",
            f"Abstract: We study {title.lower()}. It works.",
            "",
            "</details>",
            "",
            "",
        ]
    return "\n".join(lines)


def config_for(tmp_path: Path, repeats: str = "move") -> Config:
    digests = tmp_path / "digests"
    for date, keys in ((DAY1, "ABC"), (DAY2, "BCD"), ("2026-02-04", "B")):
        atomic_write_bytes(digests / f"{date}.md", digest_markdown(keys).encode())
    return load_config(
        None,
        {
            "source": str(digests),
            "out_dir": str(tmp_path / "out"),
            "grouping": {"mode": "category"},
            "archive": {"repeats": repeats},
        },
        search=False,
        environ={},
    )


def ids_in(sections, kind: str) -> list[str]:
    return [e.paper.id for s in sections if s.kind == kind for e in s.entries]


def test_repeats_are_marked_and_moved_to_seen_before(tmp_path: Path) -> None:
    config = config_for(tmp_path)
    first = build_edition(config, DAY1).edition
    assert all(e.seen_on is None for s in first.sections for e in s.entries)
    assert (config.out_dir / DAY1 / IDS_FILE).is_file()

    second = build_edition(config, DAY2).edition
    a, b, c, d = (PAPERS[k][0] for k in "ABCD")
    assert ids_in(second.sections, "topic") == [d]
    assert ids_in(second.sections, "seen_before") == [b, c]
    assert second.sections[-1].kind == "seen_before"
    assert second.sections[-1].title.zh == "往期已收录"
    assert {e.seen_on for e in second.sections[-1].entries} == {DAY1}
    assert dict(second.stats)["repeats"] == 2

    update_site(config)
    page = html.fromstring((config.site_dir / DAY2 / "index.html").read_bytes())
    links = [a.get("href") for a in page.cssselect("#seen-before a.seen-on")]
    assert links == [f"../{DAY1}/index.html#p-{b}", f"../{DAY1}/index.html#p-{c}"]
    # ... and the day it links to does have those anchors.
    earlier = html.fromstring((config.site_dir / DAY1 / "index.html").read_bytes())
    assert earlier.get_element_by_id(f"p-{b}") is not None
    # The search index and topic pages list each paper on the day it was new.
    assert (config.site_dir / "search-index.json").read_text().count(b) == 1


def test_repeats_keep_leaves_them_in_place_but_marked(tmp_path: Path) -> None:
    config = config_for(tmp_path, repeats="keep")
    build_edition(config, DAY1)
    second = build_edition(config, DAY2).edition
    b, c, d = (PAPERS[k][0] for k in "BCD")
    assert ids_in(second.sections, "topic") == [b, c, d]
    assert ids_in(second.sections, "seen_before") == []
    seen = {e.paper.id: e.seen_on for s in second.sections for e in s.entries}
    assert seen == {b: DAY1, c: DAY1, d: None}
    update_site(config)
    article = html.fromstring(
        (config.site_dir / DAY2 / "index.html").read_bytes()
    ).get_element_by_id(f"p-{b}")
    assert article.cssselect("p.note a")[0].get("href") == f"../{DAY1}/index.html#p-{b}"


def test_repeats_drop_removes_them(tmp_path: Path) -> None:
    config = config_for(tmp_path, repeats="drop")
    build_edition(config, DAY1)
    second = build_edition(config, DAY2).edition
    assert [e.paper.id for s in second.sections for e in s.entries] == [PAPERS["D"][0]]
    assert dict(second.stats)["repeats_dropped"] == 2


def test_previewing_a_past_date_only_looks_at_earlier_dates(tmp_path: Path) -> None:
    config = config_for(tmp_path)
    build_edition(config, DAY1)
    build_edition(config, DAY2)
    # Rebuilding day 1 after day 2 exists: day 2 is its future, not its past.
    again = build_edition(config, DAY1).edition
    assert all(e.seen_on is None for s in again.sections for e in s.entries)
    # A day before both lists B: nothing before it, so B is new there.
    earliest = build_edition(config, "2026-02-04").edition
    assert ids_in(earliest.sections, "seen_before") == []
    # ... and from now on day 2's B was first seen on 2026-02-04, the earliest date.
    assert first_seen(config.out_dir, DAY2, {PAPERS["B"][0]}) == {PAPERS["B"][0]: "2026-02-04"}


def test_first_seen_reads_ids_json_and_tolerates_a_broken_one(tmp_path: Path) -> None:
    out = tmp_path / "out"
    for date, ids in (
        ("2026-01-01", '["x1", "x2"]'),
        ("2026-01-02", "not json"),
        ("2026-01-03", '["x2", "x3"]'),
        ("2026-01-05", '["x4"]'),
    ):
        atomic_write_bytes(out / date / IDS_FILE, ids.encode())
        atomic_write_bytes(out / date / "edition.json", b"{}")
    atomic_write_bytes(out / "notes" / "edition.json", b"{}")  # not a date: ignored
    assert edition_dates(out) == ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-05"]
    assert first_seen(out, "2026-01-04", {"x1", "x2", "x3", "x4", "x5"}) == {
        "x1": "2026-01-01",
        "x2": "2026-01-01",
        "x3": "2026-01-03",
    }
    assert first_seen(out, "2026-01-01", {"x1"}) == {}
    assert first_seen(tmp_path / "missing", "2026-01-01", {"x1"}) == {}


@pytest.mark.parametrize("enabled", [True, False])
def test_build_updates_the_site_when_the_archive_is_enabled(tmp_path: Path, enabled: bool) -> None:
    config = config_for(tmp_path)
    config_file = tmp_path / "newsletter.yaml"
    atomic_write_bytes(
        config_file,
        (
            f"source: {config.source}\nout_dir: {config.out_dir}\ngrouping:\n  mode: category\n"
            f"archive:\n  enabled: {str(enabled).lower()}\n"
        ).encode(),
    )
    result = CliRunner().invoke(main, ["build", "--date", DAY1, "--config", str(config_file), "-q"])
    assert result.exit_code == 0, result.output
    assert (config.site_dir / DAY1 / "index.html").is_file() is enabled
