"""What each Markdown field label means, and how one paper's labelled fields become a ``Paper``.

Labels are matched case-insensitively. Anything not listed here is kept, in digest order, in
``Paper.extra`` under the label as written (``AI_Comments``, ``Relevance Score``, ...), so a new
fork's extra fields reach the renderer instead of being dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from newsletter.model import Paper, Summary

from .placeholders import clean_field
from .text import collapse_whitespace, join_field_lines, split_keywords, unwrap_abstract

SUMMARY_LABELS = {
    "tl;dr": "tldr",
    "tldr": "tldr",
    "task": "tldr",  # the 2025-03 template's one-line summary
    "motivation": "motivation",
    "method": "method",
    "result": "result",
    "conclusion": "conclusion",
}
ABSTRACT_LABELS = frozenset({"abstract"})
ABSTRACT_TRANSLATION_LABELS = frozenset({"摘要翻译", "abstract translation"})
TITLE_TRANSLATION_LABELS = frozenset({"标题翻译", "title translation"})
PRIMARY_CATEGORY_LABELS = frozenset({"main category", "primary category"})
CATEGORY_LABELS = frozenset({"category", "categories"})
KEYWORD_LABELS = frozenset({"keywords", "关键词"})
COMMENT_LABELS = frozenset({"comment", "comments"})
CODE_LABELS = frozenset({"code", "code url", "code_url"})


@dataclass
class FieldValues:
    """The labelled fields of one paper, in order, as raw lines (filled by the reader)."""

    items: list[tuple[str, list[str]]] = field(default_factory=list)
    title_translation: str | None = None
    current: list[str] | None = None
    current_key: str | None = None

    def start(self, label: str, first_line: str) -> None:
        self.current = [first_line]
        self.current_key = label.casefold()
        self.items.append((label, self.current))

    def add_line(self, raw: str) -> None:
        if self.current is not None:
            self.current.append(raw)

    def add_blank(self) -> None:
        if self.current is not None:
            self.current.append("")

    def stop(self) -> None:
        self.current = None
        self.current_key = None

    @property
    def in_abstract(self) -> bool:
        return self.current_key in ABSTRACT_LABELS

    @property
    def any_label(self) -> bool:
        return bool(self.items)

    @property
    def label_keys(self) -> set[str]:
        return {label.casefold() for label, _ in self.items}


def paper_from_fields(
    values: FieldValues,
    *,
    paper_id: str,
    title: str,
    authors: tuple[str, ...],
    abs_url: str,
    version: int | None,
    source_line: int,
) -> Paper:
    """Map labelled fields onto a ``Paper`` (first non-empty value of a label wins)."""
    summary: dict[str, str] = {}
    primary: list[str] = []
    categories: list[str] = []
    slots: dict[str, object] = {}
    extra: list[tuple[str, str]] = []
    title_translation = values.title_translation
    for label, lines in values.items:
        key = label.casefold()
        if key in ABSTRACT_LABELS:
            text = clean_field(unwrap_abstract("\n".join(lines)))
        elif key in COMMENT_LABELS | PRIMARY_CATEGORY_LABELS | CATEGORY_LABELS | KEYWORD_LABELS:
            text = clean_field(collapse_whitespace(" ".join(lines)))
        else:
            text = clean_field(join_field_lines(lines))
        if text is None:
            continue
        if key in SUMMARY_LABELS:
            summary.setdefault(SUMMARY_LABELS[key], text)
        elif key in ABSTRACT_LABELS:
            slots.setdefault("abstract", text)
        elif key in PRIMARY_CATEGORY_LABELS:
            primary.append(text)
        elif key in CATEGORY_LABELS:
            categories.extend(part.strip() for part in text.split(","))
        elif key in KEYWORD_LABELS:
            slots.setdefault("keywords", split_keywords(text))
        elif key in COMMENT_LABELS:
            slots.setdefault("comment", text)
        elif key in ABSTRACT_TRANSLATION_LABELS:
            slots.setdefault("abstract_translation", text)
        elif key in TITLE_TRANSLATION_LABELS:
            title_translation = title_translation or text
        elif key in CODE_LABELS:
            slots.setdefault("code_url", text)
        else:
            extra.append((label, text))
    return Paper(
        id=paper_id,
        title=collapse_whitespace(title),
        authors=authors,
        categories=tuple(primary + categories),
        abs_url=abs_url,
        summary=Summary(**summary),
        title_translation=title_translation,
        extra=tuple(extra),
        version=version,
        source_line=source_line,
        **slots,  # type: ignore[arg-type]
    )
