"""The small interface every delivery backend implements, and how they report failures.

A backend is opened once per batch, hands over one message at a time, and is closed. It
classifies each failure as *temporary* (worth retrying: 4xx, a dropped connection, a timeout),
*permanent* for this recipient (5xx: recorded, the others still get theirs), or *fatal*
(nothing else can succeed either: a refused login or sender), so the send loop never has to
know about SMTP reply codes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from newsletter.errors import DeliveryError


@dataclass(frozen=True)
class OutgoingMessage:
    """One encoded message for one recipient."""

    envelope_from: str  # addr-spec for MAIL FROM
    recipient: str  # addr-spec for RCPT TO
    data: bytes  # the message, CRLF line ends
    message_id: str
    subject: str
    needs_8bit: bool = False  # some part is Content-Transfer-Encoding: 8bit


class SendError(DeliveryError):
    """A message that was not handed over. ``code`` is the server's reply code, when any."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class TemporarySendError(SendError):
    """Worth retrying later: 4xx replies, a dropped connection, a timeout."""

    def __init__(
        self, message: str, code: int | None = None, *, connection_lost: bool = False
    ) -> None:
        super().__init__(message, code)
        self.connection_lost = connection_lost


class PermanentSendError(SendError):
    """This recipient will not get it (5xx reply for the recipient or the message)."""


class FatalSendError(SendError):
    """Nobody will get it: stop the run (login refused, sender refused, 8BITMIME missing...)."""


class Backend(ABC):
    """Where messages go. ``records_delivery`` is False for a dry run (nothing is marked sent)."""

    name: str = "backend"
    records_delivery: bool = True

    def open(self) -> None:  # noqa: B027 - optional hook
        """Connect (or prepare). Raises TemporarySendError or FatalSendError."""

    @property
    def accepts_8bit(self) -> bool:
        """Whether an 8bit body may be handed over (known after ``open``)."""
        return True

    @abstractmethod
    def send(self, message: OutgoingMessage) -> None:
        """Hand over one message; raise a SendError subclass when it was not accepted."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Disconnect; must not raise."""

    @property
    def is_open(self) -> bool:
        return True
