"""Failure placeholders that digests print where an AI summary should be.

A placeholder is not a summary: the field is treated as missing (None), so later stages can
fall back to the abstract or ask the LLM instead of publishing "Summary generation failed".
"""

from __future__ import annotations

FAILURE_PLACEHOLDERS = frozenset(
    text.casefold()
    for text in (
        "Summary generation failed",
        "Motivation analysis unavailable",
        "Method extraction failed",
        "Result analysis unavailable",
        "Conclusion extraction failed",
        "Processing failed",
        "错误：AI分析失败。",
        "错误:AI分析失败。",
        "AI分析失败",
        "N/A",
        "NA",
        "None",
        "null",
        "-",
        "This content has not passed the compliance test and has been hidden.",
    )
)

# Trailing punctuation the generators sometimes add or drop ("Processing failed.").
_TRAILING = " \t\r\n.。!！"
_FOLDED_PLACEHOLDERS = frozenset(p.rstrip(_TRAILING) for p in FAILURE_PLACEHOLDERS)


def is_placeholder(text: str) -> bool:
    """True when ``text`` is empty or one of the known failure placeholders."""
    stripped = text.strip()
    if not stripped:
        return True
    return stripped.casefold().rstrip(_TRAILING) in _FOLDED_PLACEHOLDERS


def clean_field(value: object) -> str | None:
    """A digest field as text, or None when it is absent, empty or a failure placeholder."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    text = text.strip()
    return None if is_placeholder(text) else text
