"""What earlier editions in ``out/`` already listed, for marking repeats ("seen on <date>").

Each build writes ``<out>/<date>/ids.json`` (the day's paper ids) beside its edition; reading
those small files is fast even with hundreds of days. Only dates strictly before the day
being built count, so previewing a past date never looks into its future.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

IDS_FILE = "ids.json"
_DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def edition_dates(out_dir: Path) -> list[str]:
    """Dates that have a built edition in ``out_dir``, oldest first."""
    if not out_dir.is_dir():
        return []
    return sorted(
        entry.name
        for entry in out_dir.iterdir()
        if _DATE_DIR.match(entry.name) and (entry / "edition.json").is_file()
    )


def first_seen(out_dir: Path, before: str, paper_ids: set[str]) -> dict[str, str]:
    """Map each id in ``paper_ids`` listed by an edition dated before ``before`` to the
    earliest such date."""
    seen: dict[str, str] = {}
    for date in edition_dates(out_dir):
        if date >= before:
            break
        try:
            ids = json.loads((out_dir / date / IDS_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # an edition without its id list (older build): not a reason to fail
        for paper_id in ids if isinstance(ids, list) else ():
            if paper_id in paper_ids and paper_id not in seen:
                seen[paper_id] = date
    return seen


def ids_json(paper_ids: list[str]) -> str:
    return json.dumps(sorted(paper_ids)) + "\n"
