"""Render an ``Edition`` into the email (HTML + text), the Markdown and the JSON editions.

The email has a size budget (Gmail clips messages over ~102 KB): ``render_email`` takes a
``measure`` callback that returns the encoded size of the message a rendered email would
become, and degrades in steps a reader accepts (shorter author lists, then fewer papers per
section with "N more on the web" links, Highlights kept whole) until it fits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from newsletter.config import Config
from newsletter.edition_json import edition_to_json
from newsletter.model import Edition, EditionSection, Entry, RenderedEmail
from newsletter.render.environment import (
    Catalogue,
    bundled_dir,
    cached_environment,
    load_catalogue,
    render_template,
)

log = logging.getLogger(__name__)

HTML_LANG = {"bilingual": "en", "zh": "zh-CN", "en": "en"}
# Papers shown per topic section as the budget tightens (None = all).
SECTION_CAPS: tuple[int | None, ...] = (None, 25, 15, 10, 7, 5, 3, 2, 1, 0)


@dataclass(frozen=True)
class SectionView:
    """A section as a template shows it: maybe only its first papers, with a link to the rest."""

    id: str
    kind: str
    heading: str
    title: object
    entries: tuple[Entry, ...]
    hidden: int = 0
    more_url: str | None = None
    anchor: str = ""


@dataclass(frozen=True)
class EmailPlan:
    """How much of the edition the email shows; each degradation step tightens it."""

    max_authors: int
    section_cap: int | None = None

    def describe(self) -> str:
        cap = "all papers" if self.section_cap is None else f"{self.section_cap} papers per section"
        return f"{cap}, {self.max_authors} authors each"


@dataclass(frozen=True)
class EmailReport:
    size: int
    html_bytes: int
    plan: EmailPlan
    shown: int
    linked: int
    fits: bool
    steps: tuple[str, ...] = field(default_factory=tuple)


def _heading(section: EditionSection, language: str) -> str:
    title = section.title
    if language == "bilingual":
        return f"{title.en} · {title.zh}" if title.en != title.zh else str(title.en)
    return str(title.zh if language == "zh" else title.en)


class Renderer:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.env = cached_environment(config.templates_dir)
        catalogue_path = None
        if config.templates_dir and (config.templates_dir / "i18n" / "strings.yaml").is_file():
            catalogue_path = config.templates_dir / "i18n" / "strings.yaml"
        self.strings = load_catalogue(
            catalogue_path or bundled_dir("templates") / "i18n" / "strings.yaml"
        )

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
            title=self.newsletter_title(edition.language), date=edition.date, count=edition.paper_count
        )
        return " ".join(subject.split())  # never a CR/LF in a header

    def preheader(self, edition: Edition) -> str:
        ui = Catalogue(self.strings, edition.language)
        themes = [_heading(s, edition.language) for s in edition.topic_sections[:4]]
        count = ui("papers_count", count=edition.paper_count)
        return f"{count}: {', '.join(themes)}" if themes else ui("empty_day")

    def _views(self, edition: Edition, cap: int | None) -> tuple[SectionView, ...]:
        web_url = self.web_url(edition)
        views = []
        for section in edition.sections:
            entries = section.entries
            hidden = 0
            if cap is not None and section.kind != "highlights" and len(entries) > cap:
                entries, hidden = entries[:cap], len(entries) - cap
            views.append(
                SectionView(
                    id=section.id,
                    kind=section.kind,
                    heading=_heading(section, edition.language),
                    title=section.title,
                    entries=entries,
                    hidden=hidden,
                    more_url=f"{web_url}#{section.id}" if web_url else None,
                    anchor=section.id,
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
            "sections": self._views(edition, plan.section_cap),
            "max_authors": plan.max_authors,
            "web_url": self.web_url(edition),
            # The per-recipient link is put in by delivery; the edition shows the generic one.
            "unsubscribe_url": unsubscribe.replace("{email}", "") if unsubscribe else None,
        }

    # -- the editions --------------------------------------------------------------------------
    def email(self, edition: Edition, plan: EmailPlan) -> RenderedEmail:
        from newsletter.render.inline import inline_css

        context = self._context(edition, plan)
        html = inline_css(render_template(self.env, "email/edition.html.j2", **context))
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

    def email_within_budget(
        self, edition: Edition, measure: Callable[[RenderedEmail], int]
    ) -> tuple[RenderedEmail, EmailReport]:
        """The fullest email whose encoded message fits ``config.email.max_bytes``."""
        budget = self.config.email.max_bytes
        full_authors = self.config.email.max_authors
        plans = [EmailPlan(full_authors)]
        plans += [EmailPlan(min(full_authors, 3), cap) for cap in SECTION_CAPS]
        steps: list[str] = []
        rendered = report = None
        for plan in _dedupe(plans):
            rendered = self.email(edition, plan)
            size = measure(rendered)
            shown = sum(
                len(v.entries) for v in self._views(edition, plan.section_cap) if v.kind != "highlights"
            )
            hidden = sum(v.hidden for v in self._views(edition, plan.section_cap))
            report = EmailReport(
                size=size,
                html_bytes=len(rendered.html.encode("utf-8")),
                plan=plan,
                shown=shown,
                linked=hidden,
                fits=size <= budget,
                steps=tuple(steps),
            )
            if size <= budget:
                break
            steps.append(f"{plan.describe()}: {size} bytes > {budget}")
        assert rendered is not None and report is not None
        if not report.fits:
            log.warning("email is %d bytes even at its most compact (budget %d)", report.size, budget)
        return rendered, replace(report, steps=tuple(steps))


def _dedupe(plans: list[EmailPlan]) -> list[EmailPlan]:
    seen: list[EmailPlan] = []
    for plan in plans:
        if plan not in seen:
            seen.append(plan)
    return seen


__all__ = ["EmailPlan", "EmailReport", "Renderer", "SectionView", "bundled_dir", "Path"]
