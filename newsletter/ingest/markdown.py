"""Reader for the rendered Markdown digests (``data/YYYY-MM-DD.md``) of every known variant.

A file is cut into papers at its paper headings (``### [N] [Title](https://arxiv.org/abs/...)``
or, in old files, ``### [Title](...)``); every other line belongs to the paper above it. Inside
a paper, labelled fields (``TL;DR:``, ``**Keywords:**``, ``> **摘要翻译:**`` ...) run until the
next label. The meaning of each label is decided in ``labels.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from newsletter.errors import DigestError
from newsletter.model import Digest, Paper, canonical_arxiv_id

from .labels import FieldValues, paper_from_fields
from .papers import merge_duplicates
from .text import split_lines, split_names, version_in

_LINK = re.compile(r"\]\((https?://[^)\s]+)\)")
_INDEX = re.compile(r"\[(\d+)\]\s+(?=\[)")
# Lines that only lay out the page: section headings, anchors, rules, back-links.
_LAYOUT = re.compile(
    r"^(?:#{1,3}(?:\s.*)?|<div id=.*|<a id=.*|-{3,}|\*{3,}"
    r"|\[[^\]]*\]\(#[^)]*\)(?:\s*\|\s*\[[^\]]*\]\(#[^)]*\))*)\s*$"
)
_TITLE_TRANSLATION = re.compile(r"^>\s*\*(?!\*)(.+?)\*\s*$")
_AUTHORS = re.compile(r"^\*(?!\*)(.+?)\*(?!\*)\s*(?:\|(.*))?$")
_INLINE_BOLD_LABEL = re.compile(r"\*\*([^*:]+):\s*([^*]*)\*\*")
_BOLD_LABEL = re.compile(r"^(?:>\s*)?\*\*(?P<label>[^*]{1,40}?)(?::\*\*|\*\*\s*:)\s?(?P<rest>.*)$")
_BOLD_VALUE_LABEL = re.compile(r"^\*\*(?P<label>[^*:]{1,40}):\s*(?P<rest>[^*]+)\*\*\s*$")
_PLAIN_LABEL = re.compile(r"^([A-Z][A-Za-z0-9;_/&() -]{0,38}|[\u4e00-\u9fff]{2,8})[:：]\s?(.*)$")
_BOLD_STYLE = re.compile(
    r"^(?:>\s*)?\*\*(?:TL;DR|TLDR|Motivation|Method|Abstract)\s*:\*\*", re.MULTILINE
)
_TOC_ENTRY = re.compile(
    r"^\s*[-*]\s*\[([^\]]+)\]\(#[^)]*\)\s*(?:\[Total:\s*(\d+)\]|\(\s*(\d+)\s*篇\s*\))"
)
_DIGEST_MARKERS = re.compile(
    r"Table of Contents|目录|今日没有找到新论文|AI-Enhanced arXiv Daily|\[Total:\s*\d+\]|<div id=toc>"
)
_DATE_HEADING = re.compile(r"^#\s.*?(\d{4}-\d{2}-\d{2})")
# Plain labels that may follow an abstract (all others are text of the abstract itself).
_AFTER_ABSTRACT = frozenset({"abstract translation", "摘要翻译", "key figures"})
# Plain labels recognised everywhere, even if they do not look like an unknown label.
_KNOWN_PLAIN = frozenset(
    {"tl;dr", "tldr", "task", "motivation", "method", "result", "conclusion", "abstract"}
    | {"main category", "keywords", "comment", "comments"}
    | _AFTER_ABSTRACT
)
_NOT_A_DIGEST = (
    "not an arXiv digest: expected '### [N] [Title](https://arxiv.org/abs/...)' paper headings"
)


@dataclass
class _Heading:
    line: int
    paper_id: str
    title: str
    url: str


@dataclass
class _Block:
    """One paper's lines while they are being read."""

    heading: _Heading
    authors: tuple[str, ...] | None = None
    fields: FieldValues = field(default_factory=FieldValues)
    details_open: bool = False
    details_closed: bool = False
    stray_line: int | None = None


def _parse_heading(line: str, number: int, source: str) -> _Heading | None:
    """A paper heading, None for other ``###`` lines; a non-arXiv paper link is an error."""
    if not line.startswith("### ["):
        return None
    rest = line[4:].strip()
    index = _INDEX.match(rest)
    if index:
        rest = rest[index.end() :]
    links = list(_LINK.finditer(rest))
    if not links:
        return None
    # Titles may hold brackets ("$C[0, 1]$", "[Benchmark]"): the link is the last one.
    last = links[-1]
    url = last.group(1)
    paper_id = canonical_arxiv_id(url)
    if paper_id is None:
        raise DigestError(
            source,
            f"paper heading links to {url!r}; expected an arXiv link (https://arxiv.org/abs/<id>)",
            line=number,
        )
    return _Heading(number, paper_id, rest[1 : last.start()].strip(), url)


def _label_of(stripped: str, bold_style: bool, in_abstract: bool) -> tuple[str, str] | None:
    """(label, rest of line) when the line starts a labelled field."""
    if bold_style:
        match = _BOLD_LABEL.match(stripped) or _BOLD_VALUE_LABEL.match(stripped)
        if match is None:
            return None
        return match.group("label").strip(), match.group("rest")
    match = _PLAIN_LABEL.match(stripped)
    if match is None:
        return None
    label = match.group(1).strip()
    key = label.casefold()
    if in_abstract and key not in _AFTER_ABSTRACT:
        return None
    if key in _KNOWN_PLAIN or (len(label.split()) <= 3 and not in_abstract):
        return label, match.group(2)
    return None


def _read_block(block: _Block, lines: list[str], start: int, bold_style: bool) -> None:
    """Fill ``block`` from ``lines``: the lines after its heading up to the next paper heading,
    the first of them being line ``start`` of the file."""
    values = block.fields
    for offset, raw in enumerate(lines):
        number = start + offset
        stripped = raw.strip()
        if not stripped:
            values.add_blank()
            continue
        if stripped.startswith(("<details", "<summary", "</details")):
            _read_details_tag(block, stripped)
            continue
        if _LAYOUT.match(raw):  # layout starts at column 0; indented text is content
            continue
        if block.authors is None and not values.any_label:
            if block.fields.title_translation is None:
                match = _TITLE_TRANSLATION.match(stripped)
                if match:
                    values.title_translation = match.group(1).strip()
                    continue
            match = _AUTHORS.match(stripped)
            if match:
                block.authors = split_names(match.group(1))
                for label, value in _INLINE_BOLD_LABEL.findall(match.group(2) or ""):
                    values.start(label.strip(), value)
                values.stop()
                continue
        label = _label_of(stripped, bold_style, values.in_abstract)
        if label is not None:
            values.start(label[0], label[1])
        elif values.current is not None:
            values.add_line(raw[1:].lstrip() if stripped.startswith(">") else raw)
        elif block.stray_line is None:
            block.stray_line = number


def _read_details_tag(block: _Block, stripped: str) -> None:
    if stripped.startswith("</details"):
        block.details_closed = True
        block.fields.stop()
        return
    if stripped.startswith("<details"):
        block.details_open = True
    summary = re.search(r"<summary>(.*?)</summary>\s*(.*)$", stripped)
    if summary and summary.group(1).strip().casefold() not in ("", "details"):
        # Pre-AI digests: <details><summary>Abstract</summary> then the raw abstract.
        block.fields.start(summary.group(1).strip(), summary.group(2))


def _declared_totals(lines: list[str]) -> tuple[tuple[str, int], ...]:
    totals: dict[str, int] = {}
    for line in lines:
        match = _TOC_ENTRY.match(line)
        if match:
            totals[match.group(1).strip()] = int(match.group(2) or match.group(3))
    return tuple(totals.items())


def _format_name(bold_style: bool, labels: set[str]) -> str:
    if bold_style:
        zl_labels = {"relevance score", "key contributions", "read time", "limitations"}
        return "markdown:zl-asica" if labels & zl_labels else "markdown:bold-label"
    if "task" in labels:
        return "markdown:task"
    if labels & {"tl;dr", "tldr", "motivation"}:
        return "markdown:current"
    return "markdown:pre-ai"


def _date_from_headings(lines: list[str]) -> str:
    for line in lines[:20]:
        match = _DATE_HEADING.match(line)
        if match:
            return match.group(1)
    return ""


def read_markdown(text: str, source: str, date: str | None = None) -> Digest:
    """Read one Markdown digest; see the module docstring for the layout it expects."""
    lines = split_lines(text)
    headings: list[_Heading] = []
    warnings: list[str] = []
    for number, line in enumerate(lines, start=1):
        if line.startswith("### ["):
            heading = _parse_heading(line.rstrip(), number, source)
            if heading is not None:
                headings.append(heading)
            else:
                # Most likely a heading cut short: say so rather than drop it unnoticed.
                warnings.append(f"{source}:{number}: '###' heading without a link; ignored")
    date = date or _date_from_headings(lines)
    first_paper_line = headings[0].line if headings else len(lines) + 1
    totals = _declared_totals(lines[: first_paper_line - 1])
    if not headings:
        if text.strip() and not _DIGEST_MARKERS.search(text):
            raise DigestError(source, _NOT_A_DIGEST, line=1)
        if not text.strip():
            warnings.append(f"{source}:1: the file is empty; read as a day with no papers")
        return Digest(date, source, "markdown:empty", (), totals, tuple(warnings))

    bold_style = _BOLD_STYLE.search(text) is not None
    papers: list[Paper] = []
    labels_seen: set[str] = set()
    for position, heading in enumerate(headings):
        end = headings[position + 1].line - 1 if position + 1 < len(headings) else len(lines)
        block = _Block(heading)
        _read_block(block, lines[heading.line : end], heading.line + 1, bold_style)
        block.fields.stop()
        labels_seen |= block.fields.label_keys
        warnings.extend(_block_warnings(block, source, is_last=position == len(headings) - 1))
        paper = paper_from_fields(
            block.fields,
            paper_id=heading.paper_id,
            title=heading.title,
            authors=block.authors or (),
            abs_url=heading.url if "/abs/" in heading.url else "",
            version=version_in(heading.url),
            source_line=heading.line,
        )
        papers.append(paper)
    return Digest(
        date=date,
        source=source,
        format=_format_name(bold_style, labels_seen),
        papers=merge_duplicates(papers),
        declared_totals=totals,
        warnings=tuple(warnings),
    )


def _block_warnings(block: _Block, source: str, is_last: bool) -> list[str]:
    heading = block.heading
    where = f"{source}:{heading.line}"
    warnings = []
    if block.authors is None:
        warnings.append(
            f"{where}: paper {heading.paper_id} has no author line (file cut short?); "
            "kept with what it has"
        )
    if block.details_open and not block.details_closed and is_last:
        warnings.append(
            f"{where}: paper {heading.paper_id} ends before </details> (file cut short?); "
            "kept what was read"
        )
    if block.stray_line is not None:
        warnings.append(
            f"{source}:{block.stray_line}: text outside any labelled field in paper "
            f"{heading.paper_id}; ignored"
        )
    return warnings
