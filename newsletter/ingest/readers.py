"""The registry of digest readers, keyed by format, and the choice of one for a given text."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from newsletter.model import Digest

from .jsonl import read_jsonl
from .markdown import read_markdown

Reader = Callable[[str, str, "str | None"], Digest]

READERS: dict[str, Reader] = {
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".jsonl": read_jsonl,
}
_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


def suffix_of(source: str) -> str:
    """``.md`` / ``.jsonl`` ... of a path or URL (query strings ignored), lower case."""
    path = urlsplit(source).path if "://" in source else source
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""


def reader_for(text: str, source: str) -> Reader:
    """The reader named by the source's suffix, else the one the content looks like."""
    reader = READERS.get(suffix_of(source))
    if reader is not None:
        return reader
    return read_jsonl if text.lstrip().startswith("{") else read_markdown


def read_digest_text(text: str, source: str, date: str | None = None) -> Digest:
    """Read a digest already in memory; ``source`` names it in errors and picks the reader."""
    # A BOM left on text decoded elsewhere would hide a paper heading on the first line.
    text = text.removeprefix("\ufeff")
    if date is None:
        match = _DATE_IN_NAME.search(source.rsplit("/", 1)[-1])
        date = match.group(1) if match else None
    return reader_for(text, source)(text, source, date)
