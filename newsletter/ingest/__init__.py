"""The ingest stage: read one day's digest (Markdown or JSONL, any known variant) into a
``Digest``.

    load_digest(source, date)          # a file, a folder of day files, or a URL template
    read_digest_text(text, source)     # text already in memory
"""

from __future__ import annotations

from .readers import READERS, read_digest_text
from .sources import load_digest

__all__ = ["READERS", "load_digest", "read_digest_text"]
