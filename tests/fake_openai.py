"""A fake OpenAI-compatible server on 127.0.0.1, for tests and benchmarks of LLM stages.

A real HTTP server (stdlib ``ThreadingHTTPServer``, one thread per request) that speaks
``POST /v1/chat/completions`` (and ``/chat/completions``) and answers with proper OpenAI JSON,
so the real ``openai`` client is exercised over the wire::

    with FakeOpenAI(latency=0.05) as server:
        server.fail_paper("2602.00001", "rate_limit", "ok")   # 429 first, then a normal reply
        server.fail_request(3, "server_error")                # the 4th request gets a 500
        server.queue_reply({"section": "cv-3d"})              # the next reply, verbatim
        config = LLMConfig(enabled=True, base_url=server.base_url, ...)
        ...
        server.requests, server.peak_in_flight, server.served_faults

Default replies are derived from the request: a paper prompt (with ``arXiv id:`` and
``Title:`` lines) gets a deterministic English and Chinese TL;DR and a Chinese title; an intro
prompt (``Today's papers:``) gets a bilingual intro; anything else gets an object built from
the request's JSON schema (first enum value, "ok" for strings), or ``responder(body)``.

Faults (per request index, or per paper on its successive attempts):
``rate_limit`` (429 + Retry-After), ``server_error`` (500), ``hang`` (no reply past the
client's timeout), ``truncated`` (JSON cut in half, finish_reason "length"), ``english``
(English where Chinese was asked), ``empty`` (empty content), ``refusal`` (message.refusal),
``bad_request`` (a 400 unrelated to the format); quirks: ``sloppy_latex`` (LaTeX backslashes
not escaped in the JSON), ``fenced`` (JSON in a code fence with chatter), ``ok`` (no fault).
``reject_json_schema`` / ``reject_json_object`` make the server answer those
``response_format`` types with a 400, as older vLLM and llama.cpp servers do.
"""

from __future__ import annotations

import itertools
import json
import re
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS = (
    "rate_limit",
    "server_error",
    "hang",
    "truncated",
    "english",
    "empty",
    "refusal",
    "bad_request",
)
QUIRKS = ("sloppy_latex", "fenced", "ok")
# A fault served on every attempt -> (the failure kind the rewrite stage records, the requests
# it costs with max_retries=2: retried kinds cost three, the others one).
PERSISTENT = {
    "rate_limit": ("rate_limited", 3),
    "server_error": ("server_error", 3),
    "hang": ("timeout", 3),
    "truncated": ("bad_json", 1),
    "english": ("wrong_language", 1),
    "empty": ("empty", 1),
    "refusal": ("refusal", 1),
    "bad_request": ("http_error", 1),
}

_PAPER_ID = re.compile(r"^arXiv id:\s*(\S+)", re.MULTILINE)
_TITLE = re.compile(r"^Title:\s*(.+)$", re.MULTILINE)


@dataclass(frozen=True)
class RecordedRequest:
    index: int  # 0-based arrival order
    path: str
    body: dict[str, Any]
    paper_id: str | None
    kind: str  # "paper", "intro" or "other"
    response_format: str | None  # "json_schema", "json_object" or None
    fault: str | None
    status: int
    arrived: float  # time.monotonic() when the request arrived
    headers: dict[str, str]


def _user_text(body: dict[str, Any]) -> str:
    messages = body.get("messages") or []
    return "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "user")


def paper_reply(paper_id: str, title: str) -> dict[str, str]:
    """The deterministic reply the fake gives for a paper prompt."""
    return {
        "tldr_en": f"This paper ({paper_id}) studies {title} and reports clear gains.",
        "tldr_zh": f"本文（{paper_id}）提出了一种新方法，并在多个基准上取得了显著提升。",
        "title_zh": f"论文{paper_id}的中文标题",
    }


def intro_reply(count: int) -> dict[str, str]:
    return {
        "intro_en": f"Today's edition brings {count} papers on vision, language and learning.",
        "intro_zh": f"今天的内容共有{count}篇论文，主题涵盖视觉、语言与学习。",
    }


def _from_schema(schema: dict[str, Any]) -> Any:
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {k: _from_schema(v) for k, v in schema.get("properties", {}).items()}
    if kind == "array":
        return []
    if kind in ("integer", "number"):
        return 0
    if kind == "boolean":
        return False
    return "ok"


class FakeOpenAI:
    def __init__(
        self,
        *,
        latency: float = 0.0,
        retry_after: str | None = "0.05",
        hang_s: float = 10.0,
        reject_json_schema: bool = False,
        reject_json_object: bool = False,
        responder: Callable[[dict[str, Any]], Any] | None = None,
    ) -> None:
        self.latency = latency
        self.retry_after = retry_after
        self.hang_s = hang_s
        self.reject_json_schema = reject_json_schema
        self.reject_json_object = reject_json_object
        self.responder = responder
        self.requests: list[RecordedRequest] = []
        self.peak_in_flight = 0
        self.served_faults: Counter[str] = Counter()
        self._in_flight = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._paper_faults: dict[str, deque[str]] = {}
        self._request_faults: dict[int, str] = {}
        self._queued: deque[Any] = deque()
        self._counter = itertools.count()
        self._arrived = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- control -------------------------------------------------------------------------
    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(_Handler):
            server_fake = fake

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
        server.daemon_threads = True
        server.request_queue_size = 256  # the default 5 drops bursts of concurrent connects
        server.allow_reuse_address = True
        server.server_bind()
        server.server_activate()
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; hanging handlers are released and recorded before this returns."""
        self._stop.set()
        deadline = time.monotonic() + 5.0
        while len(self.requests) < self._arrived and time.monotonic() < deadline:
            time.sleep(0.005)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def fail_paper(self, paper_id: str, *faults: str) -> None:
        """Faults for the paper's successive requests; later requests are answered normally."""
        for fault in faults:
            assert fault in FAULTS + QUIRKS, fault
        self._paper_faults.setdefault(paper_id, deque()).extend(faults)

    def fail_request(self, index: int, fault: str) -> None:
        assert fault in FAULTS + QUIRKS, fault
        self._request_faults[index] = fault

    def queue_reply(self, content: Any) -> None:
        """The next successful reply's content: a str verbatim, anything else as JSON."""
        self._queued.append(content)

    @property
    def request_count(self) -> int:
        return len(self.requests)

    # --- serving -------------------------------------------------------------------------
    def _handle(
        self, path: str, body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        arrived = time.monotonic()
        user = _user_text(body)
        id_match, title_match = _PAPER_ID.search(user), _TITLE.search(user)
        paper_id = id_match.group(1) if id_match else None
        kind = (
            "paper"
            if paper_id and title_match
            else ("intro" if "Today's papers:" in user else "other")
        )
        response_format = (body.get("response_format") or {}).get("type")
        # A request the server rejects for its format never reaches the "model": it consumes
        # no planned fault, so fault counts stay what the model side injected.
        rejected = (response_format == "json_schema" and self.reject_json_schema) or (
            response_format == "json_object" and self.reject_json_object
        )
        with self._lock:
            index = next(self._counter)
            self._arrived += 1
            fault = None if rejected else self._request_faults.pop(index, None)
            if fault is None and not rejected and paper_id in self._paper_faults:
                queue = self._paper_faults[paper_id]
                fault = queue.popleft() if queue else None
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
        try:
            if self.latency:
                time.sleep(self.latency)
            if rejected:
                message = f"response_format type {response_format!r} is not supported"
                status, reply_headers, payload = 400, {}, _error(message, "invalid_request_error")
            else:
                status, reply_headers, payload = self._reply(
                    body, kind, paper_id, title_match, response_format, fault
                )
        finally:
            with self._lock:
                self._in_flight -= 1
        with self._lock:
            if fault and fault != "ok":
                self.served_faults[fault] += 1
            self.requests.append(
                RecordedRequest(
                    index,
                    path,
                    body,
                    paper_id,
                    kind,
                    response_format,
                    fault,
                    status,
                    arrived,
                    headers,
                )
            )
        return status, reply_headers, payload

    def _reply(
        self,
        body: dict[str, Any],
        kind: str,
        paper_id: str | None,
        title_match: re.Match[str] | None,
        response_format: str | None,
        fault: str | None,
    ) -> tuple[int, dict[str, str], Any]:
        if fault == "rate_limit":
            headers = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
            return 429, headers, _error("Rate limit reached for requests", "rate_limit_error")
        if fault == "server_error":
            return (
                500,
                {},
                _error("The server had an error processing your request", "server_error"),
            )
        if fault == "bad_request":
            return 400, {}, _error("Invalid value for 'messages'", "invalid_request_error")
        if fault == "hang":
            self._stop.wait(self.hang_s)  # the client gives up first; stop() releases us

        if self._queued:
            data: Any = self._queued.popleft()
        elif self.responder is not None:
            data = self.responder(body)
        elif kind == "paper":
            assert paper_id is not None and title_match is not None
            data = paper_reply(paper_id, title_match.group(1).strip())
        elif kind == "intro":
            data = intro_reply(_user_text(body).count("\n- "))
        else:
            schema = ((body.get("response_format") or {}).get("json_schema") or {}).get("schema")
            data = _from_schema(schema) if schema else {"reply": "ok"}

        if isinstance(data, dict) and fault == "english":
            data = {
                k: (f"An English text instead of Chinese for {paper_id}." if "zh" in k else v)
                for k, v in data.items()
            }
        content: str | None = (
            data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
        )
        finish_reason, refusal = "stop", None
        if fault == "sloppy_latex":
            content = content.replace("\\\\", "\\")  # what careless models emit
        elif fault == "fenced" or (response_format is None and not isinstance(data, str)):
            # Without JSON mode, small models wrap their JSON in prose and a code fence.
            content = (
                f"Sure! Here is the JSON you asked for:\n```json\n{content}\n```\nHope it helps."
            )
        if fault == "truncated":
            content, finish_reason = content[: len(content) // 2], "length"
        elif fault == "empty":
            content = ""
        elif fault == "refusal":
            content, refusal = None, "I'm sorry, but I can't help with that request."
        prompt_tokens = sum(len(str(m.get("content", ""))) for m in body.get("messages", [])) // 4
        return (
            200,
            {},
            {
                "id": f"chatcmpl-fake-{len(self.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "fake-model"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content, "refusal": refusal},
                        "finish_reason": finish_reason,
                        "logprobs": None,
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": len(content or "") // 4 + 1,
                    "total_tokens": prompt_tokens + len(content or "") // 4 + 1,
                },
            },
        )


def _error(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the openai client expects
    server_fake: FakeOpenAI

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without TCP_NODELAY, Nagle's algorithm
        # and the client's delayed ACK add ~40 ms to every reply.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # keep test output clean

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self._send(404, {}, _error(f"no route {self.path}", "not_found"))
            return
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._send(400, {}, _error("request body is not JSON", "invalid_request_error"))
            return
        status, headers, payload = self.server_fake._handle(
            self.path, body, {k.lower(): v for k, v in self.headers.items()}
        )
        self._send(status, headers, payload)

    def _send(self, status: int, headers: dict[str, str], payload: Any) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and left; nothing to tell it
