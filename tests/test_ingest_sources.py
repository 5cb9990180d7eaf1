"""Finding a day's digest: files, folders (and their data/ or contents/), URL templates fetched
from a real HTTP server on 127.0.0.1, and strict UTF-8 decoding."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newsletter.errors import DigestError, DigestNotFound, FetchError
from newsletter.ingest import fetch, load_digest

DAY = "2026-02-09"
DIGEST_MD = (
    "# Table of Contents\n\n- [cs.CV](#cs.CV) [Total: 1]\n\n"
    "### [1] [A paper](https://arxiv.org/abs/2602.06122)\n*Ann Lee*\n\nMain category: cs.CV\n\n"
    "TL;DR: 一个摘要。\n\n<details>\n  <summary>Details</summary>\nAbstract: Text.\n\n</details>\n"
)
DIGEST_JSONL = (
    '{"id": "2602.06122", "title": "A paper", "authors": ["Ann Lee"], "categories": ["cs.CV"],'
    ' "summary": "Text.", "AI": {"tldr": "一个摘要。"}}\n'
)


def _write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


# --- files and folders -------------------------------------------------------------------


def test_folder_prefers_ai_jsonl_over_markdown_over_raw(tmp_path: Path) -> None:
    _write(tmp_path / f"{DAY}.jsonl", DIGEST_JSONL.replace(', "AI": {"tldr": "一个摘要。"}', ""))
    assert load_digest(str(tmp_path), DAY).format == "jsonl:raw"
    _write(tmp_path / f"{DAY}.md", DIGEST_MD)
    assert load_digest(str(tmp_path), DAY).format == "markdown:current"
    ai = _write(tmp_path / f"{DAY}_AI_enhanced_Chinese.jsonl", DIGEST_JSONL)
    digest = load_digest(str(tmp_path), DAY)
    assert digest.format == "jsonl:ai" and digest.source == str(ai)
    assert digest.papers[0].summary.tldr == "一个摘要。" and digest.warnings == ()


def test_empty_ai_file_does_not_hide_the_markdown(tmp_path: Path) -> None:
    _write(tmp_path / f"{DAY}_AI_enhanced_Chinese.jsonl", "")
    assert load_digest(str(tmp_path), DAY).format == "jsonl:raw"  # nothing else: read it
    assert (
        load_digest(str(tmp_path), DAY)
        .warnings[0]
        .endswith("the file is empty; read as a day with no papers")
    )
    _write(tmp_path / f"{DAY}.md", DIGEST_MD)
    digest = load_digest(str(tmp_path), DAY)
    assert digest.format == "markdown:current" and len(digest.papers) == 1


def test_folder_with_data_and_contents_subfolders(tmp_path: Path) -> None:
    # ZL-Asica's layout: Markdown in contents/, JSONL (no language suffix) in data/.
    _write(tmp_path / "contents" / f"{DAY}.md", DIGEST_MD)
    assert load_digest(str(tmp_path), DAY).source == str(tmp_path / "contents" / f"{DAY}.md")
    _write(tmp_path / "data" / f"{DAY}_AI_enhanced.jsonl", DIGEST_JSONL)
    digest = load_digest(str(tmp_path), DAY)
    assert digest.source == str(tmp_path / "data" / f"{DAY}_AI_enhanced.jsonl")
    _write(tmp_path / "data" / f"{DAY}_AI_enhanced_English.jsonl", DIGEST_JSONL)
    digest = load_digest(str(tmp_path), DAY)
    assert digest.source == str(tmp_path / "data" / f"{DAY}_AI_enhanced.jsonl")
    assert "also found" in digest.warnings[0] and "English" in digest.warnings[0]


def test_real_sample_folder_reads_the_jsonl() -> None:
    samples = Path(__file__).parents[1].parent / "shared" / "digests" / "dw-dengwei"
    if not samples.is_dir():
        pytest.skip("../shared/digests not present")
    digest = load_digest(str(samples), DAY)
    assert digest.format == "jsonl:ai" and len(digest.papers) == 137


def test_missing_day_names_what_was_looked_for(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    with pytest.raises(DigestNotFound) as caught:
        load_digest(str(tmp_path), DAY)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path}: no digest for {DAY}: looked for ")
    for name in (f"{DAY}_AI_enhanced_*.jsonl", f"{DAY}.md", f"{DAY}.jsonl", "data"):
        assert name in message
    with pytest.raises(DigestNotFound, match="no such file or folder"):
        load_digest(str(tmp_path / "nowhere.md"), DAY)


def test_path_template_and_bad_date(tmp_path: Path) -> None:
    path = _write(tmp_path / f"{DAY}.md", DIGEST_MD)
    assert load_digest(str(tmp_path / "{date}.md"), DAY).source == str(path)
    with pytest.raises(DigestError, match="expected YYYY-MM-DD"):
        load_digest(str(tmp_path), "2026-02-30")


def test_bad_utf8_is_an_error_naming_file_and_line(tmp_path: Path) -> None:
    latin1 = DIGEST_MD.replace("Text.", "Caf\xe9.").encode("latin-1", errors="replace")
    path = _write(tmp_path / f"{DAY}.md", DIGEST_MD.encode()[:10] + latin1[10:])
    with pytest.raises(DigestError) as caught:
        load_digest(str(path), DAY)
    line = DIGEST_MD.splitlines().index("Abstract: Text.") + 1
    assert caught.value.line == line
    assert str(caught.value) == (
        f"{path}:{line}: not valid UTF-8 (byte 0xe9); expected a UTF-8 digest"
    )


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = _write(tmp_path / f"{DAY}.md", b"\xef\xbb\xbf" + DIGEST_MD.encode())
    assert len(load_digest(str(path), DAY).papers) == 1


# --- URL templates over real HTTP ---------------------------------------------------------


class _Server:
    """Serves queued replies per path; records the paths it was asked for."""

    def __init__(self) -> None:
        self.replies: dict[str, list[tuple[int, bytes, float]]] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                server.requests.append(self.path)
                queue = server.replies.get(self.path) or [(404, b"Not Found", 0.0)]
                status, body, delay = queue.pop(0) if len(queue) > 1 else queue[0]
                time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (timeout test)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Server]:
    monkeypatch.setattr(fetch, "_BACKOFF_S", 0.01)  # keep retry pauses short in tests
    running = _Server()
    thread = threading.Thread(target=running.httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield running
    running.httpd.shutdown()
    running.httpd.server_close()


def test_url_template_200_markdown_and_jsonl(server: _Server) -> None:
    server.replies[f"/data/{DAY}.md"] = [(200, DIGEST_MD.encode(), 0.0)]
    server.replies[f"/data/{DAY}_AI_enhanced_Chinese.jsonl?raw=1"] = [
        (200, DIGEST_JSONL.encode(), 0.0)
    ]
    digest = load_digest(server.base + "/data/{date}.md", DAY)
    assert digest.source == f"{server.base}/data/{DAY}.md"
    assert digest.format == "markdown:current" and digest.papers[0].id == "2602.06122"
    digest = load_digest(server.base + "/data/{date}_AI_enhanced_Chinese.jsonl?raw=1", DAY)
    assert digest.format == "jsonl:ai"  # reader chosen by the URL's suffix, query ignored


def test_url_404_is_digest_not_found(server: _Server) -> None:
    with pytest.raises(DigestNotFound) as caught:
        load_digest(server.base + "/data/{date}.md", DAY)
    assert str(caught.value) == (
        f"{server.base}/data/{DAY}.md: HTTP 404: no digest published at this address (yet)"
    )
    assert server.requests == [f"/data/{DAY}.md"]  # a 404 is not retried


def test_url_500_then_success_is_retried(server: _Server) -> None:
    server.replies[f"/{DAY}.md"] = [
        (500, b"oops", 0.0),
        (503, b"busy", 0.0),
        (200, DIGEST_MD.encode(), 0.0),
    ]
    digest = load_digest(server.base + "/{date}.md", DAY, retries=2)
    assert len(digest.papers) == 1 and len(server.requests) == 3


def test_url_500_every_time_is_fetch_error(server: _Server) -> None:
    server.replies[f"/{DAY}.md"] = [(500, b"oops", 0.0)]
    with pytest.raises(FetchError) as caught:
        load_digest(server.base + "/{date}.md", DAY, retries=1)
    assert str(caught.value) == (
        f"{server.base}/{DAY}.md: HTTP 500 Internal Server Error (after 2 attempts)"
    )
    assert len(server.requests) == 2


def test_url_403_is_fetch_error_without_retry(server: _Server) -> None:
    server.replies[f"/{DAY}.md"] = [(403, b"no", 0.0)]
    with pytest.raises(FetchError, match="HTTP 403 Forbidden; expected 200"):
        load_digest(server.base + "/{date}.md", DAY, retries=3)
    assert len(server.requests) == 1


def test_url_timeout_is_fetch_error(server: _Server) -> None:
    server.replies[f"/{DAY}.md"] = [(200, DIGEST_MD.encode(), 1.0)]
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        load_digest(server.base + "/{date}.md", DAY, timeout_s=0.2, retries=1)
    assert "timed out after 0.2 s (after 2 attempts)" in str(caught.value)
    assert time.monotonic() - started < 2.0


def test_url_connection_refused_is_fetch_error(server: _Server) -> None:
    base = server.base
    server.httpd.shutdown()
    server.httpd.server_close()
    with pytest.raises(FetchError, match="unreachable"):
        load_digest(base + "/{date}.md", DAY, timeout_s=1.0, retries=1)


def test_url_bad_utf8_names_the_url_and_line(server: _Server) -> None:
    server.replies[f"/{DAY}.md"] = [(200, b"# Table of Contents\n\n\xff\n", 0.0)]
    with pytest.raises(DigestError) as caught:
        load_digest(server.base + "/{date}.md", DAY)
    assert str(caught.value).startswith(f"{server.base}/{DAY}.md:3: not valid UTF-8")
