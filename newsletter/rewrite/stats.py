"""Run statistics of the rewrite stage and their one-line summary for the CLI."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from newsletter.config import PricesConfig
from newsletter.model import RewriteStats


def cost_of(tokens_in: int, tokens_out: int, prices: PricesConfig) -> float | None:
    """Cost in the prices' currency, or None when no price is configured."""
    if prices.input_per_mtok is None and prices.output_per_mtok is None:
        return None
    return (
        tokens_in * (prices.input_per_mtok or 0.0) + tokens_out * (prices.output_per_mtok or 0.0)
    ) / 1_000_000


def build_stats(
    *,
    requests: int,
    cache_hits: int,
    failure_kinds: Iterable[str],
    tokens_in: int,
    tokens_out: int,
    prices: PricesConfig,
    wall_s: float,
) -> RewriteStats:
    return RewriteStats(
        requests=requests,
        cache_hits=cache_hits,
        failures=tuple(sorted(Counter(failure_kinds).items())),
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        cost=cost_of(tokens_in, tokens_out, prices),
        wall_s=wall_s,
    )


def format_stats(stats: RewriteStats) -> str:
    """One line, e.g. ``LLM: 61 requests, 0 cache hits, 2 failed (timeout 1, bad_json 1), ...``."""
    failed = sum(count for _, count in stats.failures)
    failures = f"{failed} failed"
    if stats.failures:
        failures += " (" + ", ".join(f"{kind} {count}" for kind, count in stats.failures) + ")"
    parts = [
        f"{stats.requests} requests",
        f"{stats.cache_hits} cache hits",
        failures,
        f"tokens {stats.tokens_in:,} in / {stats.tokens_out:,} out",
    ]
    if stats.cost is not None:
        parts.append(f"cost {stats.cost:.4f}")
    parts.append(f"{stats.wall_s:.1f} s")
    return "LLM: " + ", ".join(parts)
