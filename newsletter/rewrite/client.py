"""An async JSON-completion client for any OpenAI-compatible endpoint.

``LLMClient.complete_json(messages, schema)`` sends one chat completion and returns the JSON
object the model answered, checked against ``schema``. Around that one call it owns:

- concurrency: at most ``concurrency`` requests in flight (a semaphore held only while a
  request is on the wire, never while backing off);
- retries: 429, 5xx, timeouts and dropped connections are retried up to ``max_retries``
  times with exponential backoff and jitter, honouring ``Retry-After`` (a 429 also pauses
  every other request until then, since the limit is per key, not per request). The SDK's
  own retries are off so that every request is counted and the waits are ours;
- structured output with fallback: ``response_format`` json_schema (strict), then
  ``json_object``, then none (lenient parsing), downgraded once for the rest of the run when
  a server rejects the format with a 400/422, as older vLLM and llama.cpp servers do;
- a budget: a cap on requests and on tokens for the run;
- usage: requests sent, tokens in and out.

Any reply that cannot be used raises ``CompletionFailed`` with a stable failure kind.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from newsletter.config import LLMConfig
from newsletter.errors import LLMError
from newsletter.rewrite.validate import FailureKind, ReplyInvalid, check_schema, parse_reply

if TYPE_CHECKING:
    import openai

FormatMode = Literal["json_schema", "json_object", "text"]
_DOWNGRADE: dict[FormatMode, FormatMode] = {"json_schema": "json_object", "json_object": "text"}
DEFAULT_BASE_URL = "https://api.openai.com/v1"
BASE_URL_ENV = "OPENAI_BASE_URL"


class CompletionFailed(Exception):
    """A completion that produced nothing usable; ``kind`` is a stable short string."""

    def __init__(self, kind: FailureKind, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind: FailureKind = kind
        self.detail = detail


@dataclass(frozen=True)
class Backoff:
    """How long to wait before retry number ``attempt`` (1-based)."""

    base_s: float = 1.0
    max_s: float = 30.0
    max_retry_after_s: float = 120.0

    def delay(self, attempt: int, retry_after_s: float | None = None) -> float:
        if retry_after_s is not None:
            # At least what the server asked, plus a little jitter so that the requests it
            # turned away do not all come back in the same millisecond.
            wait = min(retry_after_s, self.max_retry_after_s)
            return wait + random.uniform(0, 0.1 * wait + 0.01)
        ceiling = min(self.max_s, self.base_s * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)


@dataclass(frozen=True)
class JSONReply:
    data: dict[str, Any]
    tokens_in: int
    tokens_out: int
    mode: FormatMode  # the response_format that produced it
    requests: int  # HTTP requests it took, retries included


@dataclass(frozen=True)
class Usage:
    requests: int = 0
    tokens_in: int = 0
    tokens_out: int = 0


class Budget:
    """A per-run cap on requests and tokens; ``None`` means no cap."""

    def __init__(self, max_requests: int | None = None, max_tokens: int | None = None) -> None:
        self.max_requests = max_requests
        self.max_tokens = max_tokens

    def allows(self, usage: Usage) -> bool:
        if self.max_requests is not None and usage.requests >= self.max_requests:
            return False
        # Requests already in flight may overshoot the token cap by their own size.
        return self.max_tokens is None or usage.tokens_in + usage.tokens_out < self.max_tokens


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` / ``retry-after`` (seconds or HTTP date)."""
    if not headers:
        return None
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) / divisor
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                continue
            seconds = when.timestamp() - time.time()
        if math.isfinite(seconds):
            return max(0.0, seconds)
    return None


def resolve_endpoint(config: LLMConfig, environ: Mapping[str, str]) -> tuple[str, str]:
    """(base URL, API key) from the config, then the SDK's environment variables."""
    base_url = config.base_url or environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    api_key = environ.get(config.api_key_env, "").strip()
    if not api_key:
        raise LLMError(
            f"the LLM stage needs an API key: set the environment variable {config.api_key_env} "
            f"(or name another variable with llm.api_key_env); endpoint {base_url}"
        )
    return base_url, api_key


class LLMClient:
    """JSON completions against one endpoint and model; use as an async context manager."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        model: str,
        concurrency: int = 8,
        timeout_s: float = 60.0,
        max_retries: int = 4,
        temperature: float | None = 0.2,
        budget: Budget | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        import openai

        self._openai = openai
        self._sdk = openai.AsyncOpenAI(
            base_url=base_url, api_key=api_key, max_retries=0, timeout=timeout_s
        )
        self.base_url = base_url
        self.model = model
        self.max_retries = max_retries
        self.temperature = temperature
        self.budget = budget or Budget()
        self.backoff = backoff or Backoff()
        self.format_mode: FormatMode = "json_schema"
        self._semaphore = asyncio.Semaphore(concurrency)
        self._usage = Usage()
        self._paused_until = 0.0
        self._fatal: str | None = None  # set by a 401/403/404: no later request can succeed
        self._max_tokens_param = "max_tokens"

    @classmethod
    def from_config(
        cls,
        config: LLMConfig,
        environ: Mapping[str, str],
        *,
        backoff: Backoff | None = None,
    ) -> LLMClient:
        base_url, api_key = resolve_endpoint(config, environ)
        return cls(
            base_url=base_url,
            api_key=api_key,
            model=config.model,
            concurrency=config.concurrency,
            timeout_s=config.timeout_s,
            max_retries=config.max_retries,
            temperature=config.temperature,
            budget=Budget(config.budget.max_requests, config.budget.max_tokens),
            backoff=backoff,
        )

    @property
    def usage(self) -> Usage:
        return self._usage

    async def __aenter__(self) -> LLMClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._sdk.close()

    async def complete_json(
        self,
        messages: Sequence[Mapping[str, str]],
        schema: dict[str, Any],
        *,
        name: str = "reply",
        max_tokens: int = 800,
    ) -> JSONReply:
        """The model's JSON object for ``messages``, checked against ``schema``.

        ``schema`` is a JSON Schema object suitable for strict structured output (every
        property required, ``additionalProperties: false``); enums in it are enforced here too,
        since fallback modes cannot make the server enforce them.
        """
        sent = 0
        failures = 0
        while True:
            await self._wait_for_pause()
            try:
                async with self._semaphore:
                    # Checked once a slot is free, so that requests queued behind the slots
                    # see what the ones before them spent or learnt.
                    if self._fatal:
                        raise CompletionFailed("http_error", self._fatal)
                    mode = self.format_mode
                    if not self.budget.allows(self._usage):
                        raise CompletionFailed("budget", "the run's request/token budget is spent")
                    self._count(requests=1)
                    sent += 1
                    response = await self._send(messages, schema, name, mode, max_tokens)
            except self._openai.APITimeoutError:
                kind, detail, retry_after = "timeout", "no reply within the timeout", None
            except self._openai.APIStatusError as exc:
                if self._adapt_to_rejection(exc, mode):
                    continue  # same request, in a form this server accepts; not a failure
                kind, detail, retry_after = self._classify_status(exc)
                if kind == "http_error":
                    raise CompletionFailed(kind, detail) from None
            except self._openai.APIConnectionError as exc:
                kind, detail, retry_after = "http_error", f"connection failed: {exc}", None
            except self._openai.OpenAIError as exc:  # e.g. a 200 whose body is not JSON
                raise CompletionFailed("bad_json", f"unreadable response: {exc}") from None
            else:
                return self._read(response, schema, mode, sent)
            failures += 1
            if failures > self.max_retries:
                raise CompletionFailed(kind, f"{detail} (after {sent} requests)")
            await asyncio.sleep(self.backoff.delay(failures, retry_after))

    async def _send(
        self,
        messages: Sequence[Mapping[str, str]],
        schema: dict[str, Any],
        name: str,
        mode: FormatMode,
        max_tokens: int,
    ) -> openai.types.chat.ChatCompletion:
        options: dict[str, Any] = {self._max_tokens_param: max_tokens}
        if self.temperature is not None:
            options["temperature"] = self.temperature
        if mode == "json_schema":
            options["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": name, "strict": True, "schema": schema},
            }
        elif mode == "json_object":
            options["response_format"] = {"type": "json_object"}
        return await self._sdk.chat.completions.create(
            model=self.model,
            messages=list(messages),
            **options,  # type: ignore[arg-type]
        )

    def _read(
        self, response: Any, schema: dict[str, Any], mode: FormatMode, sent: int
    ) -> JSONReply:
        usage = getattr(response, "usage", None)
        tokens_in = int(getattr(usage, "prompt_tokens", 0) or 0)
        tokens_out = int(getattr(usage, "completion_tokens", 0) or 0)
        self._count(tokens_in=tokens_in, tokens_out=tokens_out)
        choices = getattr(response, "choices", None) or []
        if not choices:
            raise CompletionFailed("empty", "the reply has no choices")
        choice = choices[0]
        message = choice.message
        if getattr(message, "refusal", None):
            raise CompletionFailed("refusal", str(message.refusal)[:120])
        if choice.finish_reason == "content_filter":
            raise CompletionFailed("refusal", "stopped by the server's content filter")
        try:
            data = parse_reply(message.content)
            check_schema(data, schema)
        except ReplyInvalid as exc:
            if exc.kind == "bad_json" and choice.finish_reason == "length":
                raise CompletionFailed("bad_json", "reply cut off at max_tokens") from None
            raise CompletionFailed(exc.kind, exc.detail) from None
        return JSONReply(data, tokens_in, tokens_out, mode, sent)

    def _count(self, requests: int = 0, tokens_in: int = 0, tokens_out: int = 0) -> None:
        usage = self._usage
        self._usage = Usage(
            usage.requests + requests, usage.tokens_in + tokens_in, usage.tokens_out + tokens_out
        )

    async def _wait_for_pause(self) -> None:
        delay = self._paused_until - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    def _adapt_to_rejection(self, exc: Any, mode: FormatMode) -> bool:
        """Change how requests are made after a 400/422 that names what the server rejects."""
        if exc.status_code not in (400, 422):
            return False
        text = f"{exc.message} {exc.body}".lower()
        if mode != "text" and any(
            word in text for word in ("response_format", "json_schema", "json_object", "schema")
        ):
            # Only ever move down, even when several requests in flight hit this at once.
            if self.format_mode == mode:
                self.format_mode = _DOWNGRADE[mode]
            return True
        if self._max_tokens_param == "max_tokens" and "max_tokens" in text:
            self._max_tokens_param = "max_completion_tokens"  # newer OpenAI models
            return True
        if self.temperature is not None and "temperature" in text:
            self.temperature = None  # reasoning models accept only their default
            return True
        return False

    def _classify_status(self, exc: Any) -> tuple[FailureKind, str, float | None]:
        status = exc.status_code
        headers = getattr(exc.response, "headers", None)
        detail = f"HTTP {status}: {str(exc.message)[:160]}"
        if status == 429:
            retry_after = parse_retry_after(headers)
            if retry_after:
                pause = min(retry_after, self.backoff.max_retry_after_s)
                self._paused_until = max(self._paused_until, time.monotonic() + pause)
            return "rate_limited", detail, retry_after
        if status >= 500 or status == 408:
            return "server_error", detail, parse_retry_after(headers)
        if status in (401, 403, 404):
            # A wrong key, model or URL fails every request alike: stop sending any.
            self._fatal = detail
        return "http_error", detail, None
