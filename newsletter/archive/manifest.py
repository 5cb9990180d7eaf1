"""The site manifest: which edition each day page was rendered from, and the day records.

It lives in the site folder as ``.manifest.json``, and each day's paper rows beside it in
``.rows/<date>.json``, written only when that day changes (static hosts serve them, harmlessly:
they hold nothing that the search index does not publish). A manifest written by another
version, or for other settings or templates (its ``signature``), is ignored, which turns the
next update into a full rebuild: the safe answer whenever the old pages may be stale.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from newsletter.archive.records import DayRecord
from newsletter.writer import Writer

log = logging.getLogger(__name__)

MANIFEST_FILE = ".manifest.json"
ROWS_DIR = ".rows"
MANIFEST_VERSION = 2


@dataclass
class Manifest:
    signature: str
    days: dict[str, DayRecord] = field(default_factory=dict)
    # Files rendered by the last run besides day pages (topic pages), to remove stale ones.
    topic_files: set[str] = field(default_factory=set)

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": MANIFEST_VERSION,
                "signature": self.signature,
                "days": [self.days[date].to_dict() for date in sorted(self.days)],
                "topic_files": sorted(self.topic_files),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )


def site_signature(settings: dict[str, object], template_dirs: list[Path]) -> str:
    """A hash of what every page depends on besides the editions: settings and templates."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    for folder in template_dirs:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(folder)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def load_manifest(site_dir: Path) -> Manifest | None:
    """The manifest of the previous run, or None when there is none that this version reads.

    The caller compares its ``signature``: a different one means the pages are stale, but the
    manifest still says which files the previous run wrote (to remove the ones now stale)."""
    path = site_dir / MANIFEST_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("%s: unreadable site manifest (%s); rebuilding the whole site", path, exc)
        return None
    if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
        return None
    try:
        days = {}
        for row in data["days"]:
            rows_json = (site_dir / ROWS_DIR / f"{row['date']}.json").read_text(encoding="utf-8")
            days[row["date"]] = DayRecord.from_dict(row, rows_json)
    except (OSError, KeyError, TypeError, ValueError, IndexError) as exc:
        log.warning("%s: malformed site manifest (%s); rebuilding the whole site", path, exc)
        return None
    return Manifest(
        signature=str(data.get("signature")),
        days=days,
        topic_files=set(data.get("topic_files", ())),
    )


def save_manifest(writer: Writer, manifest: Manifest, changed: set[str]) -> Path:
    """Write the manifest and the rows of the ``changed`` days (the others are on disk)."""
    for date in sorted(changed):
        writer.write_text(f"{ROWS_DIR}/{date}.json", manifest.days[date].rows_json)
    return writer.write_text(MANIFEST_FILE, manifest.to_json())


def rows_file(site_dir: Path, date: str) -> Path:
    return site_dir / ROWS_DIR / f"{date}.json"
