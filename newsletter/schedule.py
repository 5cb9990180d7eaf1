"""The long-running scheduler: build and send each scheduled day, once, even when late.

APScheduler 3.x drives one cron job (``schedule.cron`` in ``schedule.timezone``) with
``coalesce=True`` (a backlog of missed runs becomes one run), ``max_instances=1`` and a
``misfire_grace_time`` of hours: the library's default of one second would silently skip a run
that starts late because the machine was asleep or busy. When the process itself starts late
(a restart at 09:20 for a 09:00 schedule), the run it missed is started at once if it is within
the grace time; the ledger makes that safe when the day had in fact been sent already.

When the day's digest is not published yet (the job raises ``DigestNotFound``) or some
recipients failed temporarily, the day is retried every ``retry_every_min`` minutes until
``give_up_after_h`` hours after the scheduled time, then given up with a log line.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from newsletter.config import Config, ScheduleConfig
from newsletter.errors import ConfigError, DigestNotFound, FetchError, NewsletterError

log = logging.getLogger(__name__)

DAILY_JOB_ID = "daily-edition"


@dataclass(frozen=True)
class JobOutcome:
    """What one day's job did."""

    date: str
    status: Literal["sent", "partial", "empty", "skipped", "failed"]
    detail: str = ""
    retry_later: bool = False  # worth another attempt before the day's deadline


def schedule_zone(config: Config) -> ZoneInfo:
    name = config.schedule.timezone or config.timezone
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError) as exc:
        raise ConfigError(f"schedule.timezone: unknown time zone {name!r}") from exc


def build_trigger(schedule: ScheduleConfig, zone: ZoneInfo) -> Any:
    """The CronTrigger for ``schedule.cron`` (minute hour day month weekday)."""
    from apscheduler.triggers.cron import CronTrigger

    try:
        return CronTrigger.from_crontab(schedule.cron, timezone=zone)
    except ValueError as exc:
        raise ConfigError(
            f"schedule.cron: {exc} (got {schedule.cron!r}; expected five fields "
            "'minute hour day month weekday', e.g. '0 9 * * mon-fri')"
        ) from None


def latest_fire_time(trigger: Any, now: datetime, window: timedelta) -> datetime | None:
    """The last time ``trigger`` fired in (now - window, now], or None."""
    fire = trigger.get_next_fire_time(None, now - window)
    latest = None
    while fire is not None and fire <= now:
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
    return latest


class DailyRunner:
    """Runs the job for the day a trigger fired for, and schedules retries until a deadline."""

    def __init__(
        self,
        job: Callable[[str], JobOutcome],
        scheduler: Any,
        trigger: Any,
        zone: ZoneInfo,
        schedule: ScheduleConfig,
        *,
        now: Callable[[ZoneInfo], datetime] = datetime.now,
        date_of: Callable[[datetime], str] = lambda fired: fired.date().isoformat(),
    ) -> None:
        self.job = job
        self.date_of = date_of
        self.scheduler = scheduler
        self.trigger = trigger
        self.zone = zone
        self.retry_every = timedelta(minutes=schedule.retry_every_min)
        self.give_up_after = timedelta(hours=schedule.give_up_after_h)
        self.grace = timedelta(hours=schedule.misfire_grace_h)
        self.now = now
        self.outcomes: list[JobOutcome] = []  # what each attempt returned, for tests and logs

    def on_schedule(self) -> None:
        """The cron job: work out which scheduled run this is (it may be late) and run it."""
        now = self.now(self.zone)
        fired = latest_fire_time(self.trigger, now, self.grace + timedelta(seconds=1)) or now
        late = (now - fired).total_seconds()
        date = self.date_of(fired)
        if late >= 60:
            log.warning(
                "%s: scheduled run of %s starts %.0f min late", date, fired.isoformat(), late / 60
            )
        self.attempt(date, fired + self.give_up_after, 1)

    def attempt(self, date: str, deadline: datetime, number: int) -> None:
        log.info("%s: attempt %d", date, number)
        try:
            outcome = self.job(date)
        except (DigestNotFound, FetchError) as exc:
            self._retry(date, deadline, number, f"digest not available yet ({exc})")
            return
        except NewsletterError as exc:
            log.error("%s: failed: %s", date, exc)
            self.outcomes.append(JobOutcome(date, "failed", str(exc)))
            return
        except Exception:  # keep the scheduler alive for the next days; the traceback is logged
            log.exception("%s: the job crashed", date)
            self.outcomes.append(JobOutcome(date, "failed", "crashed"))
            return
        self.outcomes.append(outcome)
        if outcome.retry_later:
            self._retry(date, deadline, number, outcome.detail or outcome.status)
        else:
            log.info(
                "%s: %s%s", date, outcome.status, f" ({outcome.detail})" if outcome.detail else ""
            )

    def _retry(self, date: str, deadline: datetime, number: int, reason: str) -> None:
        next_at = self.now(self.zone) + self.retry_every
        if next_at > deadline:
            log.warning("%s: giving up after %d attempt(s): %s", date, number, reason)
            self.outcomes.append(JobOutcome(date, "failed", f"gave up: {reason}"))
            return
        log.info("%s: %s; retrying at %s", date, reason, next_at.isoformat(timespec="seconds"))
        self.scheduler.add_job(
            self.attempt,
            "date",
            run_date=next_at,
            args=(date, deadline, number + 1),
            id=f"retry-{date}",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=int(self.grace.total_seconds()) or 1,
        )


def run_scheduler(
    config: Config,
    job: Callable[[str], JobOutcome],
    *,
    scheduler: Any = None,
    trigger: Any = None,
    now: Callable[[ZoneInfo], datetime] = datetime.now,
    date_of: Callable[[datetime], str] | None = None,
) -> DailyRunner:
    """Schedule ``job(date)`` per ``config.schedule`` and start the scheduler.

    Without ``scheduler`` this runs its own and returns only when asked to stop (Ctrl-C,
    SIGTERM). Tests pass a started-by-us ``BackgroundScheduler``, a ``trigger`` with seconds
    and ``date_of`` (which "day" a fire time stands for); the returned runner lists the
    outcomes.
    """
    zone = schedule_zone(config)
    trigger = trigger or build_trigger(config.schedule, zone)
    grace = timedelta(hours=config.schedule.misfire_grace_h)
    blocking = scheduler is None
    if scheduler is None:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        # One worker: days run one after another, never two builds at once.
        scheduler = BackgroundScheduler(timezone=zone, executors={"default": ThreadPoolExecutor(1)})
    runner = DailyRunner(
        job,
        scheduler,
        trigger,
        zone,
        config.schedule,
        now=now,
        **({"date_of": date_of} if date_of else {}),
    )
    # A run missed by a late start (within the grace time) is still due: start with it.
    current = now(zone)
    missed = latest_fire_time(trigger, current, grace)
    first = missed or trigger.get_next_fire_time(None, current)
    if missed is not None:
        log.warning(
            "starting %.0f s after the run scheduled for %s; running it now (misfire grace %s)",
            (current - missed).total_seconds(),
            missed.isoformat(),
            grace,
        )
    scheduler.add_job(
        runner.on_schedule,
        trigger=trigger,
        id=DAILY_JOB_ID,
        name="daily edition",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=int(grace.total_seconds()) or 1,
        next_run_time=first,
        replace_existing=True,
    )
    plan = (
        f"schedule: {config.schedule.cron!r} in {zone.key}; "
        f"next run {first.isoformat() if first else 'never'}"
    )
    if not blocking:
        log.info("%s", plan)
        scheduler.start()
        return runner
    _run_until_stopped(scheduler, plan)
    return runner


class _StopRequest:
    """Set by SIGTERM/SIGINT. A plain flag: a signal handler that raised an exception, or took
    a lock, could fire inside the scheduler's own locked sections and hang its shutdown."""

    requested = False

    def set(self, signum: int, frame: object) -> None:
        self.requested = True


def _run_until_stopped(scheduler: Any, plan: str) -> None:
    stop = _StopRequest()
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        # systemd stops services with SIGTERM: stop like Ctrl-C, letting a send in progress
        # finish its current message and ledger entry instead of dying mid-way.
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, stop.set)
    try:
        scheduler.start()
        log.info("%s", plan)
        while not stop.requested:
            time.sleep(0.2)
        log.info("stopping; waiting for a running edition to finish")
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
