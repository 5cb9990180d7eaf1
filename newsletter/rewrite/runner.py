"""The rewrite stage: cache lookups, then one concurrent request per uncached paper + the intro.

Never lossy: every paper given comes back as exactly one ``Rewrite``; a paper the model could
not rewrite is ``status="failed"`` with its failure kind, and the pipeline keeps the digest's
summary for it.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from newsletter.config import LLMConfig
from newsletter.errors import OutputError
from newsletter.model import Bilingual, Paper, Rewrite, Rewrites
from newsletter.rewrite import prompts
from newsletter.rewrite.cache import CachedIntro, CachedRewrite, RewriteCache
from newsletter.rewrite.client import Backoff, CompletionFailed, LLMClient
from newsletter.rewrite.stats import build_stats
from newsletter.rewrite.validate import ReplyInvalid, check_text

log = logging.getLogger(__name__)


def _object_schema(*names: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {name: {"type": "string"} for name in names},
        "required": list(names),
        "additionalProperties": False,
    }


PAPER_SCHEMA = _object_schema("tldr_en", "tldr_zh", "title_zh")
INTRO_SCHEMA = _object_schema("intro_en", "intro_zh")
# (language, min chars, max chars): generous upper bounds, about twice what the prompt asks.
_PAPER_FIELDS = {
    "tldr_en": ("en", 20, 700),
    "tldr_zh": ("zh", 8, 350),
    "title_zh": ("zh", 2, 300),
}
_INTRO_FIELDS = {"intro_en": ("en", 20, 1200), "intro_zh": ("zh", 10, 600)}
PAPER_MAX_TOKENS = 700
INTRO_MAX_TOKENS = 700


def _checked(data: dict[str, Any], fields: dict[str, tuple[str, int, int]]) -> dict[str, str]:
    return {
        name: check_text(data[name], field=name, language=language, min_chars=low, max_chars=high)
        for name, (language, low, high) in fields.items()
    }


def unique_papers(papers: Sequence[Paper]) -> list[Paper]:
    """Papers in order, each id once (a digest may list a cross-listed paper twice)."""
    seen: dict[str, Paper] = {}
    for paper in papers:
        seen.setdefault(paper.id, paper)
    return list(seen.values())


class _Run:
    """The state of one stage run: results so far and the failures met."""

    def __init__(self, client: LLMClient, cache: RewriteCache, bar: Any) -> None:
        self.client = client
        self.cache = cache
        self.bar = bar
        self.results: dict[str, Rewrite] = {}
        self.failures: list[str] = []
        self.intro: Bilingual | None = None

    async def rewrite(self, paper: Paper, version: str) -> None:
        messages = prompts.paper_messages(paper).as_chat()
        try:
            reply = await self.client.complete_json(
                messages, PAPER_SCHEMA, name="paper_rewrite", max_tokens=PAPER_MAX_TOKENS
            )
            fields = _checked(reply.data, _PAPER_FIELDS)
        except (CompletionFailed, ReplyInvalid) as exc:
            log.info("rewrite of %s failed: %s", paper.id, exc)
            self.failures.append(exc.kind)
            self.results[paper.id] = Rewrite(paper.id, "failed", failure=exc.kind)
        else:
            entry = CachedRewrite(fields["tldr_en"], fields["tldr_zh"], fields["title_zh"])
            await self._store(self.cache.put_paper, paper, version, entry)
            self.results[paper.id] = Rewrite(
                paper.id, "llm", Bilingual(entry.tldr_en, entry.tldr_zh), entry.title_zh
            )
        self.bar.update(1)

    async def write_intro(self, titles: list[str], sections: list[str], version: str) -> None:
        messages = prompts.intro_messages(titles, sections).as_chat()
        try:
            reply = await self.client.complete_json(
                messages, INTRO_SCHEMA, name="edition_intro", max_tokens=INTRO_MAX_TOKENS
            )
            fields = _checked(reply.data, _INTRO_FIELDS)
        except (CompletionFailed, ReplyInvalid) as exc:
            log.info("intro failed: %s", exc)
            self.failures.append(exc.kind)
        else:
            entry = CachedIntro(fields["intro_en"], fields["intro_zh"])
            await self._store(self.cache.put_intro, titles, sections, version, entry)
            self.intro = Bilingual(entry.en, entry.zh)
        self.bar.update(1)

    @staticmethod
    async def _store(put: Any, *args: Any) -> None:
        # A cache that cannot be written costs a request next run; it must not cost the answer.
        try:
            await asyncio.to_thread(put, *args)
        except OutputError as exc:
            log.warning("LLM cache not written: %s", exc)


def _progress_bar(total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc="LLM rewrite",
        unit="req",
        file=sys.stderr,
        disable=not (enabled and sys.stderr.isatty()),
        leave=False,
    )


async def rewrite_papers_async(
    papers: Sequence[Paper],
    config: LLMConfig,
    *,
    cache_dir: Path,
    refresh: bool = False,
    progress: bool = True,
    environ: Mapping[str, str],
    section_titles: Sequence[str] | None = None,
    backoff: Backoff | None = None,
) -> Rewrites:
    started = time.perf_counter()
    version, intro_version = prompts.paper_version(), prompts.intro_version()
    unique = unique_papers(papers)
    if not unique:
        return Rewrites(model=config.model, prompt_version=prompts.prompt_version())
    # Raises LLMError for a missing key before anything else happens.
    client = LLMClient.from_config(config, environ, backoff=backoff)
    cache = RewriteCache(cache_dir, model=config.model)
    titles = [paper.title for paper in unique]
    sections = list(section_titles or [])
    cached: dict[str, Rewrite] = {}
    for paper in unique:
        hit = None if refresh else cache.get_paper(paper, version)
        if hit is not None:
            tldr = Bilingual(hit.tldr_en, hit.tldr_zh)
            cached[paper.id] = Rewrite(paper.id, "cache", tldr, hit.title_zh)
    intro_hit = None
    if config.intro and not refresh:
        intro_hit = cache.get_intro(titles, sections, intro_version)
    misses = [paper for paper in unique if paper.id not in cached]
    need_intro = config.intro and intro_hit is None

    async with client:
        bar = _progress_bar(len(misses) + int(need_intro), progress)
        run = _Run(client, cache, bar)
        try:
            # Papers first and the intro last: tasks take semaphore slots in creation order, so
            # the intro fills a free slot of the final round and a budget cap hits it last.
            jobs = [run.rewrite(paper, version) for paper in misses]
            if need_intro:
                jobs.append(run.write_intro(titles, sections, intro_version))
            await asyncio.gather(*jobs)
        finally:
            bar.close()
        usage = client.usage

    results = {**cached, **run.results}
    intro = Bilingual(intro_hit.en, intro_hit.zh) if intro_hit else run.intro
    stats = build_stats(
        requests=usage.requests,
        cache_hits=len(cached) + int(intro_hit is not None),
        failure_kinds=run.failures,
        tokens_in=usage.tokens_in,
        tokens_out=usage.tokens_out,
        prices=config.prices,
        wall_s=time.perf_counter() - started,
    )
    return Rewrites(
        by_paper=tuple(results[paper.id] for paper in unique),
        intro=intro,
        stats=stats,
        model=config.model,
        prompt_version=prompts.prompt_version(),
    )
