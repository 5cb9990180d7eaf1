"""`newsletter send` / `run` end to end: real build of the sample day, real SMTP, real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from smtp_server import SMTPTestServer
from testpaths import PROJECT_ROOT, SAMPLE_DATE, SAMPLE_DIGESTS

PEOPLE = ["alice@example.org", "bob@example.org", "carol@example.net", "dan@example.com"]


def write_config(folder: Path, port: int, **smtp: object) -> Path:
    people = folder / "people.txt"
    people.write_text("alice@example.org, bob@example.org\ncarol@example.net; dan@example.com\n")
    smtp_lines = "".join(f"    {key}: {value}\n" for key, value in smtp.items())
    config = folder / "newsletter.yaml"
    config.write_text(
        f"source: {SAMPLE_DIGESTS}\n"
        "delivery:\n"
        "  backend: smtp\n"
        '  from: "arXiv Daily <news@example.org>"\n'
        "  to: people.txt\n"
        "  retries: 1\n"
        "  unsubscribe: {url: 'https://example.org/u?e={email}', mailto: unsub@example.org}\n"
        "  smtp:\n"
        "    host: 127.0.0.1\n"
        f"    port: {port}\n"
        "    security: none\n"
        "    timeout_s: 5\n" + smtp_lines,
        encoding="utf-8",
    )
    return config


def newsletter(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "newsletter", *args],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def finish(process: subprocess.Popen) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


@pytest.fixture
def server():
    with SMTPTestServer() as running:
        yield running


def test_two_send_processes_at_once_deliver_once(server, tmp_path):
    config = write_config(tmp_path, server.port)
    out = tmp_path / "out"
    code, _, err = finish(
        newsletter("build", "--date", SAMPLE_DATE, "--config", str(config), "--out", str(out), "-q")
    )
    assert code == 0, err
    server.data_delay_s = 0.1  # the first sender is still busy when the second one starts
    first = newsletter("send", "--date", SAMPLE_DATE, "--config", str(config), "--out", str(out))
    second = newsletter("send", "--date", SAMPLE_DATE, "--config", str(config), "--out", str(out))
    results = [finish(first), finish(second)]
    assert [code for code, _, _ in results] == [0, 0], results
    assert sorted(server.delivered_to()) == sorted(PEOPLE)
    summaries = sorted(out_text.strip() for _, out_text, _ in results)
    assert any("sent 4 of 4" in s for s in summaries)
    assert any("sent 0 of 4, 4 already had it" in s for s in summaries)
    # The real edition: both parts, the sample's subject, within the size budget.
    message = server.messages[0].parsed()
    assert f"{SAMPLE_DATE}" in message["Subject"] and "61" in message["Subject"]
    assert message.get_body(("html",)) is not None and message.get_body(("plain",)) is not None
    assert len(server.messages[0].data) < 100_000


def test_run_builds_and_send_exit_status_reports_a_rejected_recipient(server, tmp_path):
    config = write_config(tmp_path, server.port)
    out = tmp_path / "out"
    server.reject("carol@example.net", 550)
    code, stdout, err = finish(
        newsletter("run", "--date", SAMPLE_DATE, "--config", str(config), "--out", str(out))
    )
    assert code == 1, err
    assert "sent 3 of 4" in stdout and "carol@example.net" in stdout and "550" in stdout
    assert (out / SAMPLE_DATE / "email.eml").is_file()
    ledger = json.loads((out / "ledger" / f"{SAMPLE_DATE}.json").read_text())["recipients"]
    assert ledger["carol@example.net"]["status"] == "failed_permanent"
    server.rejected.clear()
    code, stdout, _ = finish(
        newsletter("send", "--date", SAMPLE_DATE, "--config", str(config), "--out", str(out))
    )
    assert code == 0 and "sent 1 of 4, 3 already had it" in stdout
    assert sorted(server.delivered_to()) == sorted(PEOPLE)


def test_missing_password_is_a_clean_error(server, tmp_path):
    config = write_config(tmp_path, server.port, username="mailer")
    code, _, err = finish(
        newsletter(
            "send", "--date", SAMPLE_DATE, "--config", str(config), "--out", str(tmp_path / "out")
        )
    )
    assert code == 2
    assert "NEWSLETTER_SMTP_PASSWORD" in err and "Traceback" not in err
    assert server.messages == []
