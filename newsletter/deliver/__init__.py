"""Delivery: send a day's ``RenderedEmail`` to every recipient exactly once.

``send_edition`` is the whole stage: it validates everything that goes into a header before
anything is sent, takes the day's ledger lock, skips recipients the ledger says already have the
edition, and sends one message per recipient (each with its own unsubscribe link) through the
configured backend: in batches over one connection, at most ``rate_per_s`` messages a second,
retrying temporary failures with exponential backoff and jitter, recording every outcome in the
ledger as it happens.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from newsletter.config import DeliveryConfig
from newsletter.deliver.base import (
    Backend,
    FatalSendError,
    OutgoingMessage,
    PermanentSendError,
    TemporarySendError,
)
from newsletter.deliver.ledger import Ledger, LedgerEntry, ledger_lock, utc_now
from newsletter.deliver.recipients import load_recipients
from newsletter.deliver.report import DeliveryReport
from newsletter.errors import ConfigError
from newsletter.message import Mailbox, compose_message, message_bytes, parse_mailbox, uses_8bit
from newsletter.model import RenderedEmail

__all__ = [
    "PASSWORD_ENV",
    "Backoff",
    "DeliveryReport",
    "check_delivery",
    "make_backend",
    "send_edition",
    "smtp_password",
]

log = logging.getLogger(__name__)

PASSWORD_ENV = "NEWSLETTER_SMTP_PASSWORD"


@dataclass(frozen=True)
class Backoff:
    """Delay before retry ``n`` (1-based): base * 2**(n-1), capped, times a random 0.5-1.0."""

    base_s: float = 2.0
    max_s: float = 120.0

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        jitter = 0.5 + 0.5 * (rng or random).random()  # spread retries of parallel senders
        return min(self.max_s, self.base_s * 2 ** (attempt - 1)) * jitter


def smtp_password(config: DeliveryConfig, environ: Mapping[str, str] | None = None) -> str | None:
    """The SMTP password from the environment; required when a user name is configured."""
    environ = os.environ if environ is None else environ
    if not config.smtp.username:
        return None
    password = environ.get(PASSWORD_ENV)
    if not password:
        raise ConfigError(
            f"delivery.smtp.username is set ({config.smtp.username!r}) but the password is not: "
            f"set the environment variable {PASSWORD_ENV}"
        )
    return password


def make_backend(
    config: DeliveryConfig,
    *,
    out_dir: Path,
    date: str,
    environ: Mapping[str, str] | None = None,
    stream: TextIO | None = None,
) -> Backend:
    if config.backend == "smtp":
        from newsletter.deliver.smtp import SMTPBackend

        return SMTPBackend(config.smtp, smtp_password(config, environ))
    if config.backend == "file":
        from newsletter.deliver.file import FileBackend

        return FileBackend(out_dir, date)
    from newsletter.deliver.console import ConsoleBackend

    return ConsoleBackend(stream)


def _sender(config: DeliveryConfig) -> Mailbox:
    if not config.from_:
        raise ConfigError(
            "delivery.from: not set (expected the From address, e.g. 'Lab <news@example.org>')"
        )
    return parse_mailbox(config.from_, "delivery.from")


def check_delivery(config: DeliveryConfig, environ: Mapping[str, str] | None = None) -> None:
    """Everything that can be checked before building: addresses, recipients, the password."""
    _sender(config)
    if config.reply_to:
        parse_mailbox(config.reply_to, "delivery.reply_to")
    load_recipients(config.to)
    if config.backend == "smtp":
        smtp_password(config, environ)


def send_edition(
    email: RenderedEmail,
    config: DeliveryConfig,
    *,
    out_dir: Path,
    force: bool = False,
    environ: Mapping[str, str] | None = None,
    backend: Backend | None = None,
    backoff: Backoff = Backoff(),
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
    lock_timeout_s: float = 3600.0,
    stream: TextIO | None = None,
) -> DeliveryReport:
    """Send ``email`` to every recipient not yet in the ledger (everyone with ``force``).

    Raises ConfigError / DeliveryError for problems found before sending (bad addresses, header
    injection, a missing password, a damaged ledger); failures while sending end up in the
    report and the ledger instead.
    """
    out_dir = Path(out_dir)
    if email.paper_count == 0 and not config.send_empty:
        log.info("%s: no papers; not sending (delivery.send_empty is false)", email.date)
        return DeliveryReport(email.date, config.backend, skipped_reason="no papers today")
    sender = _sender(config)
    reply_to = parse_mailbox(config.reply_to, "delivery.reply_to") if config.reply_to else None
    recipients = load_recipients(config.to)
    # Compose once up front: a bad subject or unsubscribe setting fails before anything is sent.
    compose_message(
        email,
        sender=sender,
        recipient=recipients[0],
        reply_to=reply_to,
        unsubscribe=config.unsubscribe,
    )
    if backend is None:
        backend = make_backend(
            config, out_dir=out_dir, date=email.date, environ=environ, stream=stream
        )

    def compose(recipient: Mailbox, allow_8bit: bool) -> OutgoingMessage:
        msg = compose_message(
            email,
            sender=sender,
            recipient=recipient,
            reply_to=reply_to,
            unsubscribe=config.unsubscribe,
            allow_8bit=allow_8bit,
        )
        return OutgoingMessage(
            envelope_from=sender.addr_spec,
            recipient=recipient.addr_spec,
            data=message_bytes(msg),
            message_id=str(msg["Message-ID"]),
            subject=email.subject,
            needs_8bit=uses_8bit(msg),
        )

    # A dry run neither waits for nor marks the ledger; it only reads it to say who would get it.
    lock = (
        ledger_lock(out_dir, email.date, timeout_s=lock_timeout_s)
        if backend.records_delivery
        else contextlib.nullcontext()
    )
    with lock:
        ledger = Ledger.load(out_dir, email.date)
        skipped = tuple(r.addr_spec for r in recipients if not force and ledger.is_sent(r.key))
        pending = [r for r in recipients if force or not ledger.is_sent(r.key)]
        if skipped:
            log.info(
                "%s: %d recipient(s) already have it (ledger %s)",
                email.date,
                len(skipped),
                ledger.path,
            )
        loop = _SendLoop(
            config, backend, ledger, compose, backoff, sleep, clock, rng or random.Random()
        )
        try:
            loop.run(pending)
        finally:
            backend.close()
    report = DeliveryReport(
        date=email.date,
        backend=backend.name,
        sent=tuple(loop.sent),
        skipped_already_sent=skipped,
        failed_permanent=loop.failed_permanent,
        failed_temporary=loop.failed_temporary,
        dry_run=not backend.records_delivery,
    )
    (log.info if report.ok else log.warning)("%s", report.summary())
    return report


class _SendLoop:
    """Sends to each pending recipient in turn; records every outcome as it happens."""

    def __init__(self, config, backend, ledger, compose, backoff, sleep, clock, rng) -> None:  # noqa: ANN001
        self.config: DeliveryConfig = config
        self.backend: Backend = backend
        self.ledger: Ledger = ledger
        self.compose: Callable[[Mailbox, bool], OutgoingMessage] = compose
        self.backoff: Backoff = backoff
        self.sleep = sleep
        self.clock = clock
        self.rng = rng
        self.sent: list[str] = []
        self.failed_permanent: dict[str, str] = {}
        self.failed_temporary: dict[str, str] = {}
        self._on_connection = 0  # messages sent over the current connection
        self._next_slot = clock()

    def run(self, pending: list[Mailbox]) -> None:
        for index, recipient in enumerate(pending):
            try:
                self._deliver(recipient)
            except FatalSendError as exc:
                log.error("%s: %s; stopping", self.ledger.date, exc)
                for rest in pending[index + 1 :]:
                    self._record(rest, "failed_temporary", None, f"not sent: {exc}", 0)
                return
            except _ServerUnreachable as exc:
                log.error("%s: %s; stopping", self.ledger.date, exc)
                for rest in pending[index + 1 :]:
                    self._record(rest, "failed_temporary", None, f"not sent: {exc}", 0)
                return

    def _wait_for_rate_limit(self) -> None:
        if not self.config.rate_per_s:
            return
        wait = self._next_slot - self.clock()
        if wait > 0:
            self.sleep(wait)
        self._next_slot = max(self._next_slot, self.clock()) + 1.0 / self.config.rate_per_s

    def _deliver(self, recipient: Mailbox) -> None:
        message: OutgoingMessage | None = None
        attempt = 0
        while True:
            attempt += 1
            connecting = False
            try:
                if self._on_connection >= self.config.batch_size:
                    self.backend.close()
                    self._on_connection = 0
                if not self.backend.is_open:
                    connecting = True
                    self.backend.open()
                    self._on_connection = 0
                    connecting = False
                if message is None or (message.needs_8bit and not self.backend.accepts_8bit):
                    # Same message (same Message-ID) on every retry, so duplicates can be spotted.
                    message = self.compose(recipient, self.backend.accepts_8bit)
                self._wait_for_rate_limit()
                self.backend.send(message)
            except TemporarySendError as exc:
                if exc.connection_lost:
                    self.backend.close()
                if attempt > self.config.retries:
                    self._record(recipient, "failed_temporary", message, str(exc), attempt)
                    if connecting:
                        raise _ServerUnreachable(str(exc)) from None
                    return
                delay = self.backoff.delay(attempt, self.rng)
                log.warning(
                    "%s: %s; retry %d/%d in %.1f s",
                    recipient.addr_spec,
                    exc,
                    attempt,
                    self.config.retries,
                    delay,
                )
                self.sleep(delay)
                continue
            except PermanentSendError as exc:
                self._on_connection += 1
                self._record(recipient, "failed_permanent", message, str(exc), attempt)
                return
            except FatalSendError as exc:
                self._record(recipient, "failed_temporary", message, str(exc), attempt)
                raise
            self._on_connection += 1
            self._record(recipient, "sent", message, None, attempt)
            return

    def _record(
        self,
        recipient: Mailbox,
        status: str,
        message: OutgoingMessage | None,
        detail: str | None,
        attempts: int,
    ) -> None:
        address = recipient.addr_spec
        if status == "sent":
            self.sent.append(address)
            log.debug(
                "%s: sent to %s (%s)",
                self.ledger.date,
                address,
                message.message_id if message else "",
            )
        elif status == "failed_permanent":
            self.failed_permanent[address] = detail or ""
            log.warning("%s: %s will not get it: %s", self.ledger.date, address, detail)
        else:
            self.failed_temporary[address] = detail or ""
        if self.backend.records_delivery:
            entry = LedgerEntry(
                recipient=address,
                status=status,
                time=utc_now(),  # type: ignore[arg-type]
                message_id=message.message_id if message else None,
                detail=detail,
                attempts=attempts,
                backend=self.backend.name,
            )
            self.ledger.record(recipient.key, entry)


class _ServerUnreachable(Exception):
    """Connecting kept failing: the rest of the list would fail the same way."""
