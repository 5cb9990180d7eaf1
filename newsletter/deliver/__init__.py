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
from pathlib import Path
from typing import TextIO

from newsletter.config import DeliveryConfig
from newsletter.deliver.base import Backend, OutgoingMessage
from newsletter.deliver.ledger import Ledger, ledger_lock
from newsletter.deliver.loop import DEFAULT_BACKOFF, Backoff, SendLoop
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
    backoff: Backoff = DEFAULT_BACKOFF,
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
        loop = SendLoop(
            config,
            backend,
            ledger,
            compose,
            backoff=backoff,
            sleep=sleep,
            clock=clock,
            rng=rng or random.Random(),
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
