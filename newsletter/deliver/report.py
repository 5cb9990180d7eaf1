"""What a send did, for the CLI (exit status) and the scheduler (retry or not)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DeliveryReport:
    date: str
    backend: str
    sent: tuple[str, ...] = ()  # handed over in this run (for a dry run: would be sent)
    skipped_already_sent: tuple[str, ...] = ()  # the ledger says they already have it
    failed_permanent: dict[str, str] = field(default_factory=dict)  # address -> server's reason
    failed_temporary: dict[str, str] = field(default_factory=dict)  # still failing after retries
    dry_run: bool = False
    skipped_reason: str | None = None  # why nothing was sent at all (e.g. an empty day)

    @property
    def ok(self) -> bool:
        """Everyone on the list has the edition (or nothing was due)."""
        return not self.failed_permanent and not self.failed_temporary

    @property
    def retry_later(self) -> bool:
        """Some failures are temporary: a later run may still deliver them."""
        return bool(self.failed_temporary)

    def summary(self) -> str:
        if self.skipped_reason:
            return f"{self.date}: nothing sent ({self.skipped_reason})"
        verb = "would send" if self.dry_run else "sent"
        total = (
            len(self.sent)
            + len(self.skipped_already_sent)
            + len(self.failed_permanent)
            + len(self.failed_temporary)
        )
        lines = [f"{self.date} via {self.backend}: {verb} {len(self.sent)} of {total}"]
        if self.skipped_already_sent:
            lines[0] += f", {len(self.skipped_already_sent)} already had it"
        for label, failures in (
            ("failed (permanent)", self.failed_permanent),
            ("failed (temporary, run again to retry)", self.failed_temporary),
        ):
            if failures:
                lines.append(f"  {label}: {len(failures)}")
                lines.extend(
                    f"    {address}: {reason}" for address, reason in sorted(failures.items())
                )
        return "\n".join(lines)
