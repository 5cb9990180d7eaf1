"""Render an ``Edition`` into the email (HTML + text), the Markdown and the JSON editions.

The email has a size budget (Gmail clips messages over ~102 KB): ``email_within_budget``
takes a ``measure`` callback that returns the encoded size of the message a rendered email
would become, and degrades in steps a reader accepts until it fits (see ``budget``). Papers
that are not shown in full stay reachable: through the web page when an archive URL is
configured, else each as a one-line link in its section.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

from markupsafe import Markup

from newsletter.config import Config
from newsletter.edition_json import edition_to_json
from newsletter.model import Bilingual, Edition, EditionSection, Entry, RenderedEmail
from newsletter.render.environment import (
    Catalogue,
    bundled_dir,
    cached_environment,
    load_catalogue,
    render_template,
)
from newsletter.render.fragments import FragmentCache, PaperParts
from newsletter.render.inline import ClassStyles, class_styles, inline_classes
from newsletter.render.template_cache import use_bytecode_cache

log = logging.getLogger(__name__)

HTML_LANG = {"bilingual": "en", "zh": "zh-CN", "en": "en"}
LinkText = Literal["title", "short", "id"]


@dataclass(frozen=True)
class SectionView:
    """A section as a template shows it: maybe only its first papers, the rest as links."""

    id: str
    kind: str
    heading: str
    title: object
    entries: tuple[Entry, ...]  # shown in full
    hidden: int = 0
    more_url: str | None = None
    anchor: str = ""
    hidden_entries: tuple[Entry, ...] = ()  # listed as links (or behind more_url)
    area_heading: str | None = None  # the broad area (tables of contents group by it)

    @property
    def total(self) -> int:
        return len(self.entries) + self.hidden


@dataclass(frozen=True)
class EmailPlan:
    """How much of the edition the email shows; each degradation step tightens it."""

    max_authors: int
    full_papers: int | None = None  # topic papers shown in full, round-robin over sections
    # Papers whose TL;DRs the text part keeps (same order); the others get title and link.
    text_full: int | None = None
    link_text: LinkText = "title"  # how a paper not shown in full is listed

    def describe(self, total: int, *, web: bool = False) -> str:
        if self.full_papers is None or self.full_papers >= total:
            shown = f"all {total} papers in full"
        else:
            rest = "on the web page" if web else f"listed as {self.link_text} links"
            shown = f"{self.full_papers} of {total} papers in full, the rest {rest}"
        text = ""
        if self.text_full == 0:
            text = "; text part: titles and links only"
        elif self.text_full is not None and self.text_full < total:
            text = f"; text part: TL;DRs of the first {self.text_full}, titles and links after"
        author = "author" if self.max_authors == 1 else "authors"
        return f"{shown}, {self.max_authors} {author} each{text}"


@dataclass(frozen=True)
class EmailReport:
    size: int
    html_bytes: int
    plan: EmailPlan
    shown: int  # distinct papers shown in full
    linked: int  # distinct papers only listed as links / behind the section's web link
    fits: bool
    steps: tuple[str, ...] = field(default_factory=tuple)


def _area_heading(section: EditionSection, language: str) -> str | None:
    if section.area_title is None:
        return None
    return _bilingual_text(section.area_title, language)


def _bilingual_text(title: Bilingual, language: str) -> str:
    if language == "bilingual":
        return f"{title.en} · {title.zh}" if title.en != title.zh else str(title.en)
    return str(title.zh if language == "zh" else title.en)


def _heading(section: EditionSection, language: str) -> str:
    return _bilingual_text(section.title, language)


def priority_order(edition: Edition) -> list[tuple[int, int]]:
    """(section index, entry index) of the papers a capped email shows first.

    Round-robin over the topic sections (every topic gets its first papers before any gets
    more), then "seen before". Highlights are always shown whole, so they are not listed.
    """
    order: list[tuple[int, int]] = []
    for kinds in (("topic",), ("seen_before",)):
        sections = [(i, s) for i, s in enumerate(edition.sections) if s.kind in kinds]
        depth = max((len(s.entries) for _, s in sections), default=0)
        for rank in range(depth):
            order.extend((i, rank) for i, s in sections if rank < len(s.entries))
    return order


class Renderer:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.env = cached_environment(config.templates_dir)
        use_bytecode_cache(self.env, config.out_dir / ".cache" / "templates")
        catalogue_path = None
        if config.templates_dir and (config.templates_dir / "i18n" / "strings.yaml").is_file():
            catalogue_path = config.templates_dir / "i18n" / "strings.yaml"
        self.strings = load_catalogue(
            catalogue_path or bundled_dir("templates") / "i18n" / "strings.yaml"
        )
        self._fragments: dict[int, tuple[Edition, FragmentCache]] = {}

    # -- shared context --------------------------------------------------------------------
    def web_url(self, edition: Edition) -> str | None:
        base = self.config.archive.base_url
        return f"{base.rstrip('/')}/{edition.date}/" if base else None

    def newsletter_title(self, language: str) -> str:
        title = self.config.title
        if language == "bilingual":
            return f"{title.en} · {title.zh}"
        return title.zh if language == "zh" else title.en

    def subject(self, edition: Edition) -> str:
        ui = Catalogue(self.strings, edition.language)
        template = self.config.email.subject or ui("subject")
        subject = template.format(
            title=self.newsletter_title(edition.language),
            date=edition.date,
            count=edition.paper_count,
        )
        return " ".join(subject.split())  # never a CR/LF in a header

    def preheader(self, edition: Edition) -> str:
        ui = Catalogue(self.strings, edition.language)
        themes = [_heading(s, edition.language) for s in edition.topic_sections[:4]]
        count = ui("papers_count", count=edition.paper_count)
        return f"{count}: {', '.join(themes)}" if themes else ui("empty_day")

    def _views(self, edition: Edition, full_papers: int | None) -> tuple[SectionView, ...]:
        web_url = self.web_url(edition)
        shown = [len(s.entries) for s in edition.sections]
        if full_papers is not None:
            shown = [len(s.entries) if s.kind == "highlights" else 0 for s in edition.sections]
            for section_index, _ in priority_order(edition)[:full_papers]:
                shown[section_index] += 1
        views = []
        for section, count in zip(edition.sections, shown, strict=True):
            views.append(
                SectionView(
                    id=section.id,
                    kind=section.kind,
                    heading=_heading(section, edition.language),
                    title=section.title,
                    entries=section.entries[:count],
                    hidden=len(section.entries) - count,
                    more_url=f"{web_url}#{section.id}" if web_url else None,
                    anchor=section.id,
                    hidden_entries=section.entries[count:],
                    area_heading=_area_heading(section, edition.language),
                )
            )
        return tuple(views)

    def _context(self, edition: Edition, plan: EmailPlan) -> dict[str, object]:
        language = edition.language
        unsubscribe = self.config.delivery.unsubscribe.url
        return {
            "edition": edition,
            "date": edition.date,
            "language": language,
            "html_lang": HTML_LANG[language],
            "show_en": language in ("bilingual", "en"),
            "show_zh": language in ("bilingual", "zh"),
            "ui": Catalogue(self.strings, language),
            "newsletter_title": self.newsletter_title(language),
            "subject": self.subject(edition),
            "preheader": self.preheader(edition),
            "count": edition.paper_count,
            "intro": edition.intro,
            "sections": self._views(edition, plan.full_papers),
            "max_authors": plan.max_authors,
            "link_text": plan.link_text,
            "web_url": self.web_url(edition),
            # The per-recipient link is put in by delivery; the edition shows the generic one.
            "unsubscribe_url": unsubscribe.replace("{email}", "") if unsubscribe else None,
        }

    # -- email styles --------------------------------------------------------------------------
    @cached_property
    def class_styles(self) -> ClassStyles | None:
        """The stylesheet as class -> declarations, or None when it needs premailer."""
        loader = self.env.loader
        assert loader is not None
        inlined = loader.get_source(self.env, "email/email.css")[0]
        kept = loader.get_source(self.env, "email/_media.css")[0]
        return class_styles(inlined, kept)

    def _inline(self, html: str) -> str:
        styles = self.class_styles
        return inline_classes(html, styles) if styles is not None else html

    def ranks(self, edition: Edition) -> dict[int, int]:
        """Each entry's place in ``priority_order`` (Highlights first), by ``id(entry)``."""
        ranks = {id(e): 0 for s in edition.sections if s.kind == "highlights" for e in s.entries}
        for rank, (section, index) in enumerate(priority_order(edition)):
            ranks[id(edition.sections[section].entries[index])] = rank
        return ranks

    def fragments(self, edition: Edition) -> FragmentCache:
        """The per-paper fragment cache of ``edition`` (kept while the edition is rendered)."""
        cached = self._fragments.get(id(edition))
        if cached is not None and cached[0] is edition:
            return cached[1]
        ui = Catalogue(self.strings, edition.language)
        parts = PaperParts(
            ui=ui,
            show_en=edition.language in ("bilingual", "en"),
            show_zh=edition.language in ("bilingual", "zh"),
        )
        cache = FragmentCache(self.env, parts, self._inline)
        self._fragments = {id(edition): (edition, cache)}  # one edition at a time
        return cache

    # -- the editions --------------------------------------------------------------------------
    def email(self, edition: Edition, plan: EmailPlan) -> RenderedEmail:
        fragments = self.fragments(edition)
        context = self._context(edition, plan)
        # Cached fragments (already inlined) enter the page as placeholders, so the inlining
        # pass over the page only sees the page's own few tags.
        held: list[str] = []
        # A random token per render: no text in the edition (a digest, an LLM reply) can
        # forge a placeholder and pull a fragment into the wrong place.
        token = secrets.token_hex(8)
        placeholder = re.compile(f"\x00{token}:(\\d+)\x00")

        def hold(fragment: str) -> Markup:
            held.append(fragment)
            return Markup(f"\x00{token}:{len(held) - 1}\x00")

        def paper_html(entry: Entry) -> Markup:
            return hold(fragments.html(entry, plan.max_authors))

        def more_html(section: SectionView) -> Markup:
            return hold(fragments.more(section, plan.link_text))

        ranks = self.ranks(edition)

        def paper_text(entry: Entry, number: str, highlighted: bool = False) -> str:
            # Highlights keep their TL;DRs in the text part as in the HTML: the reader asked
            # for these papers.
            brief = (
                not highlighted
                and plan.text_full is not None
                and ranks.get(id(entry), 0) >= plan.text_full
            )
            return fragments.text(entry, number, plan.max_authors, brief)

        context.update(paper_html=paper_html, more_html=more_html, paper_text=paper_text)
        html = render_template(self.env, "email/edition.html.j2", **context)
        if self.class_styles is not None:
            html = inline_classes(html, self.class_styles)
            html = placeholder.sub(lambda match: held[int(match.group(1))], html)
        else:  # a stylesheet only premailer can inline: the slow path, on the whole page
            from newsletter.render.inline import inline_css

            html = inline_css(placeholder.sub(lambda match: held[int(match.group(1))], html))
        text = render_template(self.env, "text/edition.txt.j2", **context)
        return RenderedEmail(
            date=edition.date,
            subject=str(context["subject"]),
            html=html,
            text=text,
            paper_count=edition.paper_count,
            language=edition.language,
            web_url=self.web_url(edition),
        )

    def markdown(self, edition: Edition) -> str:
        context = self._context(edition, EmailPlan(max_authors=10_000))
        return render_template(self.env, "markdown/edition.md.j2", **context)

    def json(self, edition: Edition) -> str:
        return edition_to_json(edition)

    def coverage(self, edition: Edition, plan: EmailPlan) -> tuple[int, int]:
        """(papers shown in full, papers only linked) under ``plan``: together, all papers."""
        views = self._views(edition, plan.full_papers)
        shown = {e.paper.id for v in views for e in v.entries}
        listed = {e.paper.id for v in views for e in v.hidden_entries}
        return len(shown), len(listed - shown)

    def email_within_budget(
        self, edition: Edition, measure: Callable[[RenderedEmail], int]
    ) -> tuple[RenderedEmail, EmailReport]:
        """The fullest email whose encoded message fits ``config.email.max_bytes``."""
        from newsletter.render.budget import fit_email

        return fit_email(self, edition, measure)


__all__ = [
    "EmailPlan",
    "EmailReport",
    "Path",
    "Renderer",
    "SectionView",
    "bundled_dir",
    "priority_order",
]
