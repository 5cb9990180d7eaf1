"""Digest text that carries Markdown (numbered "Key Contributions", **bold**, `code`), shown as
rich text on the web pages, sanitised.

Most summaries are plain prose: they are escaped and returned as they are, which is also the
fast path (the archive renders thousands of fields). Text with Markdown markers goes through
Python-Markdown with raw HTML disabled (every ``<`` and ``&`` is escaped first, so ``<think>``
or ``<script>`` in a summary stays text), then through nh3, an allow-list sanitiser, which keeps
only a few formatting tags and web links.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markupsafe import Markup, escape

from newsletter.mathtext import latex_to_unicode

_MARKDOWN_HINT = re.compile(r"(?:^|\n)[ \t]*(?:\d+[.)]|[-*+])[ \t]|\*\*|__|`|\]\(")
_ALLOWED_TAGS = {"p", "ol", "ul", "li", "em", "strong", "code", "br", "a"}
_ALLOWED_ATTRIBUTES = {"a": {"href"}}
_URL_SCHEMES = {"http", "https", "mailto"}


@lru_cache(maxsize=1)
def _converter():
    import markdown

    return markdown.Markdown(output_format="html")


def rich_text(text: str | None) -> Markup:
    """``text`` (LaTeX made Unicode) as safe HTML: escaped prose, or sanitised Markdown."""
    if not text:
        return Markup("")
    text = latex_to_unicode(text)
    if not _MARKDOWN_HINT.search(text):
        return escape(text)
    import nh3

    converter = _converter()
    converter.reset()
    prepared = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    html = converter.convert(prepared)
    return Markup(
        nh3.clean(
            html,
            tags=_ALLOWED_TAGS,
            attributes=_ALLOWED_ATTRIBUTES,
            url_schemes=_URL_SCHEMES,
            link_rel="noopener noreferrer nofollow",
        )
    )
