"""The persistent cache of rewrites: one small JSON file per (paper, content, model, prompt).

Why files and not one sqlite database: every write goes through
``newsletter.writer.atomic_write_bytes`` (the project's single path to disk), so a killed run
never leaves a half-written entry and two runs sharing a cache cannot corrupt each other
(the last rename wins; both wrote the same answer anyway). Entries are readable with any
editor, and pruning is deleting files. Files are sharded by the arXiv id's yymm so that no
folder grows past a month of papers.

The key covers everything the answer depends on: the paper id, a hash of the text the model
read (title, abstract, digest summary), the model name and the prompt version. A paper whose
abstract is revised, a new model or a reworded prompt are all cache misses; a paper repeated on
a later day is a hit.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsletter.model import Paper
from newsletter.rewrite.prompts import chinese_summary
from newsletter.writer import atomic_write_bytes

CACHE_FORMAT = 1
_UNSAFE = re.compile(r"[^A-Za-z0-9.\-]")


def content_hash(paper: Paper) -> str:
    """Hash of the text the prompt shows the model about ``paper``."""
    parts = [paper.title, paper.abstract, chinese_summary(paper) or ""]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def _key(*parts: str) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()[:20]


@dataclass(frozen=True)
class CachedRewrite:
    tldr_en: str
    tldr_zh: str
    title_zh: str


@dataclass(frozen=True)
class CachedIntro:
    en: str
    zh: str


class RewriteCache:
    """Reads and writes cache entries under ``root``; unreadable entries count as misses."""

    def __init__(self, root: Path, *, model: str) -> None:
        self.root = Path(root)
        self.model = model

    def paper_path(self, paper: Paper, prompt_version: str) -> Path:
        key = _key("paper", paper.id, content_hash(paper), self.model, prompt_version)
        shard = paper.id[:4] if paper.id[:4].isdigit() else "old"
        return self.root / "papers" / shard / f"{_UNSAFE.sub('_', paper.id)}-{key}.json"

    def intro_path(self, titles: list[str], section_titles: list[str], version: str) -> Path:
        key = _key("intro", json.dumps([titles, section_titles]), self.model, version)
        return self.root / "intros" / f"{key}.json"

    def subtopic_path(self, paper: Paper, prompt_version: str, options_digest: str) -> Path:
        key = _key("classify", paper.id, content_hash(paper), self.model, prompt_version, options_digest)
        return self.root / "classify" / f"{_UNSAFE.sub('_', paper.id)}-{key}.json"

    def get_subtopic(
        self, paper: Paper, prompt_version: str, options_digest: str, valid: set[str]
    ) -> str | None:
        """The cached subtopic choice for ``paper``, if it is still one of ``valid``."""
        data = self._read(self.subtopic_path(paper, prompt_version, options_digest))
        choice = data.get("subtopic") if data else None
        return choice if choice in valid else None

    def put_subtopic(
        self, paper: Paper, prompt_version: str, options_digest: str, choice: str
    ) -> None:
        entry = {
            "format": CACHE_FORMAT,
            "model": self.model,
            "prompt_version": prompt_version,
            "paper_id": paper.id,
            "subtopic": choice,
        }
        self._write(self.subtopic_path(paper, prompt_version, options_digest), entry)

    def get_paper(self, paper: Paper, prompt_version: str) -> CachedRewrite | None:
        data = self._read(self.paper_path(paper, prompt_version))
        if data is None or data.get("paper_id") != paper.id:
            return None
        values = [data.get(name) for name in ("tldr_en", "tldr_zh", "title_zh")]
        if not all(isinstance(value, str) and value for value in values):
            return None
        return CachedRewrite(*values)

    def put_paper(self, paper: Paper, prompt_version: str, rewrite: CachedRewrite) -> None:
        entry = {
            "format": CACHE_FORMAT,
            "paper_id": paper.id,
            "content_hash": content_hash(paper),
            "model": self.model,
            "prompt_version": prompt_version,
            "tldr_en": rewrite.tldr_en,
            "tldr_zh": rewrite.tldr_zh,
            "title_zh": rewrite.title_zh,
        }
        self._write(self.paper_path(paper, prompt_version), entry)

    def get_intro(
        self, titles: list[str], section_titles: list[str], version: str
    ) -> CachedIntro | None:
        data = self._read(self.intro_path(titles, section_titles, version))
        if data is None:
            return None
        en, zh = data.get("intro_en"), data.get("intro_zh")
        if not (isinstance(en, str) and en and isinstance(zh, str) and zh):
            return None
        return CachedIntro(en, zh)

    def put_intro(
        self, titles: list[str], section_titles: list[str], version: str, intro: CachedIntro
    ) -> None:
        entry = {
            "format": CACHE_FORMAT,
            "model": self.model,
            "prompt_version": version,
            "intro_en": intro.en,
            "intro_zh": intro.zh,
        }
        self._write(self.intro_path(titles, section_titles, version), entry)

    @staticmethod
    def _read(path: Path) -> dict[str, Any] | None:
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
            return None
        return data

    @staticmethod
    def _write(path: Path, entry: dict[str, Any]) -> None:
        payload = json.dumps(entry, ensure_ascii=False, indent=1).encode("utf-8")
        atomic_write_bytes(path, payload + b"\n")
