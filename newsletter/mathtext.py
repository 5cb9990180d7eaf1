"""LaTeX in titles, summaries and abstracts, turned into readable Unicode for email and text.

Only math segments (``$...$``, ``$$...$$``, ``\\(...\\)``) and bare LaTeX commands such as
``\\mathcal{O}(n)`` are converted, with pylatexenc; the rest of the text is left alone (a plain
``%`` or ``_`` in prose is not LaTeX). Superscripts and subscripts become Unicode where every
character has a Unicode form (``n^2`` -> ``n²``, ``x_i`` -> ``xᵢ``), and stay as ``^{...}``
otherwise. When a segment cannot be converted, the original is kept.
"""

from __future__ import annotations

import re
from functools import lru_cache

_SUPERSCRIPTS = str.maketrans(
    "0123456789+-=()nixabcdefghjklmoprstuvwyzABDEGHIJKLMNOPRTUVW",
    "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱˣᵃᵇᶜᵈᵉᶠᵍʰʲᵏˡᵐᵒᵖʳˢᵗᵘᵛʷʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂ",
)
_SUPERSCRIPT_CHARS = set("0123456789+-=()nixabcdefghjklmoprstuvwyzABDEGHIJKLMNOPRTUVW")
_SUBSCRIPTS = str.maketrans("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
_SUBSCRIPT_CHARS = set("0123456789+-=()aehijklmnoprstuvx")

_MATH = re.compile(r"\$\$(.+?)\$\$|\$([^$\n]{1,300}?)\$|\\\((.+?)\\\)", re.DOTALL)
# A bare command with up to two brace groups, e.g. \mathcal{O}, \frac{a}{b}, \alpha.
_BARE_COMMAND = re.compile(r"\\[A-Za-z]+(?:\{[^{}]{0,80}\}){0,2}")
_SCRIPT = re.compile(r"([\^_])(\{([^{}]{1,20})\}|([A-Za-z0-9+\-=()]))")


def _scripts_to_unicode(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        marker = match.group(1)
        body = match.group(3) if match.group(3) is not None else match.group(4)
        allowed, table = (
            (_SUPERSCRIPT_CHARS, _SUPERSCRIPTS) if marker == "^" else (_SUBSCRIPT_CHARS, _SUBSCRIPTS)
        )
        if body and all(ch in allowed for ch in body):
            return body.translate(table)
        return match.group(0)

    return _SCRIPT.sub(replace, text)


@lru_cache(maxsize=1)
def _converter():  # pylatexenc builds large tables on first use; do it once, lazily
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="text", strict_latex_spaces=False)


@lru_cache(maxsize=4096)
def _convert_math(latex: str) -> str | None:
    # Scripts first, so pylatexenc does not drop the braces that delimit them.
    prepared = _scripts_to_unicode(latex)
    try:
        converted = _converter().latex_to_text(prepared)
    except Exception:  # pylatexenc raises a variety of parse errors; keep the original then
        return None
    converted = re.sub(r"[ \t]+", " ", converted).strip()
    if not converted or "\\" in converted:
        return None
    return converted


def latex_to_unicode(text: str | None) -> str:
    """Convert LaTeX math in ``text`` to Unicode; leave everything else untouched."""
    if not text:
        return text or ""
    if "$" not in text and "\\" not in text:
        return text

    def math(match: re.Match[str]) -> str:
        body = next(group for group in match.groups() if group is not None)
        converted = _convert_math(body)
        return converted if converted is not None else match.group(0)

    result = _MATH.sub(math, text)
    if "\\" in result:
        result = _BARE_COMMAND.sub(lambda m: _convert_math(m.group(0)) or m.group(0), result)
    return result
