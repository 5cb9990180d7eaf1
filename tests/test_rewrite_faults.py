"""Faults and fallbacks of the rewrite stage, over HTTP against the fake server."""

from __future__ import annotations

import random
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from test_rewrite import make_config, make_papers, run  # noqa: E402

from newsletter.model import Paper  # noqa: E402

from fake_openai import PERSISTENT, FakeOpenAI  # noqa: E402

TRANSIENT = ("rate_limit", "server_error", "hang")  # once, then the retry succeeds


@pytest.mark.parametrize("fault", sorted(PERSISTENT))
def test_each_fault_kind_fails_only_its_paper(tmp_path, fault):
    kind, cost = PERSISTENT[fault]
    papers = make_papers(3)
    with FakeOpenAI() as server:
        server.fail_paper(papers[1].id, *[fault] * 3)
        result = run(papers, make_config(server, timeout_s=1.0, intro=False), tmp_path)
    sent_for_paper = sum(1 for r in server.requests if r.paper_id == papers[1].id)
    assert [r.status for r in result.by_paper] == ["llm", "failed", "llm"]
    assert result.by_paper[1].failure == kind
    assert result.by_paper[1].tldr.en is None
    assert result.stats.failures == ((kind, 1),)
    assert sent_for_paper == cost
    assert result.stats.requests == 2 + cost
    # A failure is not cached: the next run asks again for that paper only.
    with FakeOpenAI() as server:
        again = run(papers, make_config(server, intro=False), tmp_path)
        assert [r.paper_id for r in server.requests] == [papers[1].id]
    assert [r.status for r in again.by_paper] == ["cache", "llm", "cache"]


@pytest.mark.parametrize("fault", TRANSIENT)
def test_a_transient_fault_is_retried_and_is_not_a_failure(tmp_path, fault):
    papers = make_papers(2)
    with FakeOpenAI() as server:
        server.fail_paper(papers[0].id, fault)
        result = run(papers, make_config(server, timeout_s=1.0, intro=False), tmp_path)
    assert [r.status for r in result.by_paper] == ["llm", "llm"]
    assert result.stats.failures == ()
    assert result.stats.requests == 3


def test_retry_after_is_honoured(tmp_path):
    papers = make_papers(1)
    with FakeOpenAI(retry_after="0.3") as server:
        server.fail_paper(papers[0].id, "rate_limit")
        result = run(papers, make_config(server, intro=False), tmp_path)
        first, second = sorted(server.requests, key=lambda r: r.index)
    assert result.by_paper[0].status == "llm"
    assert second.arrived - first.arrived >= 0.3


def test_every_fault_kind_at_20_percent_keeps_every_paper_and_counts_match(tmp_path):
    """The issue's acceptance test: the summary counts equal what the server injected."""
    papers = make_papers(110)
    variants = [(f, "persistent") for f in PERSISTENT] + [(f, "transient") for f in TRANSIENT]
    faulted = random.Random(4).sample([p.id for p in papers], 2 * len(variants))  # 20%
    plan = {paper_id: variants[i % len(variants)] for i, paper_id in enumerate(faulted)}
    expected_failures: Counter[str] = Counter()
    expected_requests = len(papers) + 1  # one each, plus the intro
    expected_served: Counter[str] = Counter()
    with FakeOpenAI() as server:
        for paper_id, (fault, how) in plan.items():
            if how == "persistent":
                server.fail_paper(paper_id, *[fault] * 3)
                kind, cost = PERSISTENT[fault]
                expected_failures[kind] += 1
                expected_requests += cost - 1
                expected_served[fault] += cost
            else:
                server.fail_paper(paper_id, fault)
                expected_requests += 1
                expected_served[fault] += 1
        result = run(papers, make_config(server, timeout_s=1.5, concurrency=16), tmp_path)
    assert server.served_faults == expected_served
    assert server.request_count == expected_requests

    assert [r.paper_id for r in result.by_paper] == [p.id for p in papers]  # all present
    assert dict(result.stats.failures) == dict(expected_failures)
    assert len(expected_failures) == len(PERSISTENT)  # every kind was exercised
    assert result.stats.requests == expected_requests
    for rewrite in result.by_paper:
        fault, how = plan.get(rewrite.paper_id, (None, None))
        if how == "persistent":
            assert (rewrite.status, rewrite.failure) == ("failed", PERSISTENT[fault][0])
        else:
            assert rewrite.status == "llm" and rewrite.tldr.zh
    assert result.intro is not None


def test_json_schema_rejected_falls_back_to_json_object_for_the_rest_of_the_run(tmp_path):
    papers = make_papers(12)
    with FakeOpenAI(reject_json_schema=True) as server:
        result = run(papers, make_config(server, concurrency=1, intro=False), tmp_path)
        formats = [r.response_format for r in sorted(server.requests, key=lambda r: r.index)]
    assert {r.status for r in result.by_paper} == {"llm"}
    assert formats == ["json_schema"] + ["json_object"] * 12  # downgraded once, remembered
    assert result.stats.failures == () and result.stats.requests == 13


def test_no_json_mode_at_all_falls_back_to_lenient_parsing(tmp_path):
    papers = make_papers(5)
    with FakeOpenAI(reject_json_schema=True, reject_json_object=True) as server:
        result = run(papers, make_config(server, concurrency=2), tmp_path)
        last = max(server.requests, key=lambda r: r.index)
    assert {r.status for r in result.by_paper} == {"llm"}
    assert result.intro is not None
    assert last.response_format is None and "response_format" not in last.body
    assert result.by_paper[0].tldr.zh.startswith("本文（2602.00000）")


def test_fenced_reply_with_chatter_is_parsed(tmp_path):
    papers = make_papers(1)
    with FakeOpenAI() as server:
        server.fail_paper(papers[0].id, "fenced")
        result = run(papers, make_config(server, intro=False), tmp_path)
    assert result.by_paper[0].status == "llm"


def test_latex_backslashes_survive_a_sloppy_json_reply(tmp_path):
    title = r"$\alpha$-divergence, \frac{1}{2}-bounds and $\nabla_\theta$ with \beta-VAE"
    paper = Paper(id="2602.09999", title=title, abstract="About divergences.")
    with FakeOpenAI() as server:
        server.fail_paper(paper.id, "sloppy_latex")
        result = run([paper], make_config(server, intro=False), tmp_path)
        raw = server.requests[0]
    assert raw.fault == "sloppy_latex"
    rewrite = result.by_paper[0]
    assert rewrite.status == "llm"
    assert title in rewrite.tldr.en  # every backslash command intact, no tab/newline/formfeed


def test_unauthorized_style_errors_stop_further_requests(tmp_path):
    papers = make_papers(6)
    with FakeOpenAI(responder=lambda body: "unused") as server:
        # A 404 (wrong model or URL) fails every request alike: one is enough to know.
        server.base_url  # noqa: B018 - started
        config = make_config(server, concurrency=1, intro=False)
        config = config.model_copy(update={"base_url": server.base_url + "/wrong"})
        result = run(papers, config, tmp_path)
        assert server.request_count == 0  # the 404 came from routing, before any handling
    assert {r.failure for r in result.by_paper} == {"http_error"}
    assert result.stats.requests == 1
