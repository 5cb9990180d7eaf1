"""The static archive: pages, incremental updates, the Atom feed, the search index, escaping.

Editions are composed from small hand-made digests (the real ``compose_edition`` and
``edition_to_json``) and written where the pipeline writes them; the site is rendered from
those ``edition.json`` files alone. The helpers here are shared with the browser tests.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hostile import HOSTILE_TEXT
from lxml import etree, html

from newsletter.archive import SiteReport, update_site
from newsletter.cli import main
from newsletter.compose import compose_edition
from newsletter.config import Config, load_config
from newsletter.edition_json import edition_to_json
from newsletter.errors import NewsletterError
from newsletter.history import IDS_FILE, first_seen, ids_json
from newsletter.model import (
    Bilingual,
    Digest,
    Edition,
    Grouping,
    Highlight,
    Paper,
    Section,
    Summary,
)
from newsletter.writer import atomic_write_bytes

ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE_SCRIPT = "<script>window.__pwned = 1</script> Hostile script title"
HOSTILE_IMG = 'Hostile image title <img src=x onerror="window.__pwned = 2">'


def make_paper(pid: str, title: str, category: str = "cs.CV", **changes) -> Paper:
    fields = {
        "id": pid,
        "title": title,
        "authors": ("Ada Lovelace", "Alan Turing"),
        "categories": (category, "cs.LG"),
        "abstract": f"We study {title.lower()} in $O(n^2)$ time.\n\nA second paragraph.",
        "abs_url": f"https://arxiv.org/abs/{pid}",
        "pdf_url": f"https://arxiv.org/pdf/{pid}",
        "summary": Summary(
            tldr=f"{title}的中文摘要。",
            motivation="动机。",
            method="方法。",
            result="结果。",
            conclusion="结论。",
        ),
        "summary_language": "zh",
        "title_translation": f"{title}（中文标题）",
        "keywords": ("vision",),
    }
    fields.update(changes)
    return Paper(**fields)


def category_grouping(papers: list[Paper], highlights: tuple[str, ...] = ()) -> Grouping:
    sections: dict[str, list[str]] = {}
    for paper in papers:
        sections.setdefault(paper.categories[0], []).append(paper.id)
    return Grouping(
        sections=tuple(
            Section(
                id=category.lower().replace(".", "-"),
                title=Bilingual(en=f"Topic {category}", zh=f"主题 {category}"),
                paper_ids=tuple(ids),
            )
            for category, ids in sections.items()
        ),
        highlights=tuple(
            Highlight(paper_id=pid, reasons=("keyword: vision",)) for pid in highlights
        ),
    )


def write_day(
    out_dir: Path,
    date: str,
    papers: list[Paper],
    *,
    repeats: str = "move",
    highlights: tuple[str, ...] = (),
) -> Edition:
    """Compose ``date``'s edition as the pipeline does and write edition.json + ids.json."""
    digest = Digest(date=date, source=f"test:{date}", format="test", papers=tuple(papers))
    seen = first_seen(out_dir, date, {p.id for p in papers})
    edition = compose_edition(
        digest,
        category_grouping(papers, highlights),
        language="bilingual",
        seen_on=seen,
        repeats=repeats,
    )
    atomic_write_bytes(out_dir / date / "edition.json", edition_to_json(edition).encode())
    atomic_write_bytes(out_dir / date / IDS_FILE, ids_json([p.id for p in papers]).encode())
    return edition


def site_config(out_dir: Path, **archive: object) -> Config:
    return load_config(
        None, {"out_dir": str(out_dir), "archive": archive}, search=False, environ={}
    )


def three_days(out_dir: Path) -> list[str]:
    """Days in two months; the January day has a topic (cs.RO) the others lack."""
    write_day(
        out_dir,
        "2026-01-30",
        [make_paper("2601.00001", "Robot Arms", "cs.RO"), make_paper("2601.00002", "Depth Maps")],
    )
    write_day(
        out_dir,
        "2026-02-02",
        [
            make_paper("2602.00001", "Gaussian Splats"),
            make_paper("2602.00002", "Language Agents", "cs.CL"),
        ],
        highlights=("2602.00001",),
    )
    write_day(out_dir, "2026-02-03", [make_paper("2602.00003", "Video Diffusion")])
    return ["2026-01-30", "2026-02-02", "2026-02-03"]


def parse(path: Path):
    return html.fromstring(path.read_bytes())


def mtimes(site: Path) -> dict[str, int]:
    return {str(p.relative_to(site)): p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()}


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"


def test_full_build_writes_every_page(out: Path) -> None:
    dates = three_days(out)
    config = site_config(out)
    report = update_site(config)
    site = config.site_dir
    assert report.full and report.days == tuple(dates)
    assert report.rendered_days == tuple(dates)
    for name in (
        "index.html",
        "feed.xml",
        "search.html",
        "search-index.json",
        "static/site.css",
        "static/lang.js",
        "static/search.js",
        "topics/cs-ro.html",
        "topics/cs-cv.html",
        "topics/cs-cv/2026-01.html",
        "topics/cs-cv/2026-02.html",
        "topics/cs-cl.html",
    ):
        assert (site / name).is_file(), name
    assert sorted(report.rendered_topics) == ["cs-cl", "cs-cv", "cs-ro"]

    index = parse(site / "index.html")
    assert [a.text for a in index.cssselect("a.day-link")] == list(reversed(dates))
    assert index.cssselect("a.day-link")[0].get("href") == "2026-02-03/index.html"
    # Relative links only: the site works from any sub-path.
    for doc in (
        index,
        parse(site / "2026-02-02" / "index.html"),
        parse(site / "topics/cs-cv.html"),
    ):
        for element in doc.iter("a", "link", "script"):
            target = element.get("href") or element.get("src") or ""
            assert not target.startswith("/"), target


def test_day_page_has_the_full_edition(out: Path) -> None:
    three_days(out)
    config = site_config(out)
    update_site(config)
    page = parse(config.site_dir / "2026-02-02" / "index.html")
    assert page.get("lang") == "en" and "lang-bi" in page.get("class")
    assert page.cssselect("h1")[0].text == "2026-02-02"
    toc = [a.get("href") for a in page.cssselect("nav.toc a")]
    assert toc == ["#highlights", "#cs-cv", "#cs-cl"]
    assert page.get_element_by_id("cs-cv").tag == "section"
    assert page.cssselect("a[rel=prev]")[0].get("href") == "../2026-01-30/index.html"
    assert page.cssselect("a[rel=next]")[0].get("href") == "../2026-02-03/index.html"
    article = page.get_element_by_id("p-2602.00001")
    text = article.text_content()
    for expected in (
        "Gaussian Splats",
        "Gaussian Splats（中文标题）",
        "动机。",
        "方法。",
        "结果。",
        "结论。",
        "A second paragraph.",
        "vision",
        "Ada Lovelace, Alan Turing",
    ):
        assert expected in text, expected
    assert "O(n²)" in text  # math made legible
    assert [a.get("href") for a in article.cssselect("p.links a")] == [
        "https://arxiv.org/abs/2602.00001",
        "https://arxiv.org/pdf/2602.00001",
    ]
    zh_tldr = article.cssselect("p.tldr[lang=zh-CN]")[0]
    assert "l-zh" in zh_tldr.get("class") and "中文摘要" in zh_tldr.text_content()
    # Highlights link to the paper's full entry on the same page.
    assert page.cssselect("#highlights h3 a")[0].get("href") == "#p-2602.00001"
    first = parse(config.site_dir / "2026-01-30" / "index.html")
    assert not first.cssselect("a[rel=prev]") and first.cssselect("a[rel=next]")


def test_adding_a_day_renders_only_what_it_touches(out: Path) -> None:
    three_days(out)
    config = site_config(out)
    update_site(config)
    before = mtimes(config.site_dir)
    write_day(out, "2026-02-04", [make_paper("2602.00004", "Optical Flow")])
    report = update_site(config, ["2026-02-04"])
    after = mtimes(config.site_dir)
    changed = {name for name in after if after[name] != before.get(name)}

    assert not report.full
    assert report.rendered_days == ("2026-02-03", "2026-02-04")  # the new day and its neighbour
    assert report.rendered_topics == ("cs-cv",)
    assert changed == {
        "2026-02-03/index.html",
        "2026-02-04/index.html",
        "index.html",
        "feed.xml",
        "search-index.json",
        "topics/cs-cv.html",
        "topics/cs-cv/2026-02.html",
        ".rows/2026-02-04.json",
        ".manifest.json",
    }
    assert {str(p.relative_to(config.site_dir)) for p in report.written} == changed
    previous = parse(config.site_dir / "2026-02-03" / "index.html")
    assert previous.cssselect("a[rel=next]")[0].get("href") == "../2026-02-04/index.html"

    again = update_site(config, [])
    assert again.rendered_days == () and again.rendered_topics == ()


def test_a_rebuilt_edition_is_noticed_without_being_named(out: Path) -> None:
    three_days(out)
    config = site_config(out)
    update_site(config)
    write_day(out, "2026-02-02", [make_paper("2602.00001", "Renamed Splats")])
    stamp = (out / "2026-02-02" / "edition.json").stat()
    os.utime(out / "2026-02-02" / "edition.json", ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 10**9))
    report = update_site(config, [])
    assert report.rendered_days == ("2026-02-02",)
    # cs-cl lost its only paper: its pages are removed; cs-cv's are re-rendered.
    assert report.rendered_topics == ("cs-cv",)
    assert config.site_dir / "topics/cs-cl.html" in report.removed
    assert not (config.site_dir / "topics/cs-cl.html").exists()
    assert "Renamed Splats" in (config.site_dir / "topics/cs-cv.html").read_text()


def test_a_removed_day_disappears_and_its_neighbours_relink(out: Path) -> None:
    three_days(out)
    config = site_config(out)
    update_site(config)
    (out / "2026-02-02" / "edition.json").unlink()
    report = update_site(config, [])
    assert report.days == ("2026-01-30", "2026-02-03")
    assert set(report.rendered_days) == {"2026-01-30", "2026-02-03"}
    assert not (config.site_dir / "2026-02-02" / "index.html").exists()
    first = parse(config.site_dir / "2026-01-30" / "index.html")
    assert first.cssselect("a[rel=next]")[0].get("href") == "../2026-02-03/index.html"


def test_full_flag_and_changed_settings_rebuild_everything(out: Path) -> None:
    three_days(out)
    update_site(site_config(out))
    assert update_site(site_config(out), [], full=True).rendered_days == (
        "2026-01-30",
        "2026-02-02",
        "2026-02-03",
    )
    moved = site_config(out, base_url="https://example.org/news/")
    report = update_site(moved, [])
    assert report.full and len(report.rendered_days) == 3


def test_requesting_a_day_without_an_edition_is_an_error(out: Path) -> None:
    three_days(out)
    with pytest.raises(NewsletterError, match="no edition.json for 2026-03-01"):
        update_site(site_config(out), ["2026-03-01"])


def test_feed_is_valid_atom_with_one_entry_per_day(out: Path) -> None:
    dates = three_days(out)
    config = site_config(out, feed_entries=2)
    update_site(config)
    feed = etree.fromstring((config.site_dir / "feed.xml").read_bytes())
    assert feed.tag == f"{ATOM}feed"
    assert feed.find(f"{ATOM}id").text and feed.find(f"{ATOM}updated").text
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    links = [e.find(f"{ATOM}link").get("href") for e in entries]
    assert links == [f"{d}/index.html" for d in reversed(dates[1:])]
    assert "2 papers" in entries[1].find(f"{ATOM}title").text
    ids = [e.find(f"{ATOM}id").text for e in entries]
    assert len(set(ids)) == 2
    content = entries[1].find(f"{ATOM}content")
    assert content.get("type") == "html" and "Gaussian Splats" in content.text

    absolute = site_config(out, base_url="https://example.org/news/")
    update_site(absolute, [], full=True)
    feed = etree.fromstring((absolute.site_dir / "feed.xml").read_bytes())
    first = feed.findall(f"{ATOM}entry")[0].find(f"{ATOM}link").get("href")
    assert first == "https://example.org/news/2026-02-03/index.html"
    # Ids do not depend on where the site is hosted.
    assert [e.find(f"{ATOM}id").text for e in feed.findall(f"{ATOM}entry")][:2] == ids


def test_search_index_lists_each_listed_paper_once_per_day(out: Path) -> None:
    three_days(out)
    config = site_config(out)
    update_site(config)
    index = json.loads((config.site_dir / "search-index.json").read_text())
    fields = index["fields"]
    assert fields == ["id", "date", "section", "title", "title_zh", "authors", "tldr_en", "tldr_zh"]
    rows = [dict(zip(fields, row, strict=True)) for row in index["papers"]]
    # Newest day first; the Highlight of 2026-02-02 is not listed twice.
    assert [r["id"] for r in rows] == [
        "2602.00003",
        "2602.00001",
        "2602.00002",
        "2601.00001",
        "2601.00002",
    ]
    splats = rows[1]
    assert splats["date"] == "2026-02-02" and splats["section"] == "cs-cv"
    assert splats["title_zh"] == "Gaussian Splats（中文标题）"
    assert splats["authors"] == "Ada Lovelace, Alan Turing"
    assert splats["tldr_en"].startswith("We study gaussian splats")
    assert splats["tldr_zh"] == "Gaussian Splats的中文摘要。"
    assert index["sections"]["cs-cl"] == ["Topic cs.CL", "主题 cs.CL"]


def test_topic_pages_span_days_newest_first(out: Path) -> None:
    three_days(out)
    config = site_config(out)
    update_site(config)
    topic = parse(config.site_dir / "topics" / "cs-cv.html")
    days = [a.text for a in topic.cssselect("section.topic-day h2 a")]
    assert days == ["2026-02-03", "2026-02-02", "2026-01-30"]
    links = [a.get("href") for a in topic.cssselect("article h3 a")]
    assert links[0] == "../2026-02-03/index.html#p-2602.00003"
    months = [a.get("href") for a in topic.cssselect("nav.months a")]
    assert months == ["cs-cv/2026-02.html", "cs-cv/2026-01.html"]
    january = parse(config.site_dir / "topics" / "cs-cv" / "2026-01.html")
    assert [a.get("href") for a in january.cssselect("article h3 a")] == [
        "../../2026-01-30/index.html#p-2601.00002"
    ]


def test_hostile_text_shows_as_text_and_never_as_markup(out: Path) -> None:
    write_day(
        out,
        "2026-02-02",
        [
            make_paper("2602.00011", HOSTILE_SCRIPT, abs_url="javascript:alert(1)"),
            make_paper("2602.00012", HOSTILE_IMG, title_translation='<b onmouseover="x()">粗</b>'),
            make_paper(
                "2602.00013",
                HOSTILE_TEXT,
                comment=HOSTILE_TEXT,
                keywords=(HOSTILE_TEXT,),
                code_url="javascript:alert(1)",
                extra=(("AI_Comments", HOSTILE_TEXT),),
            ),
        ],
        highlights=("2602.00011",),
    )
    config = site_config(out)
    update_site(config)
    for name in ("2026-02-02/index.html", "topics/cs-cv.html", "index.html", "search.html"):
        page = parse(config.site_dir / name)
        scripts = page.cssselect("script")
        assert all(s.get("src", "").endswith(".js") and not (s.text or "").strip() for s in scripts)
        assert not [e for e in page.iter() if any(a.startswith("on") for a in e.attrib)], name
        assert not page.cssselect("img, b, iframe, svg, p[style]"), name
        assert all(not (a.get("href") or "").startswith("javascript:") for a in page.iter("a"))
    day = parse(config.site_dir / "2026-02-02" / "index.html")
    text = day.text_content()
    assert HOSTILE_SCRIPT in text and HOSTILE_IMG in text and '<b onmouseover="x()">粗</b>' in text
    assert "{{ 7*7 }}" in text and "<iframe src=//evil.example></iframe>" in text
    title_link = day.get_element_by_id("p-2602.00011").cssselect("h3 a")[0]
    assert title_link.get("href") == "#"


def test_cli_archive_builds_and_reports(out: Path) -> None:
    three_days(out)
    runner = CliRunner()
    result = runner.invoke(main, ["archive", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "site full rebuild: 3 days" in result.output
    again = runner.invoke(main, ["archive", "--out", str(out)])
    assert "site update: 3 days, 0 day pages" in again.output
    full = runner.invoke(main, ["archive", "--out", str(out), "--full"])
    assert "site full rebuild" in full.output


def test_empty_archive_has_an_index(out: Path) -> None:
    config = site_config(out)
    report = update_site(config)
    assert isinstance(report, SiteReport) and report.days == ()
    assert "No editions yet." in (config.site_dir / "index.html").read_text()
    feed = etree.fromstring((config.site_dir / "feed.xml").read_bytes())
    assert feed.findall(f"{ATOM}entry") == []
