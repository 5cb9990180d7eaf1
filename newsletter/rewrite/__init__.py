"""The optional LLM rewrite stage: bilingual TL;DRs, Chinese titles and the day's intro.

Public API::

    rewrite_papers(papers, config, cache_dir=..., refresh=False, progress=True, environ=None,
                   section_titles=None) -> Rewrites
    format_stats(stats) -> str                       # one line for the CLI
    LLMClient.from_config(config, environ)           # async JSON completions, for other stages
        await client.complete_json(messages, schema, name=..., max_tokens=...) -> JSONReply

The openai SDK is imported only when a client is created, so importing this package is cheap.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from newsletter.config import LLMConfig
from newsletter.model import Paper, Rewrites
from newsletter.rewrite.client import (
    Backoff,
    Budget,
    CompletionFailed,
    JSONReply,
    LLMClient,
    resolve_endpoint,
)
from newsletter.rewrite.runner import rewrite_papers_async
from newsletter.rewrite.stats import format_stats
from newsletter.rewrite.validate import FailureKind

FAILURE_KINDS: tuple[str, ...] = FailureKind.__args__  # type: ignore[attr-defined]

__all__ = [
    "FAILURE_KINDS",
    "Backoff",
    "Budget",
    "CompletionFailed",
    "JSONReply",
    "LLMClient",
    "format_stats",
    "resolve_endpoint",
    "rewrite_papers",
    "rewrite_papers_async",
]


def rewrite_papers(
    papers: Sequence[Paper],
    config: LLMConfig,
    *,
    cache_dir: Path,
    refresh: bool = False,
    progress: bool = True,
    environ: Mapping[str, str] | None = None,
    section_titles: Sequence[str] | None = None,
    backoff: Backoff | None = None,
) -> Rewrites:
    """Rewrite every paper's TL;DR (en + zh) and title (zh), and write the day's intro.

    Raises ``LLMError`` when the API key is missing; any other problem is per paper and
    shows as ``Rewrite(status="failed", failure=kind)`` and in ``Rewrites.stats``.
    ``section_titles`` (optional) help the intro name the day's themes.
    """

    def run() -> Rewrites:
        return asyncio.run(
            rewrite_papers_async(
                papers,
                config,
                cache_dir=Path(cache_dir),
                refresh=refresh,
                progress=progress,
                environ=os.environ if environ is None else environ,
                section_titles=section_titles,
                backoff=backoff,
            )
        )

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run()
    # Called from inside an event loop (a notebook, an async scheduler): asyncio.run would
    # refuse, so the stage gets its own loop in a worker thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()
