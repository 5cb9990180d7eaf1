"""The send loop: each pending recipient in turn, with batches, a rate limit and retries.

Every outcome is written to the ledger as it happens. A temporary failure is retried with
exponential backoff and jitter, reconnecting when the server hung up; a permanent one is
recorded and the loop moves on; a fatal one (or a server that cannot be reached at all) stops
the loop and records everyone not yet served, so nothing is left without a ledger entry.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass

from newsletter.config import DeliveryConfig
from newsletter.deliver.base import (
    Backend,
    FatalSendError,
    OutgoingMessage,
    PermanentSendError,
    TemporarySendError,
)
from newsletter.deliver.ledger import Ledger, LedgerEntry, utc_now
from newsletter.message import Mailbox

log = logging.getLogger("newsletter.deliver")


@dataclass(frozen=True)
class Backoff:
    """Delay before retry ``n`` (1-based): base * 2**(n-1), capped, times a random 0.5-1.0."""

    base_s: float = 2.0
    max_s: float = 120.0

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        jitter = 0.5 + 0.5 * (rng or random).random()  # spread retries of parallel senders
        return min(self.max_s, self.base_s * 2 ** (attempt - 1)) * jitter


DEFAULT_BACKOFF = Backoff()


class SendLoop:
    """Sends to each pending recipient in turn; records every outcome as it happens."""

    def __init__(
        self,
        config: DeliveryConfig,
        backend: Backend,
        ledger: Ledger,
        compose: Callable[[Mailbox, bool], OutgoingMessage],
        *,
        backoff: Backoff,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        rng: random.Random,
    ) -> None:
        self.config = config
        self.backend = backend
        self.ledger = ledger
        self.compose = compose
        self.backoff = backoff
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
            except ServerUnreachable as exc:
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
                        raise ServerUnreachable(str(exc)) from None
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


class ServerUnreachable(Exception):
    """Connecting kept failing: the rest of the list would fail the same way."""
