"""Hostile text: payloads in every digest field, in LLM replies and in config end up as inert
text in every output (checked by parsing the outputs, not by searching for substrings).

- email.html: lxml; no script/iframe/svg elements, no on* attributes, no javascript:/data:
  URLs, no CSS expressions, and the payload still shows as text.
- newsletter.md: rendered with ``markdown`` (which lets raw HTML through, as GitHub's
  renderer would before sanitising) and checked like the HTML.
- edition.json: the hostile strings kept verbatim, as data.
- email.eml: headers parse, none injected, no CR/LF inside a header value.
- archive pages and the Atom feed (when the archive is present).
"""

from __future__ import annotations

import json
import re
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path
from typing import Any

import pytest
from hostile import (
    CONTENT_MARK,
    HOSTILE_DATE,
    SCRIPTY,
    hostile_jsonl_rows,
    hostile_markdown,
    unsafe_html,
    unsafe_markdown,
)
from lxml import etree
from lxml import html as lxml_html

from newsletter.config import load_config
from newsletter.errors import NewsletterError
from newsletter.ingest import read_digest_text
from newsletter.pipeline import build_edition

from fake_openai import FakeOpenAI

# Headers a built email.eml may carry; anything else was injected.
ALLOWED_HEADERS = {
    "subject", "from", "to", "reply-to", "date", "message-id", "mime-version", "content-type",
    "content-transfer-encoding", "list-unsubscribe", "list-unsubscribe-post", "list-id",
    "auto-submitted", "precedence", "x-auto-response-suppress", "content-language",
    "x-mailer", "feedback-id", "list-archive", "archived-at",
}


def write_source(tmp_path: Path, kind: str) -> Path:
    folder = tmp_path / "digests"
    folder.mkdir(exist_ok=True)
    if kind == "jsonl":
        rows = "\n".join(json.dumps(row, ensure_ascii=False) for row in hostile_jsonl_rows())
        (folder / f"{HOSTILE_DATE}_AI_enhanced_Chinese.jsonl").write_text(rows + "\n")
    else:
        (folder / f"{HOSTILE_DATE}.md").write_text(hostile_markdown())
    return folder


def build(tmp_path: Path, source: Path, **overrides: Any) -> Path:
    values = {"source": str(source), "out_dir": str(tmp_path / "out"), **overrides}
    config = load_config(None, values, environ={}, search=False)
    result = build_edition(config, HOSTILE_DATE)
    if config.archive.enabled:
        from newsletter.archive import update_site

        update_site(config, [HOSTILE_DATE])
    return result.edition_dir


def check_email_html(day: Path) -> None:
    html = (day / "email.html").read_text(encoding="utf-8")
    assert unsafe_html(html) == []
    text = lxml_html.document_fromstring(html).text_content()
    assert CONTENT_MARK in text  # shown as text, not silently dropped


def check_markdown(day: Path) -> None:
    assert unsafe_markdown((day / "newsletter.md").read_text(encoding="utf-8")) == []


def check_eml(day: Path) -> None:
    data = (day / "email.eml").read_bytes()
    head = data.split(b"\r\n\r\n" if b"\r\n\r\n" in data else b"\n\n", 1)[0]
    message = message_from_bytes(data, policy=email_policy.default)
    names = {name.lower() for name, _ in message.items()}
    assert names <= ALLOWED_HEADERS, names - ALLOWED_HEADERS
    assert not message.defects, message.defects
    for name, value in message.items():
        assert "\n" not in str(value) and "\r" not in str(value), (name, value)
    # Raw header lines: each either starts a known header or continues one (folding).
    for line in re.split(rb"\r?\n", head):
        if line[:1] in (b" ", b"\t"):
            continue
        assert line.split(b":", 1)[0].decode().lower() in ALLOWED_HEADERS, line


def check_edition_json(day: Path, titles: dict[str, str]) -> dict:
    edition = json.loads((day / "edition.json").read_text(encoding="utf-8"))
    papers = {p["id"]: p for s in edition["sections"] for p in s["papers"]}
    for paper_id, title in titles.items():
        assert papers[paper_id]["title"] == title  # verbatim: escaping is the renderer's job
    return edition


def test_hostile_jsonl_digest_is_inert_in_every_edition_file(tmp_path):
    day = build(tmp_path, write_source(tmp_path, "jsonl"))
    check_email_html(day)
    check_markdown(day)
    check_eml(day)
    rows = hostile_jsonl_rows()
    edition = check_edition_json(day, {row["id"]: row["title"] for row in rows})
    urls = [p["url"] for s in edition["sections"] for p in s["papers"]]
    assert all(url.startswith("https://arxiv.org/abs/") for url in urls), urls
    assert CONTENT_MARK in (day / "email.txt").read_text(encoding="utf-8")


def test_hostile_markdown_digest_is_inert_in_every_edition_file(tmp_path):
    day = build(tmp_path, write_source(tmp_path, "md"))
    check_email_html(day)
    check_markdown(day)
    check_eml(day)
    titles = {f"2602.2000{n}": f"Paper {n} {SCRIPTY[n - 1]}" for n in range(1, 5)}
    check_edition_json(day, titles)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_hostile_digest_is_inert_in_single_language_editions(tmp_path, language):
    day = build(tmp_path, write_source(tmp_path, "jsonl"), language=language)
    check_email_html(day)
    check_markdown(day)


def hostile_llm(body: dict) -> dict:
    """The fake model's reply: valid JSON in the right languages, every field a payload."""
    user = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
    if "Today's papers:" in user:
        return {
            "intro_en": f"Today {SCRIPTY[0]} and {SCRIPTY[3]} in vision.",
            "intro_zh": f"今天的论文 {SCRIPTY[1]} 主题涵盖视觉与语言。",
        }
    return {
        "tldr_en": f"This paper {SCRIPTY[2]} reports gains {SCRIPTY[4]}.",
        "tldr_zh": f"本文提出了一种新方法 {SCRIPTY[1]} 并在多个基准上取得了显著提升。",
        "title_zh": f"论文中文标题 {SCRIPTY[0]}",
    }


def test_hostile_llm_replies_are_inert_and_kept_as_data(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-secret")
    with FakeOpenAI(responder=hostile_llm) as server:
        llm = {"enabled": True, "base_url": server.base_url, "model": "fake", "max_retries": 0}
        day = build(tmp_path, write_source(tmp_path, "jsonl"), llm=llm)
        assert server.request_count >= 4
    check_email_html(day)
    check_markdown(day)
    check_eml(day)
    edition = json.loads((day / "edition.json").read_text(encoding="utf-8"))
    tldrs = [p["tldr"]["en"] for s in edition["sections"] for p in s["papers"]]
    assert hostile_llm({})["tldr_en"] in tldrs  # the LLM's text was used, verbatim, as data
    html = (day / "email.html").read_text(encoding="utf-8")
    assert "论文中文标题" in lxml_html.document_fromstring(html).text_content()


@pytest.mark.parametrize(
    "overrides",
    [
        {"title": {"en": "arXiv\r\nBcc: victim@example.org", "zh": "每日\nX-Evil: 1"}},
        {"title": {"en": "<script>alert(1)</script>", "zh": "<img src=x onerror=alert(1)>"}},
        {
            "title": {"en": "<script>alert(1)</script>", "zh": "<img src=x onerror=alert(1)>"},
            "delivery": {"from": "news@example.org"},
        },
        {"delivery": {"from": "Eve\r\nBcc: victim@example.org <news@example.org>"}},
        {"delivery": {"from": '"Eve\\r\\nBcc: victim@example.org" <news@example.org>'}},
        {"email": {"subject": "{date}\r\nBcc: victim@example.org"}},
    ],
    ids=["title-crlf", "title-script", "title-script-own-from", "from-crlf", "from-quoted-crlf", "subject-crlf"],
)
def test_header_injection_through_config_is_refused_or_inert(tmp_path, overrides):
    source = write_source(tmp_path, "jsonl")
    try:
        day = build(tmp_path, source, **overrides)
    except NewsletterError as error:  # refused with a message naming what is wrong
        assert str(error)
        return
    check_eml(day)
    check_email_html(day)
    check_markdown(day)


def test_the_checks_catch_what_they_look_for(tmp_path):
    """The checkers above are only worth something if they fail on the real thing."""
    for bad in SCRIPTY[:3] + (SCRIPTY[4], SCRIPTY[5], SCRIPTY[6]):
        assert unsafe_html(f"<html><body>{bad}</body></html>"), bad
    assert unsafe_markdown("[click](javascript:alert(1))")
    assert unsafe_markdown("<script>alert(1)</script>\n\ntext")
    assert not unsafe_markdown("&lt;script&gt;alert(1)&lt;/script&gt; \\[x\\](javascript:alert(1))")
    day = tmp_path / "day"
    day.mkdir()
    (day / "email.eml").write_bytes(b"From: a@b.org\r\nBcc: victim@example.org\r\n\r\nhi\r\n")
    with pytest.raises(AssertionError):
        check_eml(day)


def test_ingest_keeps_only_web_links_from_a_digest():
    rows = hostile_jsonl_rows()
    text = "\n".join(json.dumps(row) for row in rows)
    digest = read_digest_text(text, f"d/{HOSTILE_DATE}.jsonl")
    for paper in digest.papers:
        assert paper.abs_url == f"https://arxiv.org/abs/{paper.id}"
        assert paper.pdf_url == f"https://arxiv.org/pdf/{paper.id}"
        assert paper.code_url is None
    markdown = read_digest_text(hostile_markdown(), f"d/{HOSTILE_DATE}.md")
    assert [p.code_url for p in markdown.papers] == [None] * 4
    assert all("<script>alert(1)</script>" in p.abstract for p in markdown.papers)  # as text


# --- the archive and its feed --------------------------------------------------------------
def _archive_available() -> bool:
    try:
        from newsletter.archive import update_site  # noqa: F401
    except ImportError:
        return False
    return True


needs_archive = pytest.mark.skipif(not _archive_available(), reason="archive not present")


@needs_archive
@pytest.mark.parametrize("kind", ["jsonl", "md"])
def test_hostile_text_is_inert_in_archive_pages_and_feed(tmp_path, kind):
    archive = {"enabled": True, "base_url": "https://news.example.org/"}
    build(tmp_path, write_source(tmp_path, kind), archive=archive)
    site = tmp_path / "out" / "site"
    pages = sorted(site.rglob("*.html"))
    assert pages, "no archive pages"
    for page in pages:
        assert unsafe_html(page.read_text(encoding="utf-8")) == [], page
    day_page = (site / HOSTILE_DATE / "index.html").read_text(encoding="utf-8")
    assert CONTENT_MARK in lxml_html.document_fromstring(day_page).text_content()
    check_feed(site / "feed.xml")


@needs_archive
def test_archive_refuses_script_links_in_a_tampered_edition_json(tmp_path):
    """edition.json is the archive's only input: a hand-edited one must not inject either."""
    archive = {"enabled": True, "base_url": "https://news.example.org/"}
    day = build(tmp_path, write_source(tmp_path, "jsonl"))
    edition = json.loads((day / "edition.json").read_text(encoding="utf-8"))
    for section in edition["sections"]:
        for paper in section["papers"]:
            for key in ("url", "pdf_url", "code_url", "abs_url"):
                if key in paper:
                    paper[key] = "javascript:alert(1)"
    (day / "edition.json").write_text(json.dumps(edition, ensure_ascii=False), encoding="utf-8")
    from newsletter.archive import update_site

    config = load_config(
        None, {"out_dir": str(tmp_path / "out"), "archive": archive}, environ={}, search=False
    )
    update_site(config, [HOSTILE_DATE])
    for page in sorted((tmp_path / "out" / "site").rglob("*.html")):
        assert unsafe_html(page.read_text(encoding="utf-8")) == [], page
    check_feed(tmp_path / "out" / "site" / "feed.xml")


def check_feed(path: Path) -> None:
    """The Atom feed parses as XML; its HTML content (as a reader would render it) is safe."""
    root = etree.fromstring(path.read_bytes())
    atom = "{http://www.w3.org/2005/Atom}"
    assert root.tag == f"{atom}feed"
    entries = root.findall(f"{atom}entry")
    assert entries
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            assert not "".join(value.split()).lower().startswith("javascript:"), (name, value)
        if element.tag in (f"{atom}content", f"{atom}summary") and element.get("type") == "html":
            assert unsafe_html(f"<html><body>{element.text or ''}</body></html>") == []
        if element.tag in (f"{atom}title",):
            assert element.get("type") in (None, "text"), "titles must be text, not HTML"


def test_renderer_links_only_web_urls_even_when_a_paper_holds_another_scheme():
    """Defence in depth: a Paper built by other code (a plugin reader, a hand-edited
    edition) must not turn into a javascript: link either."""
    from newsletter.compose import compose_edition
    from newsletter.group import group_papers
    from newsletter.model import Digest, Paper
    from newsletter.render import Renderer

    paper = Paper(
        id="2602.30001", title="T", authors=("A",), categories=("cs.CV",), abstract="x",
        abs_url="javascript:alert(1)", pdf_url="javascript:alert(1)",
        code_url="javascript:alert(1)",
    )
    config = load_config(None, {}, environ={}, search=False)
    digest = Digest(HOSTILE_DATE, "test", "jsonl:raw", (paper,))
    edition = compose_edition(
        digest, group_papers(digest.papers, config.grouping), language="bilingual"
    )
    renderer = Renderer(config)
    email, _ = renderer.email_within_budget(edition, lambda rendered: len(rendered.html))
    assert unsafe_html(email.html) == []
    assert unsafe_markdown(renderer.markdown(edition)) == []


# --- control characters: invisible, but fatal to XML and to the renderer's placeholders -----
CONTROLS = ("\x00", "\x1b", "\x0c", "\ufffe")


@needs_archive
@pytest.mark.parametrize("control", CONTROLS, ids=ascii)
def test_control_characters_in_a_digest_are_dropped_before_any_output(tmp_path, control):
    rows = hostile_jsonl_rows()
    for row in rows:
        row["title"] = f"Title{control} with a control"
        row["authors"] = [f"A{control}B"]
        row["summary"] = f"An abstract {control} here."
        row["AI"]["tldr"] = f"本文{control}提出了一种新方法。"
    folder = tmp_path / "digests"
    folder.mkdir()
    text = "\n".join(json.dumps(row) for row in rows) + "\n"
    (folder / f"{HOSTILE_DATE}.jsonl").write_text(text, encoding="utf-8")
    day = build(tmp_path, folder, archive={"enabled": True, "base_url": "https://x.example/"})
    edition = json.loads((day / "edition.json").read_text(encoding="utf-8"))
    titles = {p["title"] for s in edition["sections"] for p in s["papers"]}
    assert titles == {"Title with a control"}
    check_feed(tmp_path / "out" / "site" / "feed.xml")
    check_email_html(day)


def control_llm(control: str):
    def reply(body: dict) -> dict:
        user = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        if "Today's papers:" in user:
            return {
                "intro_en": f"Today {control} brings papers on vision.",
                "intro_zh": f"今天的论文{control}主题涵盖视觉与语言。",
            }
        return {
            "tldr_en": f"This paper {control} reports clear gains.",
            "tldr_zh": f"本文提出了一种新方法{control}并在多个基准上取得了显著提升。",
            "title_zh": f"论文中文标题{control}",
        }

    return reply


@needs_archive
def test_llm_reply_with_control_characters_keeps_build_and_archive_working(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    with FakeOpenAI(responder=control_llm("\x1b")) as server:
        llm = {"enabled": True, "base_url": server.base_url, "model": "fake", "max_retries": 0}
        archive = {"enabled": True, "base_url": "https://x.example/"}
        build(tmp_path, write_source(tmp_path, "jsonl"), llm=llm, archive=archive)
    check_feed(tmp_path / "out" / "site" / "feed.xml")


def test_llm_text_shaped_like_a_render_placeholder_is_kept_as_text(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    with FakeOpenAI(responder=control_llm("\x0099\x00")) as server:
        llm = {"enabled": True, "base_url": server.base_url, "model": "fake", "max_retries": 0}
        day = build(tmp_path, write_source(tmp_path, "jsonl"), llm=llm)
    check_email_html(day)
