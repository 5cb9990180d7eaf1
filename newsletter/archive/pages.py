"""Render the site's pages from editions and day records with the ``templates/site`` templates.

The environment is the renderers' one (same filters: ``math``, ``authors``) with autoescaping
forced on for every site template, and a ``url`` filter that lets only http(s) and relative
links through: digest text is untrusted, and a ``javascript:`` link in a paper's URL must not
become a live link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from newsletter.archive.records import DayRecord, PaperRecord
from newsletter.config import Config
from newsletter.model import Edition
from newsletter.render.environment import (
    Catalogue,
    build_environment,
    bundled_dir,
    load_catalogue,
    render_template,
)
from newsletter.urls import safe_url

# Topic pages show this many of a topic's newest papers; older ones are on month pages.
TOPIC_RECENT = 60
_UNSAFE_SLUG = re.compile(r"[^A-Za-z0-9_-]+")


def topic_slug(section_id: str) -> str:
    """A file name for a section id (taxonomy ids are slugs already; this guards the rest)."""
    return _UNSAFE_SLUG.sub("-", section_id).strip("-") or "section"


def paper_anchor(paper_id: str) -> str:
    return "p-" + paper_id.replace("/", "-")


@dataclass(frozen=True)
class DayGroup:
    """A topic's papers of one day."""

    date: str
    papers: tuple[PaperRecord, ...]


@dataclass(frozen=True)
class MonthLink:
    month: str  # YYYY-MM
    count: int
    href: str


@dataclass(frozen=True)
class Topic:
    """One subtopic section across all days, from the day records' section lists alone (its
    papers are read from a day's rows only when one of its pages is rendered)."""

    id: str
    title_en: str
    title_zh: str
    days: tuple[tuple[str, int], ...]  # (date, papers that day), newest first

    @property
    def slug(self) -> str:
        return topic_slug(self.id)

    @property
    def total(self) -> int:
        return sum(count for _, count in self.days)

    @property
    def months(self) -> tuple[tuple[str, int], ...]:
        """(YYYY-MM, papers), newest first."""
        counts: dict[str, int] = {}
        for date, count in self.days:
            counts[date[:7]] = counts.get(date[:7], 0) + count
        return tuple(counts.items())

    def papers_of(self, day: DayRecord) -> tuple[PaperRecord, ...]:
        return tuple(paper for paper in day.papers if paper.section_id == self.id)

    def recent(self, days: Mapping[str, DayRecord], limit: int) -> tuple[PaperRecord, ...]:
        papers: list[PaperRecord] = []
        for date, _ in self.days:
            if len(papers) >= limit:
                break
            papers.extend(self.papers_of(days[date]))
        return tuple(papers[:limit])

    def month_papers(self, days: Mapping[str, DayRecord], month: str) -> tuple[PaperRecord, ...]:
        return tuple(
            paper
            for date, _ in self.days
            if date.startswith(month)
            for paper in self.papers_of(days[date])
        )


def by_day(papers: Sequence[PaperRecord]) -> tuple[DayGroup, ...]:
    return tuple(
        DayGroup(date=date, papers=tuple(group))
        for date, group in groupby(papers, key=lambda p: p.date)
    )


def collect_topics(days: Iterable[DayRecord]) -> dict[str, Topic]:
    """Every topic section id across ``days``, titled as its newest day titles it."""
    found: dict[str, list[tuple[str, int]]] = {}
    titles: dict[str, tuple[str, str]] = {}
    for day in sorted(days, key=lambda d: d.date, reverse=True):
        for section in day.topic_sections:
            titles.setdefault(section.id, (section.title_en, section.title_zh))
            found.setdefault(section.id, []).append((day.date, section.count))
    return {
        section_id: Topic(section_id, *titles[section_id], tuple(dated))
        for section_id, dated in found.items()
    }


class BilingualText:
    """UI strings and titles in both languages, as markup the language switch can toggle.

    Plain Python rather than Jinja macros: a day page calls these hundreds of times."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    def __call__(self, key: str, **values: object) -> Markup:
        return self.pair(
            self.catalogue.lang(key, "en", **values), self.catalogue.lang(key, "zh", **values)
        )

    def plain(self, key: str, **values: object) -> str:
        en = self.catalogue.lang(key, "en", **values)
        zh = self.catalogue.lang(key, "zh", **values)
        return en if en == zh else f"{en} / {zh}"

    @staticmethod
    def pair(en: str | None, zh: str | None, separator: str = " / ") -> Markup:
        if not zh or en == zh:
            return escape(en or "")
        if not en:
            return Markup(f'<span lang="zh-CN">{escape(zh)}</span>')
        return Markup(
            f'<span class="l-en">{escape(en)}</span><span class="l-bi">{escape(separator)}</span>'
            f'<span class="l-zh" lang="zh-CN">{escape(zh)}</span>'
        )


@lru_cache(maxsize=4)
def site_environment(templates_dir: Path | None) -> jinja2.Environment:
    """The renderers' environment plus the site's filters, compiled templates kept per process."""
    env = build_environment(templates_dir)
    # The shared selector escapes "*.html" but not "*.html.j2": force it for every site page.
    env.autoescape = True
    env.filters["url"] = safe_url
    env.filters["topic_slug"] = topic_slug
    env.filters["anchor"] = paper_anchor
    return env


class SitePages:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.env = site_environment(config.templates_dir)
        catalogue_path = bundled_dir("templates") / "i18n" / "strings.yaml"
        if config.templates_dir and (config.templates_dir / "i18n" / "strings.yaml").is_file():
            catalogue_path = config.templates_dir / "i18n" / "strings.yaml"
        self.ui = Catalogue(load_catalogue(catalogue_path), "en")
        text = BilingualText(self.ui)
        self.common = {
            "ui": self.ui,
            "t": text,
            "tt": text.plain,
            "pair": text.pair,
            "site_title_en": config.title.en,
            "site_title_zh": config.title.zh,
        }

    def template_dirs(self) -> list[Path]:
        dirs = [bundled_dir("templates") / "site", bundled_dir("templates") / "i18n"]
        if self.config.templates_dir:
            dirs += [self.config.templates_dir / "site", self.config.templates_dir / "i18n"]
        return dirs

    def _render(self, name: str, root: str, **context: object) -> str:
        return render_template(self.env, f"site/{name}", root=root, **self.common, **context)

    def day_page(
        self,
        edition: Edition,
        previous: str | None,
        next_day: str | None,
    ) -> str:
        return self._render(
            "day.html.j2",
            "../",
            edition=edition,
            previous=previous,
            next_day=next_day,
            count=edition.paper_count,
        )

    def index_page(self, days: Sequence[DayRecord], topics: Iterable[Topic]) -> str:
        newest_first = sorted(days, key=lambda d: d.date, reverse=True)
        ordered_topics = sorted(topics, key=lambda t: (t.title_en.lower(), t.id))
        return self._render("index.html.j2", "", days=newest_first, topics=ordered_topics)

    def topic_page(self, topic: Topic, days: Mapping[str, DayRecord]) -> str:
        recent = topic.recent(days, TOPIC_RECENT)
        months = tuple(
            MonthLink(month, count, f"{topic.slug}/{month}.html") for month, count in topic.months
        )
        return self._render(
            "topic.html.j2",
            "../",
            topic=topic,
            groups=by_day(recent),
            shown=len(recent),
            months=months,
            month=None,
            topic_href=f"{topic.slug}.html",
        )

    def topic_month_page(self, topic: Topic, days: Mapping[str, DayRecord], month: str) -> str:
        papers = topic.month_papers(days, month)
        return self._render(
            "topic.html.j2",
            "../../",
            topic=topic,
            groups=by_day(papers),
            shown=len(papers),
            months=(),
            month=month,
            topic_href=f"../{topic.slug}.html",
        )

    def search_page(self) -> str:
        return self._render("search.html.j2", "")

    def static_files(self) -> dict[str, bytes]:
        """The site's static assets (CSS, scripts), by their path in the site."""
        files = {}
        for name in ("site.css", "lang.js", "search.js"):
            override = (
                self.config.templates_dir / "site" / name if self.config.templates_dir else None
            )
            source = (
                override
                if override and override.is_file()
                else bundled_dir("templates") / "site" / name
            )
            files[f"static/{name}"] = source.read_bytes()
        return files
