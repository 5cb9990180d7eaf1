"""Faults end to end: one `newsletter run` (the cron entry point, through the real CLI) with
the LLM on against the fake OpenAI server injecting every fault kind at ~20% of the papers,
and delivery over SMTP to an aiosmtpd server that answers 421 once, drops one connection and
rejects one recipient with 550. Then the same `run` again.

Promises checked: every paper is in the edition; the LLM failures recorded per paper match
what the server injected, kind by kind; everyone who could get the edition got it exactly
once (parsed from what the server received), the 550 is reported, recorded in the ledger and
turns the exit status to 1; the second run delivers nothing new and asks the model only about
the papers that failed; no secret shows up in the output or the logs.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from newsletter.cli import main
from newsletter.ingest import load_digest

from fake_openai import PERSISTENT, FakeOpenAI
from smtp_server import SMTPTestServer
from testpaths import PROJECT_ROOT, SAMPLE_DATE

SOURCE = PROJECT_ROOT / "examples" / "digests"
API_KEY = "sk-reliability-SECRET-4242"
SMTP_PASSWORD = "smtp-SECRET-hunter2"
PEOPLE = ["alice@example.org", "bob@example.org", "carol@example.net", "dave@example.com"]
REJECTED = "carol@example.net"
TRANSIENT = ("rate_limit", "server_error", "hang", "sloppy_latex")  # once, then fine
HANG_S = 2.5  # how long a "hang" holds its request: past the client's 1.5 s timeout


@dataclass
class Outcome:
    out: Path
    papers: list[str]
    plan: dict[str, tuple[str, str]]
    first: tuple[int, str]
    second: tuple[int, str]
    llm_first: list
    llm_second: list
    served_faults: Counter
    edition_first: dict
    messages_first: list
    messages_second: list
    smtp_log: list
    logs: list[str]


def _write_config(folder: Path, llm_url: str, smtp_port: int) -> Path:
    config = {
        "source": str(SOURCE),
        "out_dir": str(folder / "out"),
        "llm": {
            "enabled": True, "base_url": llm_url, "model": "fake-model", "timeout_s": 1.5,
            "max_retries": 2, "concurrency": 16,
        },
        "delivery": {
            "backend": "smtp", "from": "arXiv Daily <news@example.org>", "to": PEOPLE,
            "retries": 3,
            "smtp": {"host": "127.0.0.1", "port": smtp_port, "security": "none",
                     "username": "newsletter", "timeout_s": 5},
        },
    }
    path = folder / "newsletter.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def _run(config: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["run", "--date", SAMPLE_DATE, "--config", str(config)], catch_exceptions=False
    )
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def outcome(tmp_path_factory) -> Outcome:
    folder = tmp_path_factory.mktemp("faults")
    papers = [p.id for p in load_digest(str(SOURCE), SAMPLE_DATE).papers]
    variants = [(f, "persistent") for f in PERSISTENT] + [(f, "transient") for f in TRANSIENT]
    faulted = random.Random(8).sample(papers, len(variants))  # 12 of 61 papers: ~20%
    plan = dict(zip(faulted, variants, strict=True))
    handler = _Records()
    root = logging.getLogger()
    old_level = root.level
    with (
        pytest.MonkeyPatch.context() as env,
        FakeOpenAI(retry_after="0.05", hang_s=HANG_S) as llm,
        SMTPTestServer(users={"newsletter": SMTP_PASSWORD}) as smtp,
    ):
        env.setenv("OPENAI_API_KEY", API_KEY)
        env.setenv("NEWSLETTER_SMTP_PASSWORD", SMTP_PASSWORD)
        for paper_id, (fault, how) in plan.items():
            # A persistent fault is served on every attempt the client makes, no more: the
            # second run then finds a healthy server.
            llm.fail_paper(paper_id, *[fault] * (PERSISTENT[fault][1] if how == "persistent" else 1))
        smtp.fail("MAIL", 421)  # the first message: a temporary refusal, then accepted
        smtp.fail("DATA", drop=True, recipient="bob@example.org")  # cut mid-transaction
        smtp.reject(REJECTED, 550)
        config = _write_config(folder, llm.base_url, smtp.port)
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        try:
            first = _run(config)
            # A hung request is recorded when the server lets go of it, after the client gave up.
            time.sleep(HANG_S + 0.3)
            llm_first, messages_first = list(llm.requests), list(smtp.messages)
            served_first = Counter(llm.served_faults)
            edition_first = (folder / "out" / SAMPLE_DATE / "edition.json").read_text()
            second = _run(config)
        finally:
            root.removeHandler(handler)
            root.setLevel(old_level)
        return Outcome(
            out=folder / "out", papers=papers, plan=plan, first=first, second=second,
            llm_first=llm_first, llm_second=list(llm.requests[len(llm_first):]),
            served_faults=served_first, edition_first=json.loads(edition_first),
            messages_first=messages_first,
            messages_second=list(smtp.messages[len(messages_first):]),
            smtp_log=list(smtp.log.entries), logs=handler.lines,
        )


def _edition_now(outcome: Outcome) -> dict:
    return json.loads((outcome.out / SAMPLE_DATE / "edition.json").read_text(encoding="utf-8"))


def _topic_entries(edition: dict) -> list[dict]:
    return [p for s in edition["sections"] if s["kind"] == "topic" for p in s["papers"]]


def test_every_fault_kind_was_injected(outcome):
    expected = Counter()
    for fault, how in outcome.plan.values():
        expected[fault] += PERSISTENT[fault][1] if how == "persistent" else 1
    assert outcome.served_faults == expected
    assert set(PERSISTENT) <= set(outcome.served_faults)
    assert ("MAIL", "news@example.org", "421") in outcome.smtp_log
    assert ("DATA", "bob@example.org", "drop") in outcome.smtp_log
    assert ("RCPT", REJECTED, "550") in outcome.smtp_log


def test_all_papers_are_in_the_edition(outcome):
    entries = _topic_entries(outcome.edition_first)
    assert sorted(e["id"] for e in entries) == sorted(outcome.papers)
    assert all(e["tldr"]["en"] and e["tldr"]["zh"] for e in entries)  # a fallback at worst


def test_llm_failures_recorded_match_what_the_server_injected(outcome):
    """Persistent faults fail their paper with the right kind; transient ones are retried."""
    recorded = {e["id"]: e["rewrite_failure"] for e in _topic_entries(outcome.edition_first)}
    expected = {
        paper_id: PERSISTENT[fault][0] if how == "persistent" else None
        for paper_id, (fault, how) in outcome.plan.items()
    }
    assert {pid: recorded[pid] for pid in expected} == expected
    unplanned = {pid: kind for pid, kind in recorded.items() if pid not in expected and kind}
    assert unplanned == {}
    cost = sum(
        PERSISTENT[fault][1] if how == "persistent" else (1 if fault == "sloppy_latex" else 2)
        for fault, how in outcome.plan.values()
    )
    paper_requests = [r for r in outcome.llm_first if r.kind == "paper"]
    assert len(paper_requests) == len(outcome.papers) - len(outcome.plan) + cost


def test_run_output_reports_llm_failures_by_kind(outcome):
    code, output = outcome.first
    for kind, _ in PERSISTENT.values():
        assert f"{kind} 1" in output, output


def test_everyone_who_could_get_it_got_it_exactly_once(outcome):
    received = Counter(r for m in outcome.messages_first for r in m.rcpt_tos)
    assert received == Counter({p: 1 for p in PEOPLE if p != REJECTED})
    ids = [m.parsed()["Message-ID"] for m in outcome.messages_first]
    assert len(set(ids)) == len(ids)
    for message in outcome.messages_first:
        parsed = message.parsed()
        (rcpt,) = message.rcpt_tos
        assert parsed["To"].addresses[0].addr_spec == rcpt
        assert str(len(outcome.papers)) in parsed["Subject"]
        assert {p.get_content_type() for p in parsed.iter_parts()} == {"text/plain", "text/html"}


def test_the_rejected_recipient_is_reported_recorded_and_fails_the_exit_status(outcome):
    code, output = outcome.first
    assert code == 1, output
    assert REJECTED in output and "550" in output
    ledger = json.loads((outcome.out / "ledger" / f"{SAMPLE_DATE}.json").read_text())
    entries = {e["recipient"]: e for e in ledger["recipients"].values()}
    assert entries[REJECTED]["status"] == "failed_permanent"
    assert "550" in entries[REJECTED]["detail"]
    assert {p for p, e in entries.items() if e["status"] == "sent"} == set(PEOPLE) - {REJECTED}
    assert entries["alice@example.org"]["attempts"] == 2  # the 421, then accepted
    assert entries["bob@example.org"]["attempts"] == 2  # the dropped connection, then accepted


def test_a_second_run_delivers_nothing_new_and_asks_only_about_failed_papers(outcome):
    code, output = outcome.second
    assert code == 1, output  # carol is still refused: still not everyone
    assert [r for m in outcome.messages_second for r in m.rcpt_tos] == []
    assert "3 already had it" in output, output
    failed = {pid for pid, (_, how) in outcome.plan.items() if how == "persistent"}
    asked = {r.paper_id for r in outcome.llm_second if r.kind == "paper"}
    assert asked == failed  # everything else came from the cache
    entries = _topic_entries(_edition_now(outcome))
    assert sorted(e["id"] for e in entries) == sorted(outcome.papers)
    assert [e["id"] for e in entries if e["rewrite_failure"]] == []  # faults spent: all fine now


def test_no_secret_in_output_or_logs(outcome):
    text = "\n".join([outcome.first[1], outcome.second[1], *outcome.logs])
    assert outcome.logs  # the run did log (retries, the 550)
    assert API_KEY not in text and SMTP_PASSWORD not in text
