"""The delivery ledger: who got which day's edition, so each recipient gets it exactly once.

One JSON file per day, ``<out>/ledger/<date>.json``, rewritten atomically after every recipient
(a crash loses at most the one message in flight). An exclusive ``flock`` on
``<out>/ledger/<date>.lock`` is held for the whole send: a second ``send`` of the same day waits
for the first to finish, then reads the ledger and finds everyone already served.

What is *not* covered: if the connection drops after the server accepted a message but before
its reply arrived, the message is retried and that recipient may get it twice. SMTP offers no
way to tell; the window is one message wide.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from newsletter.errors import DeliveryError
from newsletter.writer import atomic_write_bytes, exclusive_lock

Status = Literal["sent", "failed_permanent", "failed_temporary"]
LEDGER_VERSION = 1


@dataclass(frozen=True)
class LedgerEntry:
    recipient: str  # addr-spec
    status: Status
    time: str  # ISO 8601, UTC
    message_id: str | None = None
    detail: str | None = None  # the server's reply for a failure
    attempts: int = 1
    backend: str = "smtp"


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def ledger_dir(out_dir: Path) -> Path:
    return Path(out_dir) / "ledger"


class Ledger:
    """The per-day record. Keys are ``Mailbox.key`` (domain lower-cased)."""

    def __init__(
        self, path: Path, date: str, entries: Mapping[str, LedgerEntry] | None = None
    ) -> None:
        self.path = path
        self.date = date
        self._entries: dict[str, LedgerEntry] = dict(entries or {})

    @classmethod
    def load(cls, out_dir: Path, date: str) -> Ledger:
        path = ledger_dir(out_dir) / f"{date}.json"
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return cls(path, date)
        except OSError as exc:
            raise DeliveryError(
                f"{path}: cannot read the delivery ledger ({exc.strerror})"
            ) from None
        try:
            data = json.loads(raw)
            entries = {key: LedgerEntry(**value) for key, value in data["recipients"].items()}
        except (ValueError, KeyError, TypeError) as exc:
            # Never guess: a ledger we cannot read could mean everyone gets a second copy.
            raise DeliveryError(
                f"{path}: delivery ledger is damaged ({exc}); fix or remove it "
                "(removing it resends to everyone)"
            ) from None
        if data.get("date") != date:
            raise DeliveryError(f"{path}: ledger is for {data.get('date')!r}, expected {date!r}")
        return cls(path, date, entries)

    def get(self, key: str) -> LedgerEntry | None:
        return self._entries.get(key)

    def is_sent(self, key: str) -> bool:
        entry = self._entries.get(key)
        return entry is not None and entry.status == "sent"

    @property
    def entries(self) -> dict[str, LedgerEntry]:
        return dict(self._entries)

    def record(self, key: str, entry: LedgerEntry) -> None:
        """Add or replace ``key``'s entry and write the whole file atomically."""
        self._entries[key] = entry
        self.save()

    def save(self) -> None:
        data = {
            "version": LEDGER_VERSION,
            "date": self.date,
            "updated": utc_now(),
            "recipients": {key: asdict(entry) for key, entry in self._entries.items()},
        }
        body = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        atomic_write_bytes(self.path, body.encode("utf-8"))


def ledger_lock(
    out_dir: Path, date: str, *, timeout_s: float = 3600.0, poll_s: float = 0.05
) -> contextlib.AbstractContextManager[Path]:
    """Hold the day's exclusive lock; wait up to ``timeout_s`` for another send to finish."""
    return exclusive_lock(
        ledger_dir(out_dir) / f"{date}.lock",
        what=f"another send of {date}",
        timeout_s=timeout_s,
        poll_s=poll_s,
        error=DeliveryError,
    )
