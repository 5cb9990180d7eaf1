"""Per-paper pieces of the email, rendered once and reused by every budget candidate.

The budget search renders the email many times with different plans; what changes between
candidates is which papers are shown in full and how, never a paper's own markup. So each
paper's HTML (already inlined) and text are rendered once per (paper, author limit, text mode)
and the edition templates only stitch them together, which makes a candidate cost a few
milliseconds instead of a full render with premailer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import jinja2

from newsletter.mathtext import latex_to_unicode
from newsletter.model import Entry

SHORT_TITLE_CHARS = 36  # link text of a hidden paper at the "short" step


def short_title(title: str, limit: int = SHORT_TITLE_CHARS) -> str:
    """``title`` cut at a word boundary to about ``limit`` characters, with an ellipsis."""
    if len(title) <= limit:
        return title
    cut = title[:limit]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + "…"


def link_label(entry: Entry, link_text: str) -> str:
    """The link text of a paper listed (not shown in full) in the email."""
    if link_text == "id":
        return entry.paper.id
    title = latex_to_unicode(entry.paper.title)
    return short_title(title) if link_text == "short" else title


def link_bytes(entry: Entry, link_text: str) -> int:
    """Approximate bytes a listed paper costs in both parts (HTML link + id in the text)."""
    label = link_label(entry, link_text)
    # <a href="URL">LABEL</a><br> and CRLF
    html = 22 + len(entry.paper.abs_url) + len(label.encode("utf-8"))
    return html + len(entry.paper.id) + 1


@dataclass(frozen=True)
class PaperParts:
    """The shared, plan-independent context the per-paper templates see."""

    ui: object
    show_en: bool
    show_zh: bool


class FragmentCache:
    """Renders and remembers each paper's HTML and text fragments."""

    def __init__(
        self,
        env: jinja2.Environment,
        parts: PaperParts,
        inline: Callable[[str], str],
    ) -> None:
        self._html_template = env.get_template("email/_paper.html.j2")
        self._text_template = env.get_template("text/_paper.txt.j2")
        self._more_template = env.get_template("email/_more.html.j2")
        self._parts = parts
        self._inline = inline
        self._html: dict[tuple[int, int], str] = {}
        self._text: dict[tuple[int, str, int, bool], str] = {}
        self._more: dict[tuple[str, int, str, str | None], str] = {}

    def _shared(self, max_authors: int) -> dict[str, object]:
        return {
            "ui": self._parts.ui,
            "show_en": self._parts.show_en,
            "show_zh": self._parts.show_zh,
            "max_authors": max_authors,
        }

    def html(self, entry: Entry, max_authors: int) -> str:
        key = (id(entry), max_authors)
        fragment = self._html.get(key)
        if fragment is None:
            rendered = self._html_template.render(entry=entry, **self._shared(max_authors))
            fragment = self._inline(rendered.strip("\n"))
            self._html[key] = fragment
        return fragment

    def text(self, entry: Entry, number: str, max_authors: int, brief: bool) -> str:
        key = (id(entry), number, max_authors, brief)
        fragment = self._text.get(key)
        if fragment is None:
            rendered = self._text_template.render(
                entry=entry, number=number, brief=brief, **self._shared(max_authors)
            )
            fragment = re.sub(r"\n+$", "", rendered)
            self._text[key] = fragment
        return fragment

    def more(self, section: object, link_text: str) -> str:
        """A section's list of the papers not shown in full (or its link to the web page)."""
        key = (
            section.id,  # type: ignore[attr-defined]
            section.hidden,  # type: ignore[attr-defined]
            link_text,
            section.more_url,  # type: ignore[attr-defined]
        )
        fragment = self._more.get(key)
        if fragment is None:
            rendered = self._more_template.render(
                section=section,
                ui=self._parts.ui,
                link_text=link_text,
                link_label=lambda entry: link_label(entry, link_text),
            )
            fragment = self._inline(rendered.strip("\n"))
            self._more[key] = fragment
        return fragment
