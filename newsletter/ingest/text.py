"""Text helpers shared by the readers: decoding, unwrapping, splitting, language detection."""

from __future__ import annotations

import re
from collections.abc import Iterable

from newsletter.errors import DigestError
from newsletter.model import Language

_VERSION_IN_ID = re.compile(r"(?:\d{4}\.\d{4,5}|/\d{7})v(\d+)\b")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SPACES = re.compile(r"\s+")
_LIST_SPLIT = re.compile(r"\s*[,，;；、]\s*")
# A CJK share above this marks Chinese: Chinese summaries keep Latin terms ("3DGS", "LLM"),
# English ones almost never hold CJK.
_CJK_SHARE_FOR_ZH = 0.2
_LANGUAGE_SAMPLE = 200


def decode_digest_bytes(data: bytes, source: str) -> str:
    """Decode strictly as UTF-8 (a leading BOM is dropped); name the line of a bad byte."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        bad = data[error.start : error.start + 1].hex()
        raise DigestError(
            source,
            f"not valid UTF-8 (byte 0x{bad}); expected a UTF-8 digest",
            line=line,
        ) from None
    return text.removeprefix("\ufeff")


def split_lines(text: str) -> list[str]:
    """Lines without their endings (``\\r\\n`` and ``\\n`` alike)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def collapse_whitespace(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def unwrap_abstract(text: str) -> str:
    """Undo arXiv's hard wrapping: paragraphs joined by one space, separated by ``\\n\\n``.

    arXiv's convention (kept by the crawl and by the Markdown digests) is that a line starting
    with whitespace begins a new paragraph, and any other newline is only a wrap. Blank lines
    also separate paragraphs.
    """
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for raw in split_lines(text):
        line = raw.strip()
        if not line:
            if current:
                paragraphs.append(current)
                current = []
            continue
        if current and raw[:1].isspace():
            paragraphs.append(current)
            current = []
        current.append(line)
    if current:
        paragraphs.append(current)
    return "\n\n".join(" ".join(words) for words in paragraphs)


def join_field_lines(lines: Iterable[str]) -> str:
    """A multi-line field as text: lines kept, runs of blank lines become one paragraph break."""
    out: list[str] = []
    blank = False
    for raw in lines:
        line = raw.strip()
        if not line:
            blank = bool(out)
            continue
        if blank:
            out.append("")
            blank = False
        out.append(line)
    return "\n".join(out)


def split_names(text: str) -> tuple[str, ...]:
    """``"A,B"`` or ``"A, B"`` -> ``("A", "B")``."""
    return tuple(name for name in (part.strip() for part in text.split(",")) if name)


def split_keywords(value: object) -> tuple[str, ...]:
    """Keywords given as ``"a, b"`` (also with Chinese commas) or as a list."""
    if value is None:
        return ()
    items = value if isinstance(value, list | tuple) else _LIST_SPLIT.split(str(value))
    return unique(str(item).strip() for item in items if str(item).strip())


def unique(items: Iterable[str]) -> tuple[str, ...]:
    """Items in first-seen order, without repeats."""
    return tuple(dict.fromkeys(item for item in items if item))


def version_in(*texts: object) -> int | None:
    """The highest ``vN`` suffix on an arXiv id or URL among ``texts``."""
    versions = [
        int(match.group(1))
        for text in texts
        if isinstance(text, str)
        for match in _VERSION_IN_ID.finditer(text)
    ]
    return max(versions) if versions else None


def detect_language(texts: Iterable[str | None]) -> Language | None:
    """ "zh" when CJK characters make up a real share of the text, "en" otherwise."""
    # A sample decides it: whole summaries would only cost time on 500-paper days.
    sample = "".join(text for text in texts if text)[:_LANGUAGE_SAMPLE]
    visible = len(sample) - sample.count(" ")
    if not visible:
        return None
    return "zh" if len(_CJK.findall(sample)) / visible > _CJK_SHARE_FOR_ZH else "en"


def https_arxiv(url: str | None) -> str | None:
    """arxiv.org links as https (some forks store ``http://arxiv.org/abs/...``)."""
    if not url:
        return None
    url = url.strip()
    return "https://" + url[len("http://") :] if url.startswith("http://arxiv.org/") else url
