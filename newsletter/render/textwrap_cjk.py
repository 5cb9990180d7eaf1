"""Wrapping for the plain-text edition that knows CJK characters take two columns.

``textwrap`` counts characters and only breaks at spaces, so a Chinese sentence (no spaces)
would run off the screen. Here a line may break between any two CJK characters, and widths
are display columns (East Asian Wide/Fullwidth = 2).
"""

from __future__ import annotations

import re
import unicodedata

# A token is a run of non-space, non-CJK characters, a single CJK character, or whitespace.
_TOKEN = re.compile(
    r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\u3000-\u303f]|[^\s\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+|\s+"
)
# Closing punctuation must not start a line (kinsoku): keep it with the previous character.
_NO_LINE_START = set("，。、；：？！）》」』】〕…,.;:?!)%")


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap(text: str, width: int = 72, initial_indent: str = "", subsequent_indent: str = "") -> str:
    """Wrap each paragraph of ``text`` to ``width`` columns; paragraphs stay separated."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    out: list[str] = []
    for index, paragraph in enumerate(paragraphs):
        out.append(
            _wrap_paragraph(
                paragraph,
                width,
                initial_indent if index == 0 else subsequent_indent,
                subsequent_indent,
            )
        )
    return ("\n" + subsequent_indent.rstrip() + "\n").join(out)


def _wrap_paragraph(paragraph: str, width: int, first: str, rest: str) -> str:
    lines: list[str] = []
    line = first
    line_width = display_width(first)
    has_content = False
    for token in _TOKEN.findall(re.sub(r"\s+", " ", paragraph.strip())):
        if token.isspace():
            if has_content:
                line += " "
                line_width += 1
            continue
        token_width = display_width(token)
        fits = line_width + token_width <= width
        if not fits and has_content and token not in _NO_LINE_START:
            lines.append(line.rstrip())
            line = rest
            line_width = display_width(rest)
            has_content = False
        line += token
        line_width += token_width
        has_content = True
    if has_content or not lines:
        lines.append(line.rstrip())
    return "\n".join(lines)
