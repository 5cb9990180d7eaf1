"""Where a day's digest comes from: a file, a folder of day files, or a URL template.

This module and ``fetch.py`` are the only parts of ingest that touch the file system or the
network; the readers only see text.
"""

from __future__ import annotations

import re
from datetime import date as date_type
from pathlib import Path

from newsletter.errors import DigestError, DigestNotFound
from newsletter.model import Digest

from .fetch import fetch_bytes
from .readers import read_digest_text
from .text import decode_digest_bytes

# Sub-folders where forks keep their day files (upstream: data/; some forks: contents/).
DAY_FOLDERS = ("", "data", "contents")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def _check_date(date: str, source: str) -> None:
    try:
        valid = bool(_DATE.match(date)) and date_type.fromisoformat(date) is not None
    except ValueError:
        valid = False
    if not valid:
        raise DigestError(source, f"date {date!r} is not a day; expected YYYY-MM-DD")


def day_file_patterns(date: str) -> tuple[tuple[str, ...], ...]:
    """Name patterns in order of preference: the AI JSONL carries the most, then the
    Markdown rendering, then the raw crawl (no summaries)."""
    return (
        (f"{date}_AI_enhanced.jsonl", f"{date}_AI_enhanced_*.jsonl"),
        (f"{date}.md",),
        (f"{date}.jsonl",),
    )


def find_day_file(folder: Path, date: str) -> tuple[Path, tuple[Path, ...]]:
    """The best file for ``date`` under ``folder`` and the other candidates of the same rank."""
    folders = [folder / name if name else folder for name in DAY_FOLDERS]
    folders = [path for path in folders if path.is_dir()]
    empty: list[Path] = []
    for patterns in day_file_patterns(date):
        found = sorted(
            {path for base in folders for pattern in patterns for path in base.glob(pattern)},
            key=lambda path: (len(path.relative_to(folder).parts), str(path)),
        )
        found = [path for path in found if path.is_file()]
        # An empty AI file (the AI step failed) must not hide the day's Markdown or crawl.
        empty += [path for path in found if path.stat().st_size == 0]
        found = [path for path in found if path.stat().st_size > 0]
        if found:
            return found[0], tuple(found[1:])
    if empty:
        return empty[0], tuple(empty[1:])
    looked_for = ", ".join(pattern for patterns in day_file_patterns(date) for pattern in patterns)
    where = ", ".join(str(path) for path in folders)
    raise DigestNotFound(str(folder), f"no digest for {date}: looked for {looked_for} in {where}")


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DigestNotFound(str(path), "no such file; expected a digest file") from None
    except OSError as error:
        raise DigestError(str(path), f"cannot be read ({error.strerror})") from None


def load_digest(source: str, date: str, *, timeout_s: float = 20.0, retries: int = 2) -> Digest:
    """Load the digest of ``date`` from a file, a folder, or a URL template with ``{date}``.

    A folder is searched (also in its ``data/`` and ``contents/``) for the AI JSONL, then the
    Markdown, then the raw JSONL of the day. A missing day raises ``DigestNotFound``.
    """
    _check_date(date, source)
    if is_url(source):
        url = source.replace("{date}", date)
        text = decode_digest_bytes(fetch_bytes(url, timeout_s=timeout_s, retries=retries), url)
        return read_digest_text(text, url, date)
    path = Path(source.removeprefix("file://").replace("{date}", date)).expanduser()
    alternatives: tuple[Path, ...] = ()
    if path.is_dir():
        path, alternatives = find_day_file(path, date)
    elif not path.exists():
        raise DigestNotFound(str(path), f"no such file or folder; expected the digest for {date}")
    name = str(path)
    digest = read_digest_text(decode_digest_bytes(_read_file(path), name), name, date)
    if alternatives:
        others = ", ".join(str(other) for other in alternatives)
        note = f"{name}: also found {others}; read {path.name}"
        digest = _with_warning(digest, note)
    return digest


def _with_warning(digest: Digest, warning: str) -> Digest:
    from dataclasses import replace

    return replace(digest, warnings=(*digest.warnings, warning))
