"""Grouping mode "llm": the model picks each paper's subtopic among the taxonomy's ids.

One request per paper, concurrent like the rewrite stage, answers restricted to the valid ids
(a JSON-schema enum; ``LLMClient.complete_json`` also checks the enum when a server ignores the
schema). Answers are cached by paper, content, model, prompt version and the list of ids, so a
re-run asks nothing. A paper the model cannot place is simply absent from the result: the
grouping stage keeps its offline choice.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from newsletter.config import LLMConfig
from newsletter.errors import OutputError
from newsletter.model import Paper
from newsletter.rewrite import prompts
from newsletter.rewrite.cache import RewriteCache
from newsletter.rewrite.client import Backoff, CompletionFailed, LLMClient
from newsletter.rewrite.runner import unique_papers

log = logging.getLogger(__name__)

CLASSIFY_TEMPLATE = "classify.v1.j2"
CLASSIFY_MAX_TOKENS = 60


class SubtopicOption(Protocol):
    """A subtopic the model may choose (``key`` is what it must answer). The grouping stage's
    ``SubtopicChoice`` is one; this stage only needs these fields."""

    key: str
    title_en: str
    description: str


@dataclass(frozen=True)
class Classification:
    picks: Mapping[str, str]  # paper id -> chosen key
    requests: int
    cache_hits: int
    failures: tuple[str, ...]  # failure kind per paper that kept its offline choice


def _options_digest(options: Sequence[SubtopicOption]) -> str:
    text = json.dumps([(o.key, o.title_en, o.description) for o in options], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


async def classify_async(
    papers: Sequence[Paper],
    options: Sequence[SubtopicOption],
    config: LLMConfig,
    *,
    cache_dir: Path,
    refresh: bool = False,
    environ: Mapping[str, str],
    backoff: Backoff | None = None,
) -> Classification:
    keys = [option.key for option in options]
    valid = set(keys)
    schema = {
        "type": "object",
        "properties": {"subtopic": {"type": "string", "enum": keys}},
        "required": ["subtopic"],
        "additionalProperties": False,
    }
    cache = RewriteCache(cache_dir, model=config.model)
    version = prompts.template_version(CLASSIFY_TEMPLATE)
    digest = _options_digest(options)
    picks: dict[str, str] = {}
    failures: list[str] = []
    misses: list[Paper] = []
    for paper in unique_papers(papers):
        cached = None if refresh else cache.get_subtopic(paper, version, digest, valid)
        if cached is not None:
            picks[paper.id] = cached
        else:
            misses.append(paper)
    hits = len(picks)

    client = LLMClient.from_config(config, environ, backoff=backoff)

    async def classify(paper: Paper) -> None:
        messages = prompts.render_template(
            CLASSIFY_TEMPLATE,
            {
                "choices": options,
                "paper_id": paper.id,
                "title": paper.title,
                "categories": ", ".join(paper.categories),
                "abstract": paper.abstract,
            },
        ).as_chat()
        try:
            reply = await client.complete_json(
                messages, schema, name="subtopic", max_tokens=CLASSIFY_MAX_TOKENS
            )
        except CompletionFailed as exc:
            log.info("subtopic choice for %s failed: %s", paper.id, exc)
            failures.append(exc.kind)
            return
        choice = reply.data.get("subtopic")
        if choice not in valid:  # complete_json checks enums; this guards a future change there
            failures.append("bad_json")
            return
        picks[paper.id] = choice
        try:
            await asyncio.to_thread(cache.put_subtopic, paper, version, digest, choice)
        except OutputError as exc:
            log.warning("LLM cache not written: %s", exc)

    async with client:
        await asyncio.gather(*(classify(paper) for paper in misses))
        requests = client.usage.requests
    return Classification(picks=picks, requests=requests, cache_hits=hits, failures=tuple(failures))


def classify_papers(
    papers: Sequence[Paper],
    options: Sequence[SubtopicOption],
    config: LLMConfig,
    *,
    cache_dir: Path,
    refresh: bool = False,
    environ: Mapping[str, str] | None = None,
    backoff: Backoff | None = None,
) -> Classification:
    """Synchronous wrapper of ``classify_async`` (the pipeline is synchronous)."""
    return asyncio.run(
        classify_async(
            papers,
            options,
            config,
            cache_dir=Path(cache_dir),
            refresh=refresh,
            environ=os.environ if environ is None else environ,
            backoff=backoff,
        )
    )
