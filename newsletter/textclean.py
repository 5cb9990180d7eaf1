"""Characters that mean nothing in a paper's text and break outputs downstream.

NUL, ESC and the other C0 controls (and the non-characters U+FFFE/U+FFFF) cannot be written to
XML at all (the Atom feed), and a NUL could collide with the renderer's internal markers. Text
from digests and from LLM replies is cleaned with this before it enters the data model.
"""

from __future__ import annotations

import re

CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def strip_control_characters(text: str) -> str:
    return CONTROL_CHARACTERS.sub("", text)
