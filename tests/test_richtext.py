"""Markdown in digest fields becomes sanitised rich text on the web pages, never markup."""

from __future__ import annotations

from lxml import html as lxml_html

from newsletter.render.richtext import rich_text


def parse(fragment: str):
    return lxml_html.fragment_fromstring(str(fragment), create_parent="div")


def test_numbered_key_contributions_become_a_list():
    root = parse(rich_text("1. Exploration of AI's role\n2. Discussion of **design**\n3. Insights"))
    assert [li.text_content() for li in root.xpath("//ol/li")] == [
        "Exploration of AI's role",
        "Discussion of design",
        "Insights",
    ]
    assert root.xpath("//ol/li/strong")[0].text == "design"


def test_plain_prose_is_escaped_not_interpreted():
    assert str(rich_text("a <think> b & c")) == "a &lt;think&gt; b &amp; c"
    assert str(rich_text("")) == ""


def test_markup_and_script_links_never_survive():
    hostile = (
        "1. <script>alert(1)</script> <img src=x onerror=alert(2)>\n"
        "2. [click](javascript:alert(3)) and [paper](https://arxiv.org/abs/2602.06122)\n"
        "3. <a href='javascript:alert(4)'>raw</a> **ok**"
    )
    root = parse(rich_text(hostile))
    assert not root.xpath("//script | //img | //*[@onerror]")
    hrefs = [a.get("href") for a in root.xpath("//a") if a.get("href")]
    assert hrefs == ["https://arxiv.org/abs/2602.06122"]
    assert "<script>alert(1)</script>" in root.text_content()  # shown as text


def test_latex_is_made_legible_inside_rich_text():
    root = parse(rich_text("- cost $\\mathcal{O}(n^2)$\n- rate $\\alpha$"))
    assert [li.text_content() for li in root.xpath("//ul/li")] == ["cost 𝒪(n²)", "rate α"]


def test_day_page_shows_key_contributions_as_a_list(tmp_path, shared_digests):
    from newsletter.archive import update_site
    from newsletter.config import load_config
    from newsletter.pipeline import build_edition

    source = shared_digests / "ZL-Asica" / "2025-09-18.md"
    config = load_config(None, {"source": str(source), "out_dir": str(tmp_path)}, environ={}, search=False)
    build_edition(config, "2025-09-18")
    update_site(config, ["2025-09-18"])
    page = lxml_html.fromstring((config.site_dir / "2025-09-18" / "index.html").read_bytes())
    blocks = [
        div for div in page.xpath("//div[contains(@class, 'extra')]")
        if div.xpath("./span[@class='label']")[0].text == "Key Contributions"
    ]
    assert blocks, "no Key Contributions on the page"
    assert all(len(div.xpath("./ol/li")) >= 2 for div in blocks[:5])
