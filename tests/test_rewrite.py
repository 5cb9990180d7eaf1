"""The rewrite stage end to end: the real openai client over HTTP against tests/fake_openai.py."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from newsletter.config import BudgetConfig, LLMConfig, PricesConfig  # noqa: E402
from newsletter.errors import LLMError  # noqa: E402
from newsletter.model import Paper, Summary  # noqa: E402
from newsletter.rewrite import Backoff, format_stats, rewrite_papers  # noqa: E402

from fake_openai import FakeOpenAI  # noqa: E402

FAST = Backoff(base_s=0.01, max_s=0.05, max_retry_after_s=1.0)
KEY = {"OPENAI_API_KEY": "sk-test-not-a-real-key"}


def make_papers(count: int, prefix: str = "2602") -> list[Paper]:
    return [
        Paper(
            id=f"{prefix}.{index:05d}",
            title=f"Sparse attention for video diffusion, part {index}",
            abstract=f"We propose method {index}. It is fast.",
            summary=Summary(tldr=f"本文提出方法{index}。"),
            summary_language="zh",
        )
        for index in range(count)
    ]


def make_config(server: FakeOpenAI, **changes: object) -> LLMConfig:
    values: dict[str, object] = {
        "enabled": True,
        "base_url": server.base_url,
        "model": "fake-model",
        "timeout_s": 2.0,  # generous: a loaded CI machine must not turn replies into timeouts
        "max_retries": 2,
        "concurrency": 8,
    }
    values.update(changes)
    return LLMConfig(**values)


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


def run(papers, config, tmp_path, **options):
    options.setdefault("environ", KEY)
    return rewrite_papers(
        papers, config, cache_dir=tmp_path / "cache", progress=False, backoff=FAST, **options
    )


def test_happy_path_rewrites_every_paper_and_the_intro(server, tmp_path):
    papers = make_papers(5)
    result = run(papers, make_config(server), tmp_path, section_titles=["3D vision"])

    assert [r.paper_id for r in result.by_paper] == [p.id for p in papers]
    for rewrite in result.by_paper:
        assert rewrite.status == "llm"
        assert rewrite.tldr.en == (
            f"This paper ({rewrite.paper_id}) studies Sparse attention for video diffusion, "
            f"part {int(rewrite.paper_id[-5:])} and reports clear gains."
        )
        assert rewrite.tldr.zh.startswith(f"本文（{rewrite.paper_id}）")
        assert rewrite.title_zh == f"论文{rewrite.paper_id}的中文标题"
    assert result.intro is not None and "5 papers" in result.intro.en
    assert result.intro.zh.startswith("今天的内容共有5篇论文")
    assert result.stats.requests == 6 == server.request_count
    assert result.stats.failures == ()
    assert result.stats.tokens_in > 0 and result.stats.tokens_out > 0
    assert result.stats.cost is None
    assert result.model == "fake-model" and result.prompt_version == "paper.v1+intro.v1"

    first = next(r for r in server.requests if r.kind == "paper")
    assert first.headers["authorization"] == "Bearer sk-test-not-a-real-key"
    assert first.response_format == "json_schema"
    assert first.body["response_format"]["json_schema"]["strict"] is True
    user = first.body["messages"][1]["content"]
    assert "Abstract:\nWe propose method" in user and "本文提出方法" in user  # digest summary
    intro = next(r for r in server.requests if r.kind == "intro")
    assert "Sections: 3D vision" in intro.body["messages"][1]["content"]


def test_second_run_is_served_from_cache_with_zero_requests(server, tmp_path):
    papers = make_papers(6)
    first = run(papers, make_config(server), tmp_path)
    assert first.stats.requests == 7

    second = run(papers, make_config(server), tmp_path)

    assert server.request_count == 7  # nothing new reached the server
    assert second.stats.requests == 0 and second.stats.cache_hits == 7
    assert [r.status for r in second.by_paper] == ["cache"] * 6
    assert [r.tldr for r in second.by_paper] == [r.tldr for r in first.by_paper]
    assert second.intro == first.intro
    files = sorted((tmp_path / "cache" / "papers" / "2602").glob("*.json"))
    assert len(files) == 6 and files[0].name.startswith("2602.00000-")


def test_cache_key_covers_content_model_and_refresh(server, tmp_path):
    papers = make_papers(4)
    run(papers, make_config(server), tmp_path)
    revised = [replace(papers[0], abstract="Revised."), *papers[1:]]

    changed = run(revised, make_config(server), tmp_path)
    assert [r.status for r in changed.by_paper] == ["llm", "cache", "cache", "cache"]
    assert changed.stats.requests == 1  # titles are unchanged, so the intro is a cache hit

    other_model = run(papers, make_config(server, model="other-model"), tmp_path)
    assert {r.status for r in other_model.by_paper} == {"llm"}

    before = server.request_count
    refreshed = run(papers, make_config(server), tmp_path, refresh=True)
    assert {r.status for r in refreshed.by_paper} == {"llm"}
    assert server.request_count - before == 5 == refreshed.stats.requests
    again = run(papers, make_config(server), tmp_path)
    assert again.stats.requests == 0  # refresh still wrote what it got


def test_missing_key_is_an_error_naming_the_variable(server, tmp_path):
    with pytest.raises(LLMError, match="OPENAI_API_KEY"):
        run(make_papers(2), make_config(server), tmp_path, environ={})
    with pytest.raises(LLMError, match="DEEPSEEK_API_KEY") as caught:
        run(
            make_papers(2),
            make_config(server, api_key_env="DEEPSEEK_API_KEY"),
            tmp_path,
            environ={"OPENAI_API_KEY": "sk-secret-value"},
        )
    assert "sk-secret-value" not in str(caught.value)
    assert server.request_count == 0


def test_base_url_and_key_follow_sdk_environment_variables(server, tmp_path):
    config = make_config(server, base_url=None, api_key_env="MY_LLM_KEY")
    environ = {"OPENAI_BASE_URL": server.base_url, "MY_LLM_KEY": "sk-from-env"}
    result = run(make_papers(1), config, tmp_path, environ=environ)
    assert result.by_paper[0].status == "llm"
    assert server.requests[0].headers["authorization"] == "Bearer sk-from-env"


def test_request_budget_fails_the_papers_beyond_it(server, tmp_path):
    config = make_config(server, budget=BudgetConfig(max_requests=5))
    result = run(make_papers(10), config, tmp_path)
    statuses = [r.status for r in result.by_paper]
    assert statuses.count("llm") == 5 and statuses.count("failed") == 5
    assert {r.failure for r in result.by_paper if r.status == "failed"} == {"budget"}
    assert result.intro is None  # asked last, so the cap hits it too
    assert result.stats.failures == (("budget", 6),)
    assert result.stats.requests == 5 == server.request_count


def test_token_budget_stops_after_it_is_spent(server, tmp_path):
    config = make_config(server, concurrency=1, intro=False, budget=BudgetConfig(max_tokens=1))
    result = run(make_papers(4), config, tmp_path)
    assert [r.status for r in result.by_paper] == ["llm", "failed", "failed", "failed"]
    assert result.stats.requests == 1


def test_cost_is_computed_from_configured_prices(server, tmp_path):
    prices = PricesConfig(input_per_mtok=1.0, output_per_mtok=2.0)
    result = run(make_papers(3), make_config(server, prices=prices), tmp_path)
    stats = result.stats
    assert stats.cost == pytest.approx((stats.tokens_in + 2 * stats.tokens_out) / 1e6)
    line = format_stats(stats)
    assert line.startswith("LLM: 4 requests, 0 cache hits, 0 failed, tokens ")
    assert "cost 0.00" in line


@pytest.mark.parametrize("concurrency", [3, 8])
def test_peak_in_flight_equals_configured_concurrency(tmp_path, concurrency):
    with FakeOpenAI(latency=0.1) as server:
        result = run(make_papers(20), make_config(server, concurrency=concurrency), tmp_path)
        assert server.peak_in_flight == concurrency
    assert {r.status for r in result.by_paper} == {"llm"}
    rounds = -(-21 // concurrency)
    assert result.stats.wall_s < rounds * 0.1 + 1.5  # well below one-at-a-time (2.1 s)


def test_duplicate_ids_make_one_request_and_empty_input_none(server, tmp_path):
    papers = make_papers(2)
    result = run([papers[0], papers[1], papers[0]], make_config(server, intro=False), tmp_path)
    assert [r.paper_id for r in result.by_paper] == [papers[0].id, papers[1].id]
    assert server.request_count == 2
    empty = run([], make_config(server), tmp_path, environ={})
    assert empty.by_paper == () and empty.stats.requests == 0


def test_complete_json_serves_other_stages_with_an_enum_schema(server):
    """The grouping stage's use: pick one of a fixed set of ids, enforced even in fallbacks."""
    import asyncio

    from newsletter.rewrite import CompletionFailed, LLMClient

    schema = {
        "type": "object",
        "properties": {"section": {"type": "string", "enum": ["cv-3d", "cv-video"]}},
        "required": ["section"],
        "additionalProperties": False,
    }
    messages = [{"role": "user", "content": "Pick a section for this paper, as JSON."}]

    async def ask() -> tuple[object, object]:
        async with LLMClient.from_config(make_config(server), KEY, backoff=FAST) as client:
            reply = await client.complete_json(messages, schema, name="section_choice")
            server.queue_reply({"section": "not-a-section"})
            with pytest.raises(CompletionFailed) as caught:
                await client.complete_json(messages, schema, name="section_choice")
            return reply, caught.value

    reply, failure = asyncio.run(ask())
    assert reply.data == {"section": "cv-3d"} and reply.mode == "json_schema"
    assert failure.kind == "bad_json"
    sent = server.requests[0].body["response_format"]["json_schema"]
    assert sent["name"] == "section_choice" and sent["schema"] == schema
