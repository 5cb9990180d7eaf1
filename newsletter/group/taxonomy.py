"""The subtopic taxonomy: load ``topics.yaml``, validate it, and hand out frozen values.

The file is meant to be edited by users, so every problem is reported with the file and the
dotted key (``areas[2].subtopics[0].terms.en``) and what was expected, all at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import newsletter
from newsletter.errors import ConfigError
from newsletter.model import Bilingual
from newsletter.yamlfile import read_yaml

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# arXiv categories: cs.CV, eess.IV, math.NA, quant-ph, astro-ph.GA, ...
_CATEGORY = re.compile(r"^[a-z][a-z\-]*(?:\.[A-Za-z\-]+)?$")


@dataclass(frozen=True)
class Subtopic:
    key: str  # "area-subtopic": the section id
    id: str
    area: str
    title: Bilingual
    description: str
    terms_en: tuple[tuple[str, float], ...]  # (lower-case term, weight)
    terms_zh: tuple[tuple[str, float], ...]
    categories: tuple[tuple[str, float], ...]  # (arXiv category, weight)
    # Title matches of this subtopic's terms count this many times more: for subtopics named
    # by an application domain ("clinical", "legal", "financial"), which editors file a paper
    # under when its title names the domain, whatever method it uses.
    title_boost: float = 1.0
    # Key of a broader sibling this subtopic is split out of ("nlp-health" out of
    # "nlp-applications"): the split-off stands as its own section only on a day with enough
    # of its papers, else they are folded into the parent (see ``group.shape``).
    parent: str | None = None


@dataclass(frozen=True)
class Area:
    id: str
    title: Bilingual
    # (arXiv category, strength 0-1): how much a paper of that primary category leans towards
    # this area. Catch-all categories (cs.AI, cs.LG) lean less than specific ones (cs.CV).
    categories: tuple[tuple[str, float], ...]
    subtopics: tuple[Subtopic, ...]


@dataclass(frozen=True)
class Taxonomy:
    source: str
    areas: tuple[Area, ...]
    other_title: Bilingual
    # English terms every field uses ("benchmark", "agent", "dataset"): in an abstract they
    # describe the set-up more often than the topic, so they count less there (full in titles).
    generic_terms: tuple[str, ...] = ()

    @property
    def subtopics(self) -> tuple[Subtopic, ...]:
        return tuple(s for area in self.areas for s in area.subtopics)

    @property
    def parent_of(self) -> dict[str, str]:
        """Split-off subtopic key -> its parent's key."""
        return {s.key: s.parent for s in self.subtopics if s.parent}

    def subtopic(self, key: str) -> Subtopic:
        for candidate in self.subtopics:
            if candidate.key == key:
                return candidate
        raise KeyError(key)

    def area(self, area_id: str) -> Area:
        for candidate in self.areas:
            if candidate.id == area_id:
                return candidate
        raise KeyError(area_id)


def bundled_config_dir() -> Path:
    """``config/`` beside the package in a checkout, ``_bundled/config`` inside a wheel."""
    package_dir = Path(newsletter.__file__).resolve().parent
    bundled = package_dir / "_bundled" / "config"
    if bundled.is_dir():
        return bundled
    return package_dir.parent / "config"


def default_taxonomy_path() -> Path:
    return bundled_config_dir() / "topics.yaml"


class _Problems:
    """Collects every validation problem so the user sees them all in one message."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[str] = []

    def add(self, key: str, message: str) -> None:
        self.items.append(f"  {key}: {message}")

    def raise_if_any(self) -> None:
        if self.items:
            header = f"{self.source}: {len(self.items)} problem(s) in the taxonomy:"
            raise ConfigError("\n".join([header, *self.items]))


def _bilingual(value: Any, key: str, problems: _Problems) -> Bilingual:
    if not isinstance(value, Mapping):
        problems.add(key, f"expected a mapping with 'en' and 'zh' names (got {value!r})")
        return Bilingual()
    names = {}
    for language in ("en", "zh"):
        name = value.get(language)
        if not isinstance(name, str) or not name.strip():
            problems.add(f"{key}.{language}", "expected a non-empty name")
        else:
            names[language] = name.strip()
    for extra in set(value) - {"en", "zh"}:
        problems.add(f"{key}.{extra}", "unknown key (expected en, zh)")
    return Bilingual(**names)


def _weighted(
    value: Any, key: str, problems: _Problems, *, lower: bool = True
) -> tuple[tuple[str, float], ...]:
    """A list of terms (weight 1) or a mapping term -> positive weight."""
    if value is None:
        return ()
    if isinstance(value, list):
        value = {item: 1.0 for item in value} if all(isinstance(i, str) for i in value) else value
    if not isinstance(value, Mapping):
        problems.add(key, "expected a list of terms or a mapping of term: weight")
        return ()
    pairs: list[tuple[str, float]] = []
    for term, weight in value.items():
        if not isinstance(term, str) or not term.strip():
            problems.add(key, f"expected non-empty text terms (got {term!r})")
            continue
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
            problems.add(f"{key}.{term}", f"expected a positive number as weight (got {weight!r})")
            continue
        pairs.append((term.strip().lower() if lower else term.strip(), float(weight)))
    return tuple(pairs)


def _check_keys(node: Mapping[str, Any], allowed: set[str], key: str, problems: _Problems) -> None:
    for extra in sorted(set(node) - allowed, key=str):
        problems.add(
            f"{key}.{extra}" if key else str(extra),
            f"unknown key (expected one of {', '.join(sorted(allowed))})",
        )


def _slug(value: Any, key: str, problems: _Problems) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        problems.add(key, f"expected a lower-case slug like '3d-vision' (got {value!r})")
        return str(value)
    return value


def _categories(value: Any, key: str, problems: _Problems) -> tuple[tuple[str, float], ...]:
    """Weighted arXiv categories (case kept: 'cs.CV'), each checked for its shape."""
    categories = _weighted(value, key, problems, lower=False)
    for name, _ in categories:
        if not _CATEGORY.match(name):
            problems.add(key, f"expected arXiv categories like 'cs.CV' (got {name!r})")
    return categories


def _subtopic(node: Any, area_id: str, key: str, problems: _Problems) -> Subtopic | None:
    if not isinstance(node, Mapping):
        problems.add(key, "expected a mapping with id, title, description and signals")
        return None
    _check_keys(
        node,
        {"id", "title", "description", "terms", "categories", "title_boost", "parent"},
        key,
        problems,
    )
    title_boost = node.get("title_boost", 1.0)
    if isinstance(title_boost, bool) or not isinstance(title_boost, int | float) or title_boost < 1:
        problems.add(f"{key}.title_boost", f"expected a number of at least 1 (got {title_boost!r})")
        title_boost = 1.0
    subtopic_id = _slug(node.get("id"), f"{key}.id", problems)
    title = _bilingual(node.get("title"), f"{key}.title", problems)
    description = node.get("description")
    if not isinstance(description, str) or not description.strip():
        problems.add(f"{key}.description", "expected a one-line description")
        description = ""
    terms = node.get("terms") or {}
    if not isinstance(terms, Mapping):
        problems.add(f"{key}.terms", "expected a mapping with 'en' and/or 'zh' term lists")
        terms = {}
    _check_keys(terms, {"en", "zh"}, f"{key}.terms", problems)
    terms_en = _weighted(terms.get("en"), f"{key}.terms.en", problems)
    terms_zh = _weighted(terms.get("zh"), f"{key}.terms.zh", problems)
    categories = _categories(node.get("categories"), f"{key}.categories", problems)
    if not terms_en and not terms_zh and not categories:
        problems.add(key, "expected at least one signal (terms.en, terms.zh or categories)")
    parent = node.get("parent")
    if parent is not None:
        parent = _slug(parent, f"{key}.parent", problems)
    return Subtopic(
        key=f"{area_id}-{subtopic_id}",
        id=subtopic_id,
        area=area_id,
        title=title,
        description=description.strip(),
        terms_en=terms_en,
        terms_zh=terms_zh,
        categories=categories,
        title_boost=float(title_boost),
        parent=f"{area_id}-{parent}" if parent else None,
    )


def _area(node: Any, key: str, problems: _Problems) -> Area | None:
    if not isinstance(node, Mapping):
        problems.add(key, "expected a mapping with id, title, categories and subtopics")
        return None
    _check_keys(node, {"id", "title", "categories", "subtopics"}, key, problems)
    area_id = _slug(node.get("id"), f"{key}.id", problems)
    title = _bilingual(node.get("title"), f"{key}.title", problems)
    categories = _categories(node.get("categories"), f"{key}.categories", problems)
    for name, strength in categories:
        if strength > 1:
            problems.add(
                f"{key}.categories.{name}", f"expected a strength between 0 and 1 (got {strength})"
            )
    subtopic_nodes = node.get("subtopics")
    if not isinstance(subtopic_nodes, list) or not subtopic_nodes:
        problems.add(f"{key}.subtopics", "expected a non-empty list of subtopics")
        subtopic_nodes = []
    subtopics = []
    for index, child in enumerate(subtopic_nodes):
        subtopic = _subtopic(child, area_id, f"{key}.subtopics[{index}]", problems)
        if subtopic is not None:
            subtopics.append(subtopic)
    _check_parents(subtopics, key, problems)
    return Area(id=area_id, title=title, categories=categories, subtopics=tuple(subtopics))


def _check_parents(subtopics: list[Subtopic], key: str, problems: _Problems) -> None:
    """A parent is another subtopic of the same area, itself without a parent (one level)."""
    parent_of = {s.key: s.parent for s in subtopics}
    for index, subtopic in enumerate(subtopics):
        if subtopic.parent is None:
            continue
        where = f"{key}.subtopics[{index}].parent"
        siblings = sorted(s.id for s in subtopics if s.key != subtopic.key)
        if subtopic.parent == subtopic.key or subtopic.parent not in parent_of:
            given = subtopic.parent[len(subtopic.area) + 1 :]  # "<area>-<id>" -> "<id>"
            problems.add(
                where,
                f"expected the id of another subtopic of this area ({', '.join(siblings)}), "
                f"got {given!r}",
            )
        elif parent_of[subtopic.parent] is not None:
            problems.add(where, f"{subtopic.parent!r} has a parent itself: one level only")


def parse_taxonomy(data: Any, source: str) -> Taxonomy:
    """Validate the parsed YAML of a taxonomy; raise ConfigError naming every bad key."""
    problems = _Problems(source)
    if not isinstance(data, Mapping):
        problems.add("(top level)", "expected a mapping with 'areas'")
        problems.raise_if_any()
    _check_keys(data, {"version", "areas", "other", "generic_terms"}, "", problems)
    generic = data.get("generic_terms") or []
    if not isinstance(generic, list) or not all(isinstance(t, str) and t.strip() for t in generic):
        problems.add("generic_terms", "expected a list of English terms")
        generic = []
    if data.get("version", 1) != 1:
        problems.add("version", f"expected 1 (got {data.get('version')!r})")
    other_title = _bilingual(data.get("other", {"en": "Other", "zh": "其他"}), "other", problems)
    area_nodes = data.get("areas")
    if not isinstance(area_nodes, list) or not area_nodes:
        problems.add("areas", "expected a non-empty list of areas")
        area_nodes = []
    areas = []
    for index, node in enumerate(area_nodes):
        area = _area(node, f"areas[{index}]", problems)
        if area is not None:
            areas.append(area)
    seen: dict[str, str] = {}
    for area_index, area in enumerate(areas):
        for sub_index, subtopic in enumerate(area.subtopics):
            where = f"areas[{area_index}].subtopics[{sub_index}].id"
            if subtopic.key in seen or subtopic.key == "other":
                problems.add(
                    where,
                    f"duplicate section id {subtopic.key!r} (also {seen.get(subtopic.key, 'reserved')})",
                )
            seen[subtopic.key] = where
    area_ids = [a.id for a in areas]
    for index, area_id in enumerate(area_ids):
        if area_ids.index(area_id) != index:
            problems.add(f"areas[{index}].id", f"duplicate area id {area_id!r}")
    problems.raise_if_any()
    return Taxonomy(
        source=source,
        areas=tuple(areas),
        other_title=other_title,
        generic_terms=tuple(t.strip().lower() for t in generic),
    )


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Read and validate a taxonomy file (default: the bundled ``config/topics.yaml``).

    Parsed once per file version (path, size, modification time): parsing the YAML costs as
    much as grouping a 500-paper day, and a run groups several editions with one taxonomy.
    """
    path = Path(path or default_taxonomy_path())
    try:
        stat = path.stat()
        version = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    except OSError:
        version = None  # read_yaml reports the missing or unreadable file
    if version is not None and version in _LOADED:
        return _LOADED[version]
    data = read_yaml(path, "taxonomy file")
    taxonomy = parse_taxonomy(data, str(path))
    if version is not None:
        if len(_LOADED) >= 8:
            _LOADED.clear()
        _LOADED[version] = taxonomy
    return taxonomy


_LOADED: dict[tuple[str, int, int], Taxonomy] = {}
