"""The email edition within its size budget, with every paper still reachable.

Built end to end (ingest -> group -> compose -> render -> write) for the bundled sample day
and the 532-paper day of ../shared/digests, in bilingual mode; ``email.eml`` is what the
budget measures. Structure is checked on the parsed HTML.
"""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

import lxml.html
import pytest
from email_checks import build_day

from newsletter.pipeline import BuildResult, format_build_summary

from testpaths import SAMPLE_DATE, SAMPLE_DIGESTS, SHARED_DIGESTS

BIG_DAY = ("dw-dengwei", "2026-06-30")
BUDGET = 100_000
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def sample_day(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    return build_day(SAMPLE_DIGESTS, SAMPLE_DATE, tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module")
def big_day(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    folder = SHARED_DIGESTS / BIG_DAY[0]
    if not (folder / f"{BIG_DAY[1]}.md").is_file():
        pytest.skip(f"{folder}/{BIG_DAY[1]}.md is not present")
    return build_day(folder, BIG_DAY[1], tmp_path_factory.mktemp("big"))


def _eml(result: BuildResult) -> bytes:
    return (result.edition_dir / "email.eml").read_bytes()


def _document(result: BuildResult) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((result.edition_dir / "email.html").read_text(encoding="utf-8"))


def _hrefs(document: lxml.html.HtmlElement) -> set[str]:
    return {a.get("href") for a in document.iter("a") if a.get("href")}


def assert_every_paper_reachable(result: BuildResult) -> None:
    """Each paper's arXiv link is in the email, or its section's web link is."""
    hrefs = _hrefs(_document(result))
    web_url = result.email.web_url
    missing = []
    for section in result.edition.sections:
        section_link = f"{web_url}#{section.id}" if web_url else None
        for entry in section.entries:
            if entry.paper.abs_url not in hrefs and section_link not in hrefs:
                missing.append(f"{entry.paper.id} ({section.id})")
    assert not missing, f"{len(missing)} papers cannot be reached from the email: {missing[:10]}"


@pytest.mark.parametrize("day", ["sample_day", "big_day"])
def test_encoded_message_fits_the_budget(day: str, request: pytest.FixtureRequest) -> None:
    result: BuildResult = request.getfixturevalue(day)
    size = len(_eml(result))
    assert size <= BUDGET, f"email.eml is {size:,} bytes, over the {BUDGET:,} budget"
    assert result.email_report.fits and result.email_report.size == size


@pytest.mark.parametrize("day", ["sample_day", "big_day"])
def test_every_paper_is_reachable(day: str, request: pytest.FixtureRequest) -> None:
    result: BuildResult = request.getfixturevalue(day)
    assert_every_paper_reachable(result)
    report = result.email_report
    assert report.shown + report.linked == result.edition.paper_count


def test_sample_day_shows_every_paper_in_full(sample_day: BuildResult) -> None:
    document = _document(sample_day)
    titles = {a.text_content().strip() for a in document.iter("a")}
    for entry in sample_day.edition.topic_sections[0].entries:
        assert entry.paper.abs_url in _hrefs(document)
    assert sample_day.email_report.shown == sample_day.edition.paper_count
    assert sample_day.email_report.linked == 0
    assert len(titles) > sample_day.edition.paper_count


def test_big_day_degrades_and_says_so(big_day: BuildResult) -> None:
    report = big_day.email_report
    assert report.shown >= 12 and report.linked > 400
    summary = format_build_summary(big_day)
    assert "papers in full, the rest listed as" in summary
    assert f"{report.size:,} bytes, fits" in summary
    # Highlights (if any) are never cut, and the text part still names every paper.
    text = (big_day.edition_dir / "email.txt").read_text(encoding="utf-8")
    missing = [
        e.paper.id for s in big_day.edition.sections for e in s.entries if e.paper.id not in text
    ]
    assert not missing


def test_with_a_web_archive_hidden_papers_are_one_link_away(tmp_path: Path) -> None:
    result = build_day(
        SAMPLE_DIGESTS,
        SAMPLE_DATE,
        tmp_path,
        archive={"base_url": "https://news.example.org/arxiv"},
        email={"max_bytes": 40_000},
    )
    assert len(_eml(result)) <= 40_000
    assert_every_paper_reachable(result)
    hidden = [s for s in result.edition.topic_sections if len(s.entries) > 1]
    hrefs = _hrefs(_document(result))
    assert any(f"https://news.example.org/arxiv/{SAMPLE_DATE}/#{s.id}" in hrefs for s in hidden)
    assert 0 < result.email_report.shown < result.edition.paper_count


def test_a_tight_budget_still_reaches_every_paper(tmp_path: Path) -> None:
    result = build_day(SAMPLE_DIGESTS, SAMPLE_DATE, tmp_path, email={"max_bytes": 30_000})
    assert len(_eml(result)) <= 30_000
    assert_every_paper_reachable(result)
    assert result.email_report.linked > 0
    assert result.email_report.steps, "the summary must say what was degraded"


def test_message_is_8bit_with_short_lines(sample_day: BuildResult) -> None:
    data = _eml(sample_day)
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    message = email.message_from_bytes(data, policy=email.policy.default)
    encodings = {
        part.get("Content-Transfer-Encoding") for part in message.walk() if not part.is_multipart()
    }
    assert encodings <= {"8bit", "7bit"}, encodings


# -- email-client safety ---------------------------------------------------------------------


def test_layout_is_presentation_tables_with_a_600px_fluid_card(sample_day: BuildResult) -> None:
    document = _document(sample_day)
    tables = list(document.iter("table"))
    assert tables and all(t.get("role") == "presentation" for t in tables)
    card = document.xpath("//table[contains(concat(' ', @class, ' '), ' c ')]")[0]
    assert card.get("width") == "100%" and "max-width:600px" in card.get("style")


def test_no_scripts_forms_external_css_or_web_fonts(sample_day: BuildResult) -> None:
    document = _document(sample_day)
    for tag in ("script", "form", "input", "iframe", "object", "embed", "link"):
        assert not document.xpath(f"//{tag}"), tag
    styles = [s.text_content() for s in document.iter("style")]
    css = "\n".join(styles)
    assert "@import" not in css and "@font-face" not in css and "url(" not in css
    assert len(css.encode("utf-8")) < 4_000  # Gmail drops <style> over 16 KB
    assert "prefers-color-scheme:dark" in css.replace(" ", "")


def test_inline_styles_everywhere(sample_day: BuildResult) -> None:
    document = _document(sample_day)
    body = document.find("body")
    unstyled = [
        lxml.html.tostring(element)[:80]
        for element in body.iter("td", "p", "h1", "h2", "a", "table", "div")
        if not element.get("style")
    ]
    assert not unstyled, unstyled[:10]
    # Classes are only hooks for the <style> block: short, and each one used there.
    css = "".join(s.text_content() for s in document.iter("style"))
    for element in body.iter():
        for name in (element.get("class") or "").split():
            assert f".{name}" in css, name


def test_colour_scheme_meta_and_dark_rules(sample_day: BuildResult) -> None:
    document = _document(sample_day)
    metas = {m.get("name"): m.get("content") for m in document.iter("meta")}
    assert metas["color-scheme"] == "light dark"
    assert metas["supported-color-schemes"] == "light dark"


def test_preheader_names_the_themes(sample_day: BuildResult) -> None:
    document = _document(sample_day)
    first = document.find("body").xpath(".//div[contains(@style, 'display:none')]")[0]
    text = first.text_content()
    for section in sample_day.edition.topic_sections[:2]:
        assert section.title.en in text


def test_font_stack_latin_then_cjk_then_generic(sample_day: BuildResult) -> None:
    card = _document(sample_day).xpath("//table[contains(concat(' ', @class, ' '), ' c ')]")[0]
    stack = re.search(r"font-family:([^;]+)", card.get("style")).group(1)
    fonts = [f.strip(" '\"") for f in stack.split(",")]
    cjk = [
        fonts.index(name)
        for name in ("PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC")
    ]
    latin = [fonts.index(name) for name in ("-apple-system", "Segoe UI", "Arial")]
    assert max(latin) < min(cjk) and fonts[-1] == "sans-serif"


def test_chinese_text_is_marked_with_lang(sample_day: BuildResult) -> None:
    document = _document(sample_day)
    chinese = [p for p in document.iter("p") if len(CJK.findall(p.text_content())) > 10]
    assert chinese
    for paragraph in chinese:
        assert paragraph.get("lang", "").startswith("zh"), paragraph.text_content()[:40]


def test_hostile_titles_are_escaped(tmp_path: Path) -> None:
    digest = tmp_path / "digests" / f"{SAMPLE_DATE}.md"
    digest.parent.mkdir()
    text = (SAMPLE_DIGESTS / f"{SAMPLE_DATE}.md").read_text(encoding="utf-8")
    first_title = re.search(r"^### \[1\] \[(.+?)\]\(", text, re.MULTILINE).group(1)
    digest.write_text(
        text.replace(first_title, "<script>alert(1)</script> &amp; $\\alpha$", 1), encoding="utf-8"
    )
    result = build_day(digest.parent, SAMPLE_DATE, tmp_path / "out")
    document = _document(result)
    assert not document.xpath("//script")
    assert any("<script>alert(1)</script> &amp; α" == a.text_content() for a in document.iter("a"))
