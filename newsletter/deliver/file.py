"""The file backend: one ``.eml`` per recipient under ``<out>/outbox/<date>/``.

Useful to look at exactly what each recipient would get, or to hand the files to another mail
system (a pickup folder). Deliveries are recorded in the ledger like real sends.
"""

from __future__ import annotations

import re
from pathlib import Path

from newsletter.deliver.base import Backend, OutgoingMessage
from newsletter.writer import atomic_write_bytes

_UNSAFE = re.compile(r"[^A-Za-z0-9@._+-]")


def outbox_dir(out_dir: Path, date: str) -> Path:
    return Path(out_dir) / "outbox" / date


def eml_name(recipient: str) -> str:
    """A file name per recipient that is safe on every file system and stable across runs."""
    return _UNSAFE.sub("_", recipient)[:200] + ".eml"


class FileBackend(Backend):
    name = "file"

    def __init__(self, out_dir: Path, date: str) -> None:
        self.folder = outbox_dir(out_dir, date)
        self.written: list[Path] = []

    def send(self, message: OutgoingMessage) -> None:
        path = self.folder / eml_name(message.recipient)
        # Not a Writer: a --force re-run rewrites the same file on purpose (still atomically).
        atomic_write_bytes(path, message.data)
        self.written.append(path)
