"""The recipient list: from ``delivery.to`` (a list in the config, or a file).

A recipients file holds one address per line; people paste lists from spreadsheets and mail
clients, so commas, semicolons and spaces between addresses are tolerated too, blank lines and
``#`` comments are ignored, and duplicates (same address, domain compared case-insensitively)
are dropped with a warning. Every address is validated (and checked for header injection)
before anything is sent; an error names the file, the line and what was expected.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from email.utils import getaddresses
from pathlib import Path

from newsletter.errors import ConfigError, DeliveryError
from newsletter.message import Mailbox, parse_mailbox, reject_line_breaks

log = logging.getLogger(__name__)

_SEPARATORS = re.compile(r"[;,\s]+")
# '#' starts a comment at the start of a line or after whitespace ('#' is legal inside addresses).
_COMMENT = re.compile(r"(?:^|\s)#.*$")


def split_addresses(text: str) -> list[str]:
    """Split one line into address strings: ``a@x.org, b@y.org; C <c@z.org>``.

    Display names may contain spaces and (quoted) commas, so a line with '<' or '"' goes through
    the RFC 5322 parser; a bare list of addresses is split on commas, semicolons and whitespace.
    """
    text = text.strip()
    if not text:
        return []
    if "<" in text or '"' in text:
        # getaddresses only knows commas; semicolons outside quotes separate addresses too.
        parts = re.split(r';(?=(?:[^"]*"[^"]*")*[^"]*$)', text)
        found = getaddresses(parts)
        out = []
        for name, addr in found:
            if not addr:
                raise ValueError(f"cannot find an address in {text!r}")
            out.append(f"{_quote_name(name)} <{addr}>" if name else addr)
        return out
    return [piece for piece in _SEPARATORS.split(text) if piece]


def _quote_name(name: str) -> str:
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _parse_entries(entries: Iterable[tuple[str, str]]) -> tuple[Mailbox, ...]:
    """``entries`` are (where, text) pairs; ``where`` is e.g. 'list.txt:3' or 'delivery.to[2]'."""
    seen: dict[str, str] = {}
    mailboxes: list[Mailbox] = []
    for where, raw in entries:
        try:
            reject_line_breaks(raw, where)
            pieces = split_addresses(raw)
        except ValueError as exc:
            if isinstance(exc, DeliveryError):
                raise ConfigError(str(exc)) from None
            raise ConfigError(f"{where}: expected email addresses ({exc})") from None
        for piece in pieces:
            try:
                mailbox = parse_mailbox(piece, where)
            except DeliveryError as exc:
                raise ConfigError(str(exc)) from None
            if mailbox.key in seen:
                log.warning(
                    "%s: %s is listed again (first at %s); sending once",
                    where,
                    mailbox.addr_spec,
                    seen[mailbox.key],
                )
                continue
            seen[mailbox.key] = where
            mailboxes.append(mailbox)
    return tuple(mailboxes)


def parse_recipients_text(text: str, source: str) -> tuple[Mailbox, ...]:
    """Parse the contents of a recipients file named ``source`` (used in messages)."""
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        content = _COMMENT.sub("", line)
        if content.strip():
            entries.append((f"{source}:{number}", content))
    return _parse_entries(entries)


def load_recipients(to: tuple[str, ...] | list[str] | Path | str) -> tuple[Mailbox, ...]:
    """Read ``delivery.to``: a list of addresses, or the path of a file of addresses."""
    if isinstance(to, Path):
        try:
            text = to.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise ConfigError(f"{to}: recipients file (delivery.to) not found") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{to}: recipients file is not UTF-8 text (byte {exc.start})"
            ) from None
        except OSError as exc:
            raise ConfigError(f"{to}: cannot read recipients file ({exc.strerror})") from None
        recipients = parse_recipients_text(text, str(to))
        origin = str(to)
    else:
        items = [to] if isinstance(to, str) else list(to)
        recipients = _parse_entries(
            (f"delivery.to[{index}]", item) for index, item in enumerate(items)
        )
        origin = "delivery.to"
    if not recipients:
        raise ConfigError(f"{origin}: no recipients (expected at least one email address)")
    return recipients
