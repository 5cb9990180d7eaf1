"""Crashes: `newsletter build` and `newsletter archive` killed with SIGKILL at random points.

Each run starts the real CLI in a subprocess over an output folder that already holds a
complete previous edition (or site), and kills it: half the runs at a delay spread over a
whole run's measured duration, half at a random instant just after the run starts writing
(the staging folder or the new day's page appears), where a kill does the most harm. After
every kill the output must be whole: each edition folder is the complete previous one or the
complete new one (never a mix, never partial; between the two renames of the swap, the
previous one waits beside it for the next run to put back), each site file is the complete
old or new version and the pages parse; temporary files are never listed as editions. The
next run must complete and leave no temporary files behind.

Builds are made reproducible with SOURCE_DATE_EPOCH, so "the new version" is known exactly
from a reference run into another folder.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html

from newsletter.history import edition_dates

from testpaths import PROJECT_ROOT, SAMPLE_DATE

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

SAMPLE = PROJECT_ROOT / "examples" / "digests" / f"{SAMPLE_DATE}.md"
NEXT_DATE = "2026-02-10"
SPREAD, WRITING = 3, 5  # kills per command: spread over the run / right after writing starts
# Random by design in email.eml: the Message-ID and the MIME boundary.
_RANDOM_IN_EML = re.compile(rb"^Message-ID: .*$|={15}\d+==", re.MULTILINE)


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "newsletter", *args]


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSLETTER_", "OPENAI_"))}
    env["SOURCE_DATE_EPOCH"] = "1770000000"
    return env


def run_ok(args: list[str], cwd: Path) -> float:
    start = time.monotonic()
    done = subprocess.run(args, cwd=cwd, env=child_env(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return time.monotonic() - start


def kill_during(
    args: list[str], cwd: Path, *, delay: float | None = None,
    started_writing: Callable[[], bool] | None = None, offset: float = 0.0,
) -> bool:
    """Start ``args``; SIGKILL it after ``delay``, or ``offset`` after ``started_writing()``
    turns true. True when it was killed (not already finished)."""
    process = subprocess.Popen(
        args, cwd=cwd, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    start = time.monotonic()
    if started_writing is not None:
        while process.poll() is None and not started_writing() and time.monotonic() - start < 60:
            time.sleep(0.0005)
        time.sleep(offset)
    else:
        time.sleep(delay or 0.0)
    killed = process.poll() is None
    if killed:
        process.send_signal(signal.SIGKILL)
    process.wait()
    return killed


def snapshot(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, bytes]:
    """Relative path -> bytes of every file (Message-ID and MIME boundary blanked)."""
    files = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and relative not in skip:
            files[relative] = _RANDOM_IN_EML.sub(b"-", path.read_bytes())
    return files


def leftovers(folder: Path) -> list[str]:
    names = (".staging-", ".replaced-")
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.name.startswith(names) or p.name.endswith(".tmp")
    )


def kill_plan(duration: float, seed: int, writing_s: float) -> list[tuple[str, float]]:
    """("spread", delay) over the whole run, and ("writing", offset) within the ``writing_s``
    after writing starts (measured: writing, swapping and exiting take 0.15-0.3 s)."""
    rng = random.Random(seed)
    spread = [("spread", duration * (k + rng.random()) / SPREAD) for k in range(SPREAD)]
    writing = [("writing", writing_s * (k + rng.random()) / WRITING) for k in range(WRITING)]
    return spread + writing


# --- build ---------------------------------------------------------------------------------
def test_killed_builds_leave_the_previous_edition_whole_and_the_next_build_completes(tmp_path):
    source = tmp_path / "digests"
    source.mkdir()
    shutil.copy(SAMPLE, source)
    out, reference = tmp_path / "out", tmp_path / "reference"
    common = ["--date", SAMPLE_DATE, "--source", str(source), "-q"]
    run_ok(cli("build", *common, "--out", str(out), "--lang", "en"), tmp_path)
    run_ok(cli("build", *common, "--out", str(reference), "--lang", "zh"), tmp_path)
    duration = run_ok(cli("build", *common, "--out", str(reference), "--lang", "zh"), tmp_path)
    day = out / SAMPLE_DATE
    pristine = tmp_path / "pristine"
    shutil.copytree(day, pristine)
    old, new = snapshot(day), snapshot(reference / SAMPLE_DATE)
    assert old != new

    states: Counter[str] = Counter()
    for how, value in kill_plan(duration, seed=1, writing_s=0.25):
        # Every kill starts from the complete previous (English) edition.
        shutil.rmtree(day, ignore_errors=True)
        shutil.copytree(pristine, day)
        args = cli("build", *common, "--out", str(out), "--lang", "zh")
        if how == "spread":
            killed = kill_during(args, tmp_path, delay=value)
        else:
            staged = lambda: any(out.glob(f".staging-{SAMPLE_DATE}-*"))  # noqa: E731
            killed = kill_during(args, tmp_path, started_writing=staged, offset=value)
        state = edition_state(out, old, new)
        states[f"{how}: {state if killed else 'finished before the kill'}"] += 1
        # Half-built staging folders are never taken for an edition.
        assert edition_dates(out) in ([], [SAMPLE_DATE])
        if state == "between the renames":
            assert edition_dates(out) == []  # not listed until the next run puts it back

    assert any(s.startswith("spread: old") for s in states), states  # killed mid-run
    assert any(s.startswith("writing:") and "finished" not in s for s in states), states
    run_ok(cli("build", *common, "--out", str(out), "--lang", "zh"), tmp_path)
    assert snapshot(day) == new
    assert leftovers(out) == []
    print("\nbuild kills:", dict(states))


def edition_state(out: Path, old: dict[str, bytes], new: dict[str, bytes]) -> str:
    day = out / SAMPLE_DATE
    if day.exists():
        files = snapshot(day)
        if files == old:
            return "old"
        assert files == new, f"partial edition: {sorted(files)}"
        return "new"
    # Killed between moving the previous edition aside and moving the new one in.
    aside = out / f".replaced-{SAMPLE_DATE}"
    assert aside.is_dir(), f"edition gone: {sorted(p.name for p in out.iterdir())}"
    assert snapshot(aside) == old
    return "between the renames"


# --- archive -------------------------------------------------------------------------------
SITE_VOLATILE = (".manifest.json",)  # holds file mtimes; checked for being valid JSON instead


def site_state(site: Path, old: dict[str, bytes], new: dict[str, bytes]) -> Counter[str]:
    """Each file is the complete old or new version; the pages and the feed parse."""
    counts: Counter[str] = Counter()
    for relative, data in snapshot(site, skip=SITE_VOLATILE).items():
        if relative.endswith(".tmp"):
            counts["temporary file"] += 1
            continue
        if old.get(relative) == data:
            counts["old"] += 1
        else:
            assert new.get(relative) == data, f"{relative}: neither the old nor the new version"
            counts["new"] += 1
    index = lxml_html.document_fromstring((site / "index.html").read_bytes())
    assert index.xpath("//a[@href]"), "index.html lists nothing"
    etree.fromstring((site / "feed.xml").read_bytes())
    manifest = site / ".manifest.json"
    if manifest.exists():
        json.loads(manifest.read_text(encoding="utf-8"))
    return counts


def test_killed_archive_updates_leave_every_site_file_whole_and_the_next_run_completes(
    tmp_path,
):
    source = tmp_path / "digests"
    source.mkdir()
    shutil.copy(SAMPLE, source / f"{SAMPLE_DATE}.md")
    shutil.copy(SAMPLE, source / f"{NEXT_DATE}.md")
    out, reference = tmp_path / "out", tmp_path / "reference"
    for date in (SAMPLE_DATE, NEXT_DATE):
        for folder in (out, reference):
            run_ok(cli("build", "--date", date, "--source", str(source), "--out", str(folder),
                       "-q"), tmp_path)
    # The old site knows only the first day (the second day's folder is set aside meanwhile).
    parked = tmp_path / "parked"
    shutil.move(out / NEXT_DATE, parked)
    run_ok(cli("archive", "--out", str(out)), tmp_path)
    shutil.move(parked, out / NEXT_DATE)
    site = out / "site"
    pristine = tmp_path / "pristine-site"
    shutil.copytree(site, pristine)
    duration = run_ok(cli("archive", "--out", str(reference)), tmp_path)
    old = snapshot(site, skip=SITE_VOLATILE)
    new = snapshot(reference / "site", skip=SITE_VOLATILE)
    assert old != new and f"{NEXT_DATE}/index.html" in new

    states: Counter[str] = Counter()
    for how, value in kill_plan(duration, seed=2, writing_s=0.3):
        shutil.rmtree(site)
        shutil.copytree(pristine, site)
        args = cli("archive", "--out", str(out))
        if how == "spread":
            killed = kill_during(args, tmp_path, delay=value)
        else:
            first_page = lambda: (site / NEXT_DATE).exists()  # noqa: E731
            killed = kill_during(args, tmp_path, started_writing=first_page, offset=value)
        counts = site_state(site, old, new)
        states[f"{how}: " + ("finished" if not killed else
                             "mixed" if counts["old"] and counts["new"] else
                             "new" if counts["new"] else "old")] += 1
        assert counts["temporary file"] == 0 or killed

    assert any(s.startswith("spread: old") for s in states), states
    assert any(s.startswith("writing:") and "finished" not in s for s in states), states
    run_ok(cli("archive", "--out", str(out)), tmp_path)
    assert snapshot(site, skip=SITE_VOLATILE) == new
    assert leftovers(site) == []  # a killed run's temp files are swept, never published
    print("\narchive kills:", dict(states))


def test_no_temporary_files_survive_a_killed_archive_update(tmp_path):
    source = tmp_path / "digests"
    source.mkdir()
    shutil.copy(SAMPLE, source / f"{SAMPLE_DATE}.md")
    out = tmp_path / "out"
    run_ok(cli("build", "--date", SAMPLE_DATE, "--source", str(source), "--out", str(out), "-q"),
           tmp_path)
    run_ok(cli("archive", "--out", str(out)), tmp_path)
    site = out / "site"
    # What a kill mid-write leaves: a temp file beside its target (as atomic_write_bytes names it).
    (site / ".index.html.abc123.tmp").write_bytes(b"<html><body>half")
    run_ok(cli("archive", "--out", str(out), "--full"), tmp_path)
    assert leftovers(site) == []


# --- send ----------------------------------------------------------------------------------
def test_killed_sends_never_resend_to_a_recorded_recipient_and_the_next_send_completes(tmp_path):
    """SIGKILL `newsletter send` mid-list, several times. The ledger always parses; nobody it
    records as served gets the edition again; a duplicate is possible only for the message in
    flight at the kill (accepted by the server, not yet recorded): at most one per kill."""
    import yaml

    from smtp_server import SMTPTestServer

    source = tmp_path / "digests"
    source.mkdir()
    shutil.copy(SAMPLE, source)
    out = tmp_path / "out"
    people = [f"reader{n}@example.org" for n in range(8)]
    rng = random.Random(3)
    with SMTPTestServer() as server:
        server.data_delay_s = 0.03  # a window in which a kill finds a message in flight
        config = tmp_path / "newsletter.yaml"
        config.write_text(yaml.safe_dump({
            "source": str(source), "out_dir": str(out),
            "delivery": {"backend": "smtp", "from": "news@example.org", "to": people,
                         "smtp": {"host": "127.0.0.1", "port": server.port,
                                  "security": "none", "timeout_s": 5}},
        }), encoding="utf-8")
        run_ok(cli("build", "--date", SAMPLE_DATE, "--config", str(config), "-q"), tmp_path)
        send = cli("send", "--date", SAMPLE_DATE, "--config", str(config))
        ledger = out / "ledger" / f"{SAMPLE_DATE}.json"
        checkpoints = []  # (recipients the ledger records as sent, messages received so far)
        for _ in range(4):
            target = len(server.messages) + rng.randint(1, 2)
            reached = lambda target=target: len(server.messages) >= target  # noqa: E731
            kill_during(send, tmp_path, started_writing=reached, offset=rng.uniform(0, 0.04))
            time.sleep(0.2)  # let the server finish a DATA that was in flight
            recorded = json.loads(ledger.read_text(encoding="utf-8"))["recipients"]
            sent = {e["recipient"] for e in recorded.values() if e["status"] == "sent"}
            checkpoints.append((sent, len(server.messages)))
        done = subprocess.run(send, cwd=tmp_path, env=child_env(), capture_output=True, text=True)
        received = [r for m in server.messages for r in m.rcpt_tos]

    assert done.returncode == 0, done.stdout + done.stderr
    assert set(received) == set(people)
    assert len(received) - len(people) <= len(checkpoints)  # duplicates: in-flight ones only
    for sent, seen in checkpoints:
        again = [r for m in server.messages[seen:] for r in m.rcpt_tos if r in sent]
        assert again == [], f"recorded as sent, then sent again: {again}"
    assert 0 < len(checkpoints[0][0]) < len(people)  # the first kill really was mid-list
    print(f"\nsend kills: {len(checkpoints)}, served before each: "
          f"{[len(sent) for sent, _ in checkpoints]}, duplicates: {len(received) - len(people)}")
