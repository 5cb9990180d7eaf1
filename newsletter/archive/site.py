"""Update the static site from the editions in ``out/``: plan what is stale, render, write.

Every page is rendered from ``<out>/<date>/edition.json`` (never from the digests), so the
site can be rebuilt at any time. An update re-renders only what a change touches:

- the changed days (new, or whose ``edition.json`` changed since it was rendered);
- days whose previous/next neighbour changed (their navigation links);
- the index, the feed and the search index (they list every day);
- the topic pages of the changed days' sections (the topic page and the month pages of the
  changed days' months).

Settings or templates that changed since the last run (the manifest's signature) make it a
full rebuild, as does ``full=True`` or ``dates=None``.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from newsletter.archive.feed import feed_xml
from newsletter.archive.manifest import (
    Manifest,
    load_manifest,
    rows_file,
    save_manifest,
    site_signature,
)
from newsletter.archive.pages import SitePages, Topic, collect_topics, topic_slug
from newsletter.archive.records import DayRecord, day_record
from newsletter.archive.search import search_index_json
from newsletter.config import Config
from newsletter.edition_json import load_edition
from newsletter.errors import NewsletterError
from newsletter.history import edition_dates
from newsletter.writer import Writer, exclusive_lock, remove_stale_temp_files

log = logging.getLogger(__name__)

EDITION_FILE = "edition.json"


@dataclass(frozen=True)
class SiteReport:
    """What one update did."""

    site_dir: Path
    days: tuple[str, ...]  # every day in the site, oldest first
    rendered_days: tuple[str, ...]  # day pages rendered by this update
    rendered_topics: tuple[str, ...]  # section ids whose topic pages were rendered
    written: tuple[Path, ...]  # every file written
    removed: tuple[Path, ...]  # stale files removed (days or topics that no longer exist)
    full: bool
    seconds: float

    def summary(self) -> str:
        kind = "full rebuild" if self.full else "update"
        size = site_size(self.site_dir)
        return (
            f"site {kind}: {len(self.days)} days, {len(self.rendered_days)} day pages and "
            f"{len(self.rendered_topics)} topics rendered, {len(self.written)} files written, "
            f"{len(self.removed)} removed in {self.seconds:.2f} s -> {self.site_dir} "
            f"({size / 1e6:.1f} MB)"
        )


def site_size(site_dir: Path) -> int:
    return sum(path.stat().st_size for path in site_dir.rglob("*") if path.is_file())


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return (stat.st_mtime_ns, stat.st_size)


def _neighbours(dates: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
    return {
        date: (dates[i - 1] if i > 0 else None, dates[i + 1] if i + 1 < len(dates) else None)
        for i, date in enumerate(dates)
    }


def _signature(config: Config, pages: SitePages) -> str:
    settings = {
        "title": [config.title.en, config.title.zh],
        "base_url": config.archive.base_url,
        "feed_entries": config.archive.feed_entries,
        "templates_dir": str(config.templates_dir or ""),
    }
    return site_signature(settings, pages.template_dirs())


def _remove(paths: Iterable[Path]) -> list[Path]:
    """Delete stale pages (and the folders they leave empty)."""
    removed = []
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        removed.append(path)
        with contextlib.suppress(OSError):  # not empty: other pages live there
            path.parent.rmdir()
    return removed


def _topic_files(topic: Topic) -> dict[str, str | None]:
    """Relative path -> month (None for the topic's main page) of every page of ``topic``."""
    files: dict[str, str | None] = {f"topics/{topic.slug}.html": None}
    for month, _ in topic.months:
        files[f"topics/{topic.slug}/{month}.html"] = month
    return files


def update_site(
    config: Config, dates: Sequence[str] | None = None, *, full: bool = False
) -> SiteReport:
    """Bring ``config.site_dir`` up to date with the editions in ``config.out_dir``.

    ``dates`` are the days just built (they are re-rendered even when their edition file
    looks unchanged); ``None`` or ``full=True`` rebuilds everything. One update at a time:
    a second waits for the first (a cron run and a manual ``archive`` may overlap).
    """
    site_dir = Path(config.site_dir)
    with exclusive_lock(site_dir.parent / f".{site_dir.name}.lock", what="another archive update"):
        # Under the lock, any temp file in the site is a leftover of a killed run.
        remove_stale_temp_files(site_dir)
        return _update_site(config, dates, full=full)


def _update_site(config: Config, dates: Sequence[str] | None, *, full: bool) -> SiteReport:
    start = time.perf_counter()
    pages = SitePages(config)
    site_dir = Path(config.site_dir)
    signature = _signature(config, pages)
    previous_run = load_manifest(site_dir)
    manifest = previous_run
    if full or dates is None or manifest is None or manifest.signature != signature:
        if manifest is not None and manifest.signature != signature:
            log.info("%s: settings or templates changed; rebuilding the whole site", site_dir)
        manifest, full = None, True
    old_days: dict[str, DayRecord] = {} if manifest is None else manifest.days

    all_dates = edition_dates(config.out_dir)
    missing = sorted(set(dates or ()) - set(all_dates))
    if missing:
        raise NewsletterError(
            f"{config.out_dir}: no edition.json for {', '.join(missing)}; "
            f"run `newsletter build --date {missing[0]}` first"
        )
    stamps = {date: _stamp(config.out_dir / date / EDITION_FILE) for date in all_dates}
    requested = set(dates or ())
    changed = {
        date
        for date in all_dates
        if full or date in requested or date not in old_days or old_days[date].stamp != stamps[date]
    }
    removed_days = set(previous_run.days if previous_run else ()) - set(all_dates)
    neighbours = _neighbours(all_dates)

    editions = {}
    days: dict[str, DayRecord] = {}
    for date in all_dates:
        previous, next_day = neighbours[date]
        if date in changed:
            edition = load_edition(config.out_dir / date / EDITION_FILE)
            if edition.date != date:
                raise NewsletterError(
                    f"{config.out_dir / date / EDITION_FILE}: edition of {edition.date!r} "
                    f"in the folder of {date}"
                )
            editions[date] = edition
            days[date] = replace(
                day_record(edition, stamps[date]), previous=previous, next=next_day
            )
        else:
            old = old_days[date]
            if (old.previous, old.next) != (previous, next_day):
                editions[date] = load_edition(config.out_dir / date / EDITION_FILE)
            days[date] = replace(old, previous=previous, next=next_day)

    writer = Writer(site_dir)
    for date in sorted(editions):
        previous, next_day = neighbours[date]
        writer.write_text(f"{date}/index.html", pages.day_page(editions[date], previous, next_day))

    topics = collect_topics(days.values())
    touched = changed | removed_days
    touched_months = {date[:7] for date in touched}
    affected = {
        section.id
        for date in touched
        for record in (old_days.get(date), days.get(date))
        if record is not None
        for section in record.topic_sections
    }
    topic_files: set[str] = set()
    rendered_topics = []
    for topic in topics.values():
        files = _topic_files(topic)
        topic_files.update(files)
        if not full and topic.id not in affected:
            continue
        rendered_topics.append(topic.id)
        for relative, month in files.items():
            if month is None:
                writer.write_text(relative, pages.topic_page(topic, days))
            elif full or month in touched_months:
                writer.write_text(relative, pages.topic_month_page(topic, days, month))

    day_list = [days[date] for date in all_dates]
    writer.write_text("index.html", pages.index_page(day_list, topics.values()))
    writer.write_bytes("feed.xml", feed_xml(config, day_list))
    writer.write_text("search-index.json", search_index_json(day_list))
    if full or not (site_dir / "search.html").is_file():
        writer.write_text("search.html", pages.search_page())
    for relative, data in pages.static_files().items():
        target = site_dir / relative
        if full or not target.is_file() or target.read_bytes() != data:
            writer.write_bytes(relative, data)

    stale = [site_dir / date / "index.html" for date in sorted(removed_days)]
    stale += [rows_file(site_dir, date) for date in sorted(removed_days)]
    old_topic_files = previous_run.topic_files if previous_run is not None else set()
    stale += [site_dir / relative for relative in sorted(old_topic_files - topic_files)]
    removed = _remove(stale)

    save_manifest(
        writer, Manifest(signature=signature, days=days, topic_files=topic_files), changed
    )
    report = SiteReport(
        site_dir=site_dir,
        days=tuple(all_dates),
        rendered_days=tuple(sorted(editions)),
        rendered_topics=tuple(sorted(rendered_topics)),
        written=writer.written,
        removed=tuple(removed),
        full=full,
        seconds=time.perf_counter() - start,
    )
    log.info("%s", report.summary())
    return report


__all__ = ["SiteReport", "site_size", "topic_slug", "update_site"]
