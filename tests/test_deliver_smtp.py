"""Sending through a real SMTP server on 127.0.0.1 (aiosmtpd): messages, exactly once, faults."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from newsletter.config import DeliveryConfig
from newsletter.deliver import Backoff, send_edition
from newsletter.deliver.ledger import Ledger
from newsletter.errors import ConfigError, DeliveryError
from newsletter.model import RenderedEmail

from smtp_server import SMTPTestServer, free_port

DATE = "2026-02-09"
SUBJECT = "arXiv 每日速递 · 2026-02-09 · 3 篇论文"
FAST = Backoff(base_s=0.01, max_s=0.05)
PEOPLE = ["alice@example.org", "Bob Li <bob@example.org>", "carol@example.net"]


def edition(**changes: Any) -> RenderedEmail:
    values = dict(
        date=DATE,
        subject=SUBJECT,
        paper_count=3,
        html="<html><body><h1>今日论文</h1><p>Three papers.</p></body></html>",
        text="今日论文\nThree papers.\n",
    )
    values.update(changes)
    return RenderedEmail(**values)


def config(
    server: SMTPTestServer | None, to: Any = tuple(PEOPLE), **changes: Any
) -> DeliveryConfig:
    smtp = {
        "host": "127.0.0.1",
        "port": server.port if server else free_port(),
        "security": "none",
        "timeout_s": 5,
    }
    smtp.update(changes.pop("smtp", {}))
    data = {
        "backend": "smtp",
        "from": "arXiv 每日 <news@example.org>",
        "to": to,
        "smtp": smtp,
        "unsubscribe": {"url": "https://example.org/unsubscribe?e={email}"},
    }
    data.update(changes)
    return DeliveryConfig.model_validate(data)


def ledger_of(out: Path) -> dict[str, Any]:
    return json.loads((out / "ledger" / f"{DATE}.json").read_text())["recipients"]


@pytest.fixture
def server():
    with SMTPTestServer() as running:
        yield running


def test_each_recipient_gets_one_well_formed_message(server, tmp_path):
    report = send_edition(edition(), config(server), out_dir=tmp_path)
    assert report.ok and len(report.sent) == 3
    assert sorted(server.delivered_to()) == [
        "alice@example.org",
        "bob@example.org",
        "carol@example.net",
    ]
    for received in server.messages:
        (rcpt,) = received.rcpt_tos
        msg = received.parsed()
        assert received.mail_from == "news@example.org"
        assert "BODY=8BITMIME" in received.mail_options
        assert msg["Subject"] == SUBJECT
        assert msg["From"].addresses[0].display_name == "arXiv 每日"
        assert msg["To"].addresses[0].addr_spec == rcpt
        assert msg["List-Unsubscribe"] == f"<https://example.org/unsubscribe?e={rcpt}>"
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert msg.get_content_type() == "multipart/alternative"
        plain, html = msg.iter_parts()
        assert plain.get_content_type() == "text/plain" and "今日论文" in plain.get_content()
        assert html.get_content_type() == "text/html" and "<h1>今日论文</h1>" in html.get_content()
    assert server.messages[1].parsed()["To"].addresses[0].display_name == "Bob Li"
    entries = ledger_of(tmp_path)
    assert {e["status"] for e in entries.values()} == {"sent"}
    ids = {received.parsed()["Message-ID"] for received in server.messages}
    assert {e["message_id"] for e in entries.values()} == ids


def test_sending_twice_delivers_once_and_force_resends(server, tmp_path):
    first = send_edition(edition(), config(server), out_dir=tmp_path)
    second = send_edition(edition(), config(server), out_dir=tmp_path)
    assert first.ok and second.ok
    assert second.sent == () and len(second.skipped_already_sent) == 3
    assert len(server.messages) == 3
    forced = send_edition(edition(), config(server), out_dir=tmp_path, force=True)
    assert len(forced.sent) == 3 and len(server.messages) == 6


def test_two_sends_at_once_still_deliver_once(server, tmp_path):
    server.data_delay_s = 0.05  # keep the first send busy while the second starts
    reports = []

    def send() -> None:
        reports.append(send_edition(edition(), config(server), out_dir=tmp_path, lock_timeout_s=30))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(server.delivered_to()) == [
        "alice@example.org",
        "bob@example.org",
        "carol@example.net",
    ]
    assert sorted(len(r.sent) for r in reports) == [0, 3]
    assert all(r.ok for r in reports)


def test_temporary_failures_and_a_dropped_connection_are_retried(server, tmp_path):
    server.fail("MAIL", 421)  # server closes the connection after 421
    server.fail("RCPT", 451, recipient="bob@example.org")
    server.fail("DATA", drop=True, recipient="carol@example.net")
    report = send_edition(edition(), config(server), out_dir=tmp_path, backoff=FAST)
    assert report.ok, report.summary()
    assert sorted(server.delivered_to()) == [
        "alice@example.org",
        "bob@example.org",
        "carol@example.net",
    ]
    assert ("DATA", "carol@example.net", "drop") in server.log.entries
    entries = ledger_of(tmp_path)
    assert entries["alice@example.org"]["attempts"] == 2
    assert entries["bob@example.org"]["attempts"] == 2
    assert entries["carol@example.net"]["attempts"] == 2


def test_a_permanent_rejection_is_recorded_and_others_still_delivered(server, tmp_path):
    server.reject("bob@example.org", 550)
    report = send_edition(edition(), config(server), out_dir=tmp_path, backoff=FAST)
    assert not report.ok
    assert set(report.failed_permanent) == {"bob@example.org"}
    assert "550" in report.failed_permanent["bob@example.org"]
    assert sorted(server.delivered_to()) == ["alice@example.org", "carol@example.net"]
    entries = ledger_of(tmp_path)
    assert entries["bob@example.org"]["status"] == "failed_permanent"
    assert entries["bob@example.org"]["attempts"] == 1  # a 5xx is not retried
    # Once the mailbox exists again, a re-run sends only to bob.
    server.rejected.clear()
    again = send_edition(edition(), config(server), out_dir=tmp_path)
    assert again.ok and again.sent == ("bob@example.org",)
    assert sorted(server.delivered_to()) == [
        "alice@example.org",
        "bob@example.org",
        "carol@example.net",
    ]


def test_retries_run_out_then_the_failure_is_temporary(server, tmp_path):
    server.fail("RCPT", 451, recipient="alice@example.org", times=10)
    report = send_edition(edition(), config(server, retries=2), out_dir=tmp_path, backoff=FAST)
    assert set(report.failed_temporary) == {"alice@example.org"} and report.retry_later
    assert sum(1 for e in server.log.entries if e[:2] == ("RCPT", "alice@example.org")) == 3
    assert ledger_of(tmp_path)["alice@example.org"]["status"] == "failed_temporary"
    assert sorted(server.delivered_to()) == ["bob@example.org", "carol@example.net"]


def test_batches_reconnect_and_rate_limit_spaces_messages(server, tmp_path):
    people = [f"reader{i}@example.org" for i in range(5)]
    start = time.monotonic()
    report = send_edition(
        edition(), config(server, to=people, batch_size=2, rate_per_s=20), out_dir=tmp_path
    )
    elapsed = time.monotonic() - start
    assert report.ok and len(server.messages) == 5
    assert server.sessions == 3  # 2 + 2 + 1 messages, one connection each
    assert elapsed >= 4 / 20 * 0.95  # five messages at 20/s: four gaps of 50 ms


def test_header_injection_in_the_list_sends_nothing(server, tmp_path):
    with pytest.raises(ConfigError, match="line break"):
        send_edition(
            edition(),
            config(server, to=["ok@example.org", "x@example.org\r\nBcc: v@example.org"]),
            out_dir=tmp_path,
        )
    with pytest.raises(DeliveryError, match="subject: contains a line break"):
        send_edition(
            edition(subject="Daily\r\nBcc: victim@example.org"), config(server), out_dir=tmp_path
        )
    with pytest.raises(DeliveryError, match="delivery.from"):
        send_edition(
            edition(),
            config(server, **{"from": "News <n@example.org>\nBcc: v@example.org"}),
            out_dir=tmp_path,
        )
    assert server.messages == [] and server.sessions == 0
    assert not (tmp_path / "ledger" / f"{DATE}.json").exists()


def test_missing_password_names_the_variable_and_sends_nothing(server, tmp_path):
    cfg = config(server, smtp={"username": "mailer"})
    with pytest.raises(ConfigError, match="NEWSLETTER_SMTP_PASSWORD"):
        send_edition(edition(), cfg, out_dir=tmp_path, environ={})
    assert server.sessions == 0


def test_unreachable_server_is_reported_for_everyone(tmp_path):
    report = send_edition(edition(), config(None, retries=1), out_dir=tmp_path, backoff=FAST)
    assert not report.ok and report.sent == ()
    assert set(report.failed_temporary) == {
        "alice@example.org",
        "bob@example.org",
        "carol@example.net",
    }
    assert "cannot connect" in report.failed_temporary["alice@example.org"]
    assert {e["status"] for e in ledger_of(tmp_path).values()} == {"failed_temporary"}


def test_empty_day_is_not_sent_unless_configured(server, tmp_path):
    empty = edition(paper_count=0)
    report = send_edition(empty, config(server), out_dir=tmp_path)
    assert report.ok and report.skipped_reason and server.messages == []
    report = send_edition(empty, config(server, send_empty=True), out_dir=tmp_path)
    assert len(report.sent) == 3


def test_damaged_ledger_stops_before_sending(server, tmp_path):
    (tmp_path / "ledger").mkdir()
    (tmp_path / "ledger" / f"{DATE}.json").write_text("{not json")
    with pytest.raises(DeliveryError, match="ledger is damaged"):
        send_edition(edition(), config(server), out_dir=tmp_path)
    assert server.messages == []


def test_file_backend_writes_one_eml_each_and_console_marks_nothing(tmp_path, capsys):
    report = send_edition(edition(), config(None, backend="console"), out_dir=tmp_path)
    assert report.dry_run and len(report.sent) == 3
    out = capsys.readouterr().out
    assert "would send to bob@example.org" in out and "bytes" in out
    assert not (tmp_path / "ledger" / f"{DATE}.json").exists()
    report = send_edition(edition(), config(None, backend="file"), out_dir=tmp_path)
    files = sorted(p.name for p in (tmp_path / "outbox" / DATE).iterdir())
    assert files == ["alice@example.org.eml", "bob@example.org.eml", "carol@example.net.eml"]
    assert Ledger.load(tmp_path, DATE).is_sent("bob@example.org")
    again = send_edition(edition(), config(None, backend="file"), out_dir=tmp_path)
    assert again.sent == () and len(again.skipped_already_sent) == 3


def test_a_server_without_8bitmime_gets_7bit_messages(server, tmp_path):
    server.offer_8bitmime = False
    report = send_edition(edition(), config(server), out_dir=tmp_path)
    assert report.ok and len(server.messages) == 3
    for received in server.messages:
        assert received.data.isascii() and "BODY=8BITMIME" not in received.mail_options
        assert "今日论文" in received.parsed().get_body(("html",)).get_content()
