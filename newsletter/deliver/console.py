"""The console backend: a dry run that prints what would be sent, and marks nothing as sent."""

from __future__ import annotations

import sys
from typing import TextIO

from newsletter.deliver.base import Backend, OutgoingMessage


class ConsoleBackend(Backend):
    name = "console"
    records_delivery = False

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self.count = 0

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stdout

    def send(self, message: OutgoingMessage) -> None:
        if self.count == 0:
            print(
                f"dry run: from {message.envelope_from}, subject {message.subject!r}",
                file=self.stream,
            )
        self.count += 1
        print(
            f"  would send to {message.recipient}: {len(message.data):,} bytes"
            f"{' (8bit)' if message.needs_8bit else ''}, Message-ID {message.message_id}",
            file=self.stream,
        )
