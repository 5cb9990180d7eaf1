"""End to end: `newsletter build` on real digests, good and bad, through the real CLI."""

from __future__ import annotations

import email
import email.policy
import json
import re
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner
from lxml import html as lxml_html

from newsletter.cli import main

from testpaths import PROJECT_ROOT, SAMPLE_DATE, real_digest_files

EDITION_FILES = {"email.html", "email.txt", "email.eml", "newsletter.md", "edition.json"}
ARXIV_ID = re.compile(r"arxiv\.org/abs/(\d{4}\.\d{4,5})")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def edition_ids(edition: dict) -> set[str]:
    return {
        paper["id"]
        for section in edition["sections"]
        if section["id"] != "highlights"
        for paper in section["papers"]
    }


def test_build_sample_day_writes_all_five_files_with_all_61_papers(tmp_path):
    out = tmp_path / "out"
    code, output = run("build", "--date", SAMPLE_DATE, "--out", str(out), "--source", str(PROJECT_ROOT / "examples" / "digests"))
    assert code == 0, output
    day = out / SAMPLE_DATE
    assert EDITION_FILES <= {p.name for p in day.iterdir()}

    edition = json.loads((day / "edition.json").read_text(encoding="utf-8"))
    assert edition["date"] == SAMPLE_DATE and edition["language"] == "bilingual"
    assert len(edition_ids(edition)) == 61
    # Every paper is in exactly one subtopic section.
    listed = [p["id"] for s in edition["sections"] if s["kind"] == "topic" for p in s["papers"]]
    assert len(listed) == len(set(listed)) == 61
    first = edition["sections"][0]["papers"][0]
    for key in ("id", "title", "title_zh", "authors", "categories", "url", "tldr", "abstract"):
        assert key in first
    assert set(first["tldr"]) == {"en", "zh"}

    page = lxml_html.fromstring((day / "email.html").read_bytes())
    assert page.get("lang")
    assert page.xpath("//table[@role='presentation']")
    assert not page.xpath("//script")
    assert "61" in (day / "email.txt").read_text(encoding="utf-8").splitlines()[1]

    message = email.message_from_bytes((day / "email.eml").read_bytes(), policy=email.policy.default)
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert SAMPLE_DATE in message["Subject"] and "61" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert "arxiv.org/abs/2602.06122" in text

    markdown = (day / "newsletter.md").read_text(encoding="utf-8")
    assert markdown.startswith("# ")
    assert len(set(ARXIV_ID.findall(markdown))) == 61


@pytest.mark.parametrize("language, html_lang", [("zh", "zh-CN"), ("en", "en")])
def test_single_language_editions(tmp_path, language, html_lang):
    out = tmp_path / "out"
    code, output = run("build", "--date", SAMPLE_DATE, "--out", str(out), "--lang", language)
    assert code == 0, output
    page = lxml_html.fromstring((out / SAMPLE_DATE / "email.html").read_bytes())
    assert page.get("lang") == html_lang
    body_text = page.text_content()
    has_cjk = re.search(r"[\u4e00-\u9fff]", page.xpath("//p")[-2].text_content() if language == "en" else body_text)
    assert bool(has_cjk) == (language == "zh")


def test_python_dash_m_entry_point(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "newsletter", "build", "--date", SAMPLE_DATE, "--out", str(tmp_path), "-q"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / SAMPLE_DATE / "edition.json").is_file()


@pytest.mark.parametrize("path", real_digest_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_shared_digest_builds_with_every_paper(tmp_path, path):
    date = path.name[:10]
    out = tmp_path / "out"
    code, output = run("build", "--date", date, "--source", str(path), "--out", str(out), "-q")
    assert code == 0, output
    edition = json.loads((out / date / "edition.json").read_text(encoding="utf-8"))
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        expected = {json.loads(line)["id"].split("v")[0] for line in text.splitlines() if line.strip()}
    else:
        expected = set(ARXIV_ID.findall(text))
    assert edition_ids(edition) == expected


def assert_clean_failure(code: int, output: str, *fragments: str) -> None:
    assert code == 2, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines and lines[0].startswith("error: "), output
    assert "Traceback" not in output
    for fragment in fragments:
        assert fragment in output, (fragment, output)


def test_not_a_digest_is_a_clean_error(tmp_path, shared_digests):
    source = shared_digests / "xmkxabc" / "2025-06-09.md"
    code, output = run("build", "--date", "2025-06-09", "--source", str(source), "--out", str(tmp_path))
    assert_clean_failure(code, output, f"{source}:1", "not an arXiv digest")
    assert list(tmp_path.iterdir()) == []


def test_missing_day_is_a_clean_error(tmp_path):
    code, output = run("build", "--date", "2026-02-10", "--out", str(tmp_path))
    assert_clean_failure(code, output, "no digest for 2026-02-10")
    assert list(tmp_path.iterdir()) == []


def test_bad_utf8_names_file_and_line(tmp_path):
    source = tmp_path / "digests" / f"{SAMPLE_DATE}.md"
    source.parent.mkdir()
    good = (PROJECT_ROOT / "examples" / "digests" / f"{SAMPLE_DATE}.md").read_bytes()
    lines = good.split(b"\n")
    lines[40] = lines[40] + b" \xff\xfe broken"
    source.write_bytes(b"\n".join(lines))
    code, output = run("build", "--date", SAMPLE_DATE, "--source", str(source), "--out", str(tmp_path / "out"))
    assert_clean_failure(code, output, f"{source}:41", "UTF-8")
    assert not (tmp_path / "out").exists()


def test_unreachable_url_is_a_clean_error(tmp_path):
    import socket

    with socket.socket() as sock:  # a port on loopback that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/data/{{date}}.md"
    code, output = run("build", "--date", SAMPLE_DATE, "--source", url, "--out", str(tmp_path))
    assert_clean_failure(code, output, f"127.0.0.1:{port}/data/{SAMPLE_DATE}.md")
    assert list(tmp_path.iterdir()) == []


def test_invalid_config_lists_every_bad_key(tmp_path):
    config = tmp_path / "newsletter.yaml"
    config.write_text("language: klingon\nllm: {concurrency: -1}\nemail: {max_bytes: 5}\n", encoding="utf-8")
    code, output = run("build", "--date", SAMPLE_DATE, "--config", str(config))
    assert_clean_failure(code, output, "3 invalid setting(s)", "language", "llm.concurrency", "email.max_bytes")


def test_empty_day_builds_an_edition_that_says_so(tmp_path, shared_digests):
    source = shared_digests / "xmkxabc" / "2025-06-18.md"
    code, output = run("build", "--date", "2025-06-18", "--source", str(source), "--out", str(tmp_path))
    assert code == 0, output
    day = tmp_path / "2025-06-18"
    edition = json.loads((day / "edition.json").read_text(encoding="utf-8"))
    assert edition["sections"] == [] and edition["stats"]["papers"] == 0
    assert "No new papers today" in (day / "email.txt").read_text(encoding="utf-8")


def test_a_failed_rebuild_leaves_the_previous_edition_untouched(tmp_path):
    out = tmp_path / "out"
    assert run("build", "--date", SAMPLE_DATE, "--out", str(out))[0] == 0
    before = {p.name: p.read_bytes() for p in (out / SAMPLE_DATE).iterdir()}

    broken = tmp_path / "broken"
    broken.mkdir()
    text = (PROJECT_ROOT / "examples" / "digests" / f"{SAMPLE_DATE}.md").read_text(encoding="utf-8")
    # A paper heading whose link is not an arXiv URL makes the whole file unreadable.
    (broken / f"{SAMPLE_DATE}.md").write_text(
        text.replace("(https://arxiv.org/abs/2602.06139)", "(https://example.org/paper)"), encoding="utf-8"
    )
    code, output = run("build", "--date", SAMPLE_DATE, "--source", str(broken), "--out", str(out))
    assert code == 2, output
    after = {p.name: p.read_bytes() for p in (out / SAMPLE_DATE).iterdir()}
    assert after == before
    # Nothing half-written beside it (hidden entries are the build's lock files).
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [SAMPLE_DATE]


def test_help_is_fast_because_heavy_libraries_load_lazily():
    code = (
        "import sys, newsletter.cli;"
        "heavy = [m for m in ('openai', 'premailer', 'apscheduler', 'playwright', 'lxml', 'pydantic') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_out_dir_is_never_created_inside_the_source_tree_by_tests(tmp_path):
    # The autouse fixture points outputs at tmp_path: a plain build must not touch ./out.
    before = (PROJECT_ROOT / "out").exists() and sorted((PROJECT_ROOT / "out").iterdir())
    assert run("build", "--date", SAMPLE_DATE, "-q")[0] == 0
    after = (PROJECT_ROOT / "out").exists() and sorted((PROJECT_ROOT / "out").iterdir())
    assert before == after
    shutil.rmtree(tmp_path / "out", ignore_errors=True)


def test_multi_area_days_get_a_two_level_table_of_contents(tmp_path, shared_digests):
    source = shared_digests / "dw-dengwei" / "2026-02-09.md"
    code, output = run("build", "--date", "2026-02-09", "--source", str(source), "--out", str(tmp_path), "-q")
    assert code == 0, output
    edition = json.loads((tmp_path / "2026-02-09" / "edition.json").read_text(encoding="utf-8"))
    areas = [s["area_title"]["en"] for s in edition["sections"] if s["kind"] == "topic"]
    distinct = list(dict.fromkeys(areas))
    assert len(distinct) >= 2
    text = (tmp_path / "2026-02-09" / "email.txt").read_text(encoding="utf-8")
    toc = text.split("\n\n\n", 1)[0]
    # Each area heads its sections once, in edition order.
    positions = [toc.index(f" {area} · ") for area in distinct]
    assert positions == sorted(positions)
    markdown = (tmp_path / "2026-02-09" / "newsletter.md").read_text(encoding="utf-8")
    for area in distinct:
        assert f"- **{area.replace('&', '&amp;')}" in markdown
    page = lxml_html.fromstring((tmp_path / "2026-02-09" / "email.html").read_bytes())
    toc_cell = page.xpath("//a[starts-with(@href, '#')]/..")[0]
    assert [s.text_content() for s in toc_cell.xpath("./strong")][1:] == [
        next(f"{s['area_title']['en']} · {s['area_title']['zh']}" for s in edition["sections"] if s["area_title"] and s["area_title"]["en"] == area)
        for area in distinct
    ]
