"""The scheduler, driven for real: APScheduler with second-level triggers and short intervals."""

from __future__ import annotations

import itertools
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from newsletter.config import Config
from newsletter.errors import ConfigError, DigestNotFound
from newsletter.schedule import (
    DAILY_JOB_ID,
    JobOutcome,
    build_trigger,
    latest_fire_time,
    run_scheduler,
)

from testpaths import PROJECT_ROOT

ZONE = ZoneInfo("Asia/Shanghai")


def make_config(**schedule: float | str) -> Config:
    return Config.model_validate({"schedule": schedule})


class Recorder:
    """A job that records the days it was asked for and answers from a script."""

    def __init__(self, *answers: object) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, float]] = []
        self.lock = threading.Lock()

    def __call__(self, date: str) -> JobOutcome:
        with self.lock:
            self.calls.append((date, time.monotonic()))
            answer = self.answers.pop(0) if self.answers else "sent"
        if isinstance(answer, Exception):
            raise answer
        if answer == "retry":
            return JobOutcome(date, "partial", "1 temporary failure", retry_later=True)
        return JobOutcome(date, "sent")

    @property
    def dates(self) -> list[str]:
        return [date for date, _ in self.calls]


@pytest.fixture
def scheduler():
    background = BackgroundScheduler(timezone=ZONE, executors={"default": ThreadPoolExecutor(1)})
    yield background
    if background.running:
        background.shutdown(wait=False)


def by_second(fired: datetime) -> str:
    return fired.strftime("%H:%M:%S")  # each second stands for one scheduled day


def test_one_run_per_scheduled_time(scheduler):
    job = Recorder()
    # A grace of seconds, as for a daily schedule a grace of hours: shorter than the period.
    run_scheduler(
        make_config(misfire_grace_h=0.5 / 3600),
        job,
        scheduler=scheduler,
        trigger=CronTrigger(second="*", timezone=ZONE),
        date_of=by_second,
    )
    time.sleep(3.2)
    scheduler.shutdown(wait=True)
    assert len(job.dates) >= 3
    assert len(set(job.dates)) == len(job.dates), job.dates  # no day twice
    seconds = [datetime.strptime(d, "%H:%M:%S") for d in job.dates]
    assert all(b - a == timedelta(seconds=1) for a, b in itertools.pairwise(seconds)), job.dates


def test_late_start_within_grace_runs_the_missed_day_once(scheduler, caplog):
    now = datetime.now(ZONE)
    missed = (now - timedelta(seconds=2)).replace(microsecond=0)
    trigger = CronTrigger(second=missed.second, timezone=ZONE)  # fired 2 s ago, next in ~58 s
    job = Recorder()
    run_scheduler(
        make_config(misfire_grace_h=10 / 3600),
        job,
        scheduler=scheduler,
        trigger=trigger,
        date_of=by_second,
    )
    time.sleep(0.5)
    assert job.dates == [missed.strftime("%H:%M:%S")]
    assert "running it now" in caplog.text


def test_late_start_beyond_grace_waits_for_the_next_run(scheduler):
    missed = datetime.now(ZONE) - timedelta(seconds=3)
    trigger = CronTrigger(second=missed.second, timezone=ZONE)
    job = Recorder()
    run_scheduler(
        make_config(misfire_grace_h=1 / 3600),
        job,
        scheduler=scheduler,
        trigger=trigger,
        date_of=by_second,
    )
    time.sleep(0.6)
    assert job.dates == []
    assert scheduler.get_job(DAILY_JOB_ID).next_run_time > datetime.now(ZONE)


def test_the_daily_job_has_coalesce_single_instance_and_hours_of_grace(scheduler):
    run_scheduler(
        make_config(cron="0 9 * * mon-fri", misfire_grace_h=6), Recorder(), scheduler=scheduler
    )
    job = scheduler.get_job(DAILY_JOB_ID)
    assert job.coalesce is True and job.max_instances == 1
    assert job.misfire_grace_time == 6 * 3600
    fire = job.next_run_time.astimezone(ZONE)
    assert (fire.hour, fire.minute, fire.weekday() < 5) == (9, 0, True)


def test_missing_digest_is_retried_until_found(scheduler):
    job = Recorder(DigestNotFound("digests/x.md", "not published yet"), "retry", "sent")
    trigger = DateTrigger(run_date=datetime.now(ZONE) + timedelta(seconds=0.1), timezone=ZONE)
    runner = run_scheduler(
        make_config(retry_every_min=0.2 / 60, give_up_after_h=5 / 3600),
        job,
        scheduler=scheduler,
        trigger=trigger,
        date_of=by_second,
    )
    time.sleep(1.2)
    assert len(job.dates) == 3 and len(set(job.dates)) == 1  # the same day each time
    gaps = [b[1] - a[1] for a, b in itertools.pairwise(job.calls)]
    assert all(0.15 < gap < 0.6 for gap in gaps), gaps
    assert [o.status for o in runner.outcomes] == ["partial", "sent"]


def test_retries_stop_at_the_deadline(scheduler, caplog):
    job = Recorder(*[DigestNotFound("digests/x.md", "not published yet")] * 50)
    trigger = DateTrigger(run_date=datetime.now(ZONE) + timedelta(seconds=0.1), timezone=ZONE)
    runner = run_scheduler(
        make_config(retry_every_min=0.2 / 60, give_up_after_h=0.9 / 3600),
        job,
        scheduler=scheduler,
        trigger=trigger,
        date_of=by_second,
    )
    time.sleep(1.6)
    assert 4 <= len(job.dates) <= 5, job.calls  # 0, 0.2, 0.4, 0.6, (0.8) s; deadline 0.9 s
    assert runner.outcomes[-1].status == "failed" and "gave up" in runner.outcomes[-1].detail
    assert "giving up after" in caplog.text
    count = len(job.dates)
    time.sleep(0.4)
    assert len(job.dates) == count


def test_latest_fire_time_finds_todays_run_for_a_late_start():
    trigger = build_trigger(make_config().schedule, ZONE)  # 09:00 on weekdays
    monday_late = datetime(2026, 2, 9, 9, 40, tzinfo=ZONE)
    assert latest_fire_time(trigger, monday_late, timedelta(hours=6)) == datetime(
        2026, 2, 9, 9, 0, tzinfo=ZONE
    )
    saturday = datetime(2026, 2, 14, 9, 40, tzinfo=ZONE)
    assert latest_fire_time(trigger, saturday, timedelta(hours=6)) is None
    assert latest_fire_time(trigger, monday_late, timedelta(minutes=30)) is None


def test_bad_cron_is_a_config_error():
    with pytest.raises(ConfigError, match="schedule.cron"):
        build_trigger(make_config(cron="every morning").schedule, ZONE)


def test_schedule_command_logs_its_plan_and_stops_cleanly_on_sigterm(tmp_path):
    config = tmp_path / "newsletter.yaml"
    config.write_text("schedule:\n  cron: '0 9 * * mon-fri'\n  timezone: Europe/Berlin\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "newsletter", "schedule", "--config", str(config)],
        cwd=PROJECT_ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = ""
        deadline = time.monotonic() + 20
        while "schedule:" not in line and time.monotonic() < deadline:
            line = process.stderr.readline()
        assert "'0 9 * * mon-fri' in Europe/Berlin; next run" in line
        process.send_signal(signal.SIGTERM)
        _, rest = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 0
    assert "scheduler stopped" in rest and "Traceback" not in rest
