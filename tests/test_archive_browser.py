"""The archive in a real browser: Debian's headless chromium driven by Playwright, the site
served by the preview server on 127.0.0.1.

Skipped when /usr/bin/chromium (or the playwright package) is absent, except in CI, where
that is a failure: CI installs chromium, and a silently skipped browser suite proves nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from test_archive import HOSTILE_IMG, HOSTILE_SCRIPT, make_paper, site_config, write_day

from newsletter.archive import make_server, update_site

from testpaths import CHROMIUM, CHROMIUM_ARGS, IN_CI

pytestmark = pytest.mark.browser

DAYS = ("2026-02-02", "2026-02-03", "2026-02-04")


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Three days (the middle one with hostile titles) built and served; yields the base URL."""
    out = tmp_path_factory.mktemp("browser") / "out"
    write_day(
        out,
        DAYS[0],
        [make_paper("2602.00001", "Robot Arms", "cs.RO"), make_paper("2602.00002", "Depth Maps")],
    )
    write_day(
        out,
        DAYS[1],
        [
            make_paper("2602.00003", "Gaussian Splatting for Cathedrals"),
            make_paper("2602.00004", "Language Agents", "cs.CL"),
            make_paper("2602.00005", HOSTILE_SCRIPT, title_translation=HOSTILE_IMG),
            make_paper("2602.00006", HOSTILE_IMG),
        ],
    )
    write_day(out, DAYS[2], [make_paper("2602.00007", "Video Diffusion")])
    config = site_config(out)
    update_site(config)
    server = make_server(config.site_dir)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    yield page
    context.close()


def test_index_lists_the_built_days(site: str, page) -> None:
    page.goto(f"{site}/index.html")
    assert page.locator("a.day-link").all_inner_texts() == list(reversed(DAYS))
    page.locator("a.day-link", has_text=DAYS[0]).click()
    page.wait_for_url(f"**/{DAYS[0]}/index.html")
    assert page.locator("h1").inner_text() == DAYS[0]


def test_section_links_and_previous_next_links_work(site: str, page) -> None:
    page.goto(f"{site}/{DAYS[1]}/index.html")
    page.locator("nav.toc a", has_text="Topic cs.CL").click()
    page.wait_for_url("**#cs-cl")
    heading = page.locator("#h-cs-cl")
    assert heading.is_visible()
    assert 0 <= heading.evaluate("e => e.getBoundingClientRect().top") < 100  # scrolled there

    page.locator("a[rel=next]").first.click()
    page.wait_for_url(f"**/{DAYS[2]}/index.html")
    assert page.locator("a[rel=next]").count() == 0
    page.locator("a[rel=prev]").first.click()
    page.wait_for_url(f"**/{DAYS[1]}/index.html")
    page.locator("a[rel=prev]").first.click()
    page.wait_for_url(f"**/{DAYS[0]}/index.html")
    assert page.locator("a[rel=prev]").count() == 0

    page.locator("a", has_text="This topic on all days").first.click()
    page.wait_for_url("**/topics/cs-ro.html")
    page.locator("article h3 a", has_text="Robot Arms").click()
    page.wait_for_url(f"**/{DAYS[0]}/index.html#p-2602.00001")


def test_search_finds_a_paper_by_a_word_of_its_title(site: str, page) -> None:
    page.goto(f"{site}/search.html")
    page.locator("#q").fill("cathedrals")
    result = page.locator("#results li")
    result.first.wait_for()
    assert result.count() == 1
    assert "Gaussian Splatting for Cathedrals" in result.first.inner_text()
    assert "found" in page.locator("#search-status").inner_text()
    result.first.locator("a").click()
    page.wait_for_url(f"**/{DAYS[1]}/index.html#p-2602.00003")

    # From the index's search box (a plain GET form), by author, across days.
    page.goto(f"{site}/index.html")
    page.locator("#q").fill("lovelace")
    page.locator("form.search-form button").click()
    page.wait_for_url("**/search.html?q=lovelace")
    page.locator("#results li").first.wait_for()
    assert page.locator("#results li").count() == 7
    page.locator("#q").fill("no such words anywhere")
    page.get_by_text("No paper matches.").wait_for()


def test_language_switch_changes_the_visible_language(site: str, page) -> None:
    page.goto(f"{site}/{DAYS[0]}/index.html")
    article = page.locator("#p-2602\\.00001")
    english = article.locator("p.tldr[lang=en]")
    chinese = article.locator("p.tldr[lang=zh-CN]")
    assert english.is_visible() and chinese.is_visible()  # bilingual by default

    page.locator("#lang-switch button[data-lang=en]").click()
    assert english.is_visible() and not chinese.is_visible()
    assert not article.locator("p.ztitle").is_visible()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#lang-switch button[data-lang=en]").get_attribute("aria-pressed") == "true"

    page.locator("#lang-switch button[data-lang=zh]").click()
    assert chinese.is_visible() and not english.is_visible()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("nav.toc h2").inner_text() == "目录"

    page.reload()  # the choice is remembered
    assert chinese.is_visible() and not english.is_visible()
    page.locator("#lang-switch button[data-lang=bi]").click()
    assert english.is_visible() and chinese.is_visible()


def test_no_horizontal_scrolling_at_375_px(site: str, browser) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True)
    try:
        page = context.new_page()
        for path in (
            "index.html",
            f"{DAYS[1]}/index.html",
            "topics/cs-cv.html",
            "search.html?q=depth",
        ):
            page.goto(f"{site}/{path}")
            page.locator("details.abstract").evaluate_all("ds => ds.forEach(d => d.open = true)")
            widths = page.evaluate(
                "[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
            )
            assert widths[0] <= widths[1], (path, widths)
    finally:
        context.close()


def test_injected_markup_in_a_title_never_runs(site: str, page) -> None:
    page.goto(f"{site}/{DAYS[1]}/index.html")
    page.wait_for_load_state("load")
    assert page.evaluate("window.__pwned") is None
    assert page.dialogs == []
    title = page.locator("#p-2602\\.00005 h3").inner_text()
    assert title == HOSTILE_SCRIPT  # shown as text
    assert page.locator("#p-2602\\.00006 h3").inner_text() == HOSTILE_IMG
    assert page.locator("main img").count() == 0

    page.goto(f"{site}/search.html?q=hostile")
    page.locator("#results li").first.wait_for()
    assert page.locator("#results li").count() == 2
    page.wait_for_timeout(200)  # give a broken image's onerror the chance it must not get
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#results img").count() == 0
    assert HOSTILE_SCRIPT in page.locator("#results").inner_text()
    assert page.dialogs == []
