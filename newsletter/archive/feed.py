"""The Atom feed: one entry per day, the latest ``archive.feed_entries`` days.

Links are absolute when ``archive.base_url`` is set, else relative to the feed (which sits at
the site's root, so ``2026-02-09/index.html`` resolves to the day page). Entry ids do not
depend on where the site is hosted, so moving the site does not make readers see every
edition again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape

from newsletter.archive.records import DayRecord
from newsletter.config import Config

# Titles of a day's papers listed in its feed entry; the page has the rest.
FEED_TITLES = 10


def _site_url(config: Config, path: str) -> str:
    base = config.archive.base_url
    return f"{base.rstrip('/')}/{path}" if base else path


def _tag(config: Config, specific: str) -> str:
    """A stable Atom id (RFC 4151 tag URI) for ``specific``."""
    return f"tag:newsletter.invalid,2024:{config.title.en.replace(' ', '-')}/{specific}"


def _timestamp(day: DayRecord) -> datetime:
    if day.generated_at:
        try:
            stamp = datetime.fromisoformat(day.generated_at)
            return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
        except ValueError:
            pass
    return datetime.fromisoformat(day.date).replace(tzinfo=UTC)


def _entry_html(day: DayRecord) -> str:
    parts = []
    if day.intro_en or day.intro_zh:
        parts += [f"<p>{escape(text)}</p>" for text in (day.intro_en, day.intro_zh) if text]
    sections = "".join(
        f"<li>{escape(s.title_en)} · {escape(s.title_zh)} ({s.count})</li>"
        for s in day.topic_sections
    )
    if sections:
        parts.append(f"<ul>{sections}</ul>")
    titles = "".join(f"<li>{escape(p.title)}</li>" for p in day.papers[:FEED_TITLES])
    if titles:
        parts.append(f"<ol>{titles}</ol>")
    return "".join(parts) or "<p>No papers.</p>"


def feed_xml(config: Config, days: Sequence[DayRecord]) -> bytes:
    from feedgen.feed import FeedGenerator

    latest = sorted(days, key=lambda d: d.date, reverse=True)[: config.archive.feed_entries]
    title = f"{config.title.en} · {config.title.zh}"
    feed = FeedGenerator()
    feed.id(_tag(config, "feed"))
    feed.title(title)
    feed.author({"name": title})
    feed.link(href=_site_url(config, "index.html"), rel="alternate")
    feed.link(href=_site_url(config, "feed.xml"), rel="self")
    feed.language("en")
    feed.updated(max((_timestamp(d) for d in latest), default=datetime(1970, 1, 1, tzinfo=UTC)))
    for day in latest:  # newest first, as feed readers expect
        entry = feed.add_entry(order="append")
        entry.id(_tag(config, day.date))
        entry.title(f"{config.title.en} · {day.date} · {day.paper_count} papers / 篇论文")
        entry.link(href=_site_url(config, f"{day.date}/index.html"), rel="alternate")
        entry.updated(_timestamp(day))
        entry.published(datetime.fromisoformat(day.date).replace(tzinfo=UTC))
        entry.content(_entry_html(day), type="html")
    return feed.atom_str(pretty=True)
