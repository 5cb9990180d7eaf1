"""Links built from digest or LLM text: only web links go out.

A digest is data from someone else's repository; a ``javascript:`` or ``data:`` URL in it must
never become a live link in an email, a Markdown edition or a web page.
"""

from __future__ import annotations

import re

_SAFE_URL = re.compile(r"^(?:https?://|mailto:|[^:/?#]*(?:[/?#]|$))", re.IGNORECASE)


def safe_url(value: str | None) -> str:
    """``value`` when it is an http(s), mailto or relative URL, else '#'."""
    if not value:
        return "#"
    value = value.strip()
    return value if _SAFE_URL.match(value) else "#"


def markdown_url(value: str | None) -> str:
    """``safe_url`` for a Markdown link target: characters that end or break it are encoded."""
    url = safe_url(value)
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")
