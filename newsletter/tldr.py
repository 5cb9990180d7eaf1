"""The offline English TL;DR: the first sentence or two of the abstract, cut at a boundary.

Sentence splitting has to survive abbreviations ("e.g.", "et al.", "Fig. 3"), decimals
("92.5%") and LaTeX, so a boundary is a '.', '!' or '?' followed by whitespace and an
upper-case letter, digit or opening quote, and not preceded by a known abbreviation.
"""

from __future__ import annotations

import re

_ABBREVIATIONS = {
    "e.g", "i.e", "et al", "etc", "vs", "fig", "figs", "eq", "eqs", "sec", "no", "approx",
    "resp", "cf", "al", "dr", "mr", "ms", "prof", "st", "ref", "refs", "tab", "viz",
}
_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[A-Z0-9\"'(\[$\\])")

MIN_CHARS = 80  # one short sentence ("We study X.") says too little: take a second one
MAX_CHARS = 320


def split_sentences(text: str) -> list[str]:
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        return []
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        candidate = text[start : match.start()].rstrip()
        last_word = re.split(r"\s", candidate)[-1].rstrip(".!?").lower() if candidate else ""
        if last_word in _ABBREVIATIONS or re.fullmatch(r"[a-z]", last_word):
            continue
        sentences.append(text[start : match.end()].strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


# Abstracts often open with background; the sentence that says what the paper does is the
# better TL;DR, when it comes early.
_CONTRIBUTION = re.compile(
    r"\b(we|this (?:paper|work|study|article)|here)\b[^.]{0,80}?\b(propose|introduce|present|"
    r"develop|design|show|demonstrate|study|investigate|build|release|construct|formulate)",
    re.IGNORECASE,
)
_LOOKAHEAD_SENTENCES = 4


def offline_tldr(abstract: str, *, min_chars: int = MIN_CHARS, max_chars: int = MAX_CHARS) -> str | None:
    """The abstract's contribution sentence (or its first sentences); None without abstract."""
    sentences = split_sentences(abstract)
    if not sentences:
        return None
    start = next(
        (i for i, s in enumerate(sentences[:_LOOKAHEAD_SENTENCES]) if _CONTRIBUTION.search(s)), 0
    )
    summary = sentences[start]
    for sentence in sentences[start + 1 :]:
        if len(summary) >= min_chars or len(summary) + 1 + len(sentence) > max_chars:
            break
        summary = f"{summary} {sentence}"
    if len(summary) > max_chars:
        cut = summary[:max_chars].rsplit(" ", 1)[0].rstrip(",;:")
        summary = f"{cut}…"
    return summary
