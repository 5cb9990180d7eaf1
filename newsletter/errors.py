"""One exception hierarchy for every failure the tool reports to a user.

The CLI catches ``NewsletterError`` and prints ``str(error)`` on one line with exit
code 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class NewsletterError(Exception):
    """Base class: a problem the user can fix, reported without a traceback."""

    exit_code = 2


class ConfigError(NewsletterError, ValueError):
    """Invalid or missing configuration (file, key, environment variable)."""


class DigestError(NewsletterError, ValueError):
    """A digest that cannot be read: names the source and, where known, the line."""

    def __init__(self, source: str, message: str, line: int | None = None) -> None:
        self.source = source
        self.line = line
        self.detail = message
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")


class DigestNotFound(DigestError, FileNotFoundError):
    """No digest published for the requested day (yet)."""


class FetchError(DigestError, OSError):
    """A digest URL that could not be fetched (unreachable, timeout, HTTP error)."""


class TemplateError(NewsletterError):
    """A template that failed to render."""


class OutputError(NewsletterError, OSError):
    """An output that could not be written (or would be written twice)."""


class DeliveryError(NewsletterError):
    """Sending failed in a way that needs the user's attention."""


class LLMError(NewsletterError):
    """The LLM stage could not start (for example a missing API key)."""
