"""The client-side search index: one compact JSON file of every listed paper.

Rows are arrays (field names once, in ``fields``) to keep the file small: a year of daily
editions is a few megabytes, fetched once by ``search.js`` and searched in the browser.
Newest days come first, so the script can stop after enough hits.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from newsletter.archive.records import ROW_FIELDS, DayRecord

SEARCH_INDEX_VERSION = 1


def search_index_json(days: Sequence[DayRecord]) -> str:
    newest_first = sorted(days, key=lambda d: d.date, reverse=True)
    sections: dict[str, list[str]] = {}
    for day in reversed(newest_first):  # newest title wins
        for section in day.topic_sections:
            sections[section.id] = [section.title_en, section.title_zh]
    head = {"version": SEARCH_INDEX_VERSION, "fields": list(ROW_FIELDS), "sections": sections}
    # Each day's rows are already JSON ("[[...],[...]]"): splice them, do not re-encode them.
    rows = ",".join(day.rows_json[1:-1] for day in newest_first if day.rows_json != "[]")
    head_json = json.dumps(head, ensure_ascii=False, separators=(",", ":"))
    return f'{head_json[:-1]},"papers":[{rows}]}}'
