"""Prompt templates: Jinja files under ``templates/prompts/``, each carrying its version.

A prompt template defines two blocks, ``system`` and ``user``, and starts with a
``{# version: name.vN #}`` header. The version is part of every cache key, so editing a
prompt's wording together with its version makes old cached replies unused, while editing
anything else (this loader, the validation) keeps them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from newsletter.errors import TemplateError
from newsletter.model import Paper

PAPER_TEMPLATE = "paper.v1.j2"
INTRO_TEMPLATE = "intro.v1.j2"
# The intro names the day's themes from titles; past this many titles the prompt only grows.
MAX_INTRO_TITLES = 120

_VERSION_HEADER = re.compile(r"\A\{#\s*version:\s*([\w.\-]+)\s*#\}")


@dataclass(frozen=True)
class Messages:
    """A rendered prompt: the chat messages to send and the template's version."""

    system: str
    user: str
    version: str

    def as_chat(self) -> list[dict[str, str]]:
        return [{"role": "system", "content": self.system}, {"role": "user", "content": self.user}]


def prompt_dirs() -> tuple[Path, ...]:
    """Where prompt templates live: the source tree, then the copy bundled in the wheel."""
    package = Path(__file__).resolve().parents[1]
    return (
        package.parent / "templates" / "prompts",
        package / "_bundled" / "templates" / "prompts",
    )


@dataclass(frozen=True)
class _Prompt:
    version: str
    template: object  # jinja2.Template; typed loosely to keep jinja2 out of the signature


@lru_cache(maxsize=8)
def _load(name: str) -> _Prompt:
    import jinja2

    for folder in prompt_dirs():
        path = folder / name
        if path.is_file():
            break
    else:
        searched = ", ".join(str(folder) for folder in prompt_dirs())
        raise TemplateError(f"prompt template {name} not found (searched {searched})")
    source = path.read_text(encoding="utf-8")
    header = _VERSION_HEADER.match(source)
    if header is None:
        raise TemplateError(f"{path}:1: expected a '{{# version: name.vN #}}' header")
    environment = jinja2.Environment(
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, autoescape=False
    )
    try:
        template = environment.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{path}:{exc.lineno}: {exc.message}") from exc
    for block in ("system", "user"):
        if block not in template.blocks:
            raise TemplateError(f"{path}: expected a '{{% block {block} %}}'")
    return _Prompt(version=header.group(1), template=template)


def _render(name: str, variables: dict[str, object]) -> Messages:
    prompt = _load(name)
    template = prompt.template
    context = template.new_context(variables)  # type: ignore[attr-defined]
    parts = {
        block: "".join(template.blocks[block](context)).strip()  # type: ignore[attr-defined]
        for block in ("system", "user")
    }
    return Messages(system=parts["system"], user=parts["user"], version=prompt.version)


def render_template(name: str, variables: dict[str, object]) -> Messages:
    """Render any prompt template under ``templates/prompts/`` (e.g. the grouping prompt)."""
    return _render(name, variables)


def template_version(name: str) -> str:
    return _load(name).version


def prompt_version() -> str:
    """The combined version of the prompts in use, reported in ``Rewrites.prompt_version``."""
    return f"{_load(PAPER_TEMPLATE).version}+{_load(INTRO_TEMPLATE).version}"


def paper_version() -> str:
    return _load(PAPER_TEMPLATE).version


def intro_version() -> str:
    return _load(INTRO_TEMPLATE).version


def chinese_summary(paper: Paper) -> str | None:
    """The digest's Chinese summary as prompt text, or None when the digest has none."""
    if paper.summary_language != "zh" or paper.summary.is_empty():
        return None
    labels = (
        ("tldr", "TL;DR"),
        ("motivation", "动机"),
        ("method", "方法"),
        ("result", "结果"),
        ("conclusion", "结论"),
    )
    lines = [
        f"{label}: {getattr(paper.summary, name)}"
        for name, label in labels
        if getattr(paper.summary, name)
    ]
    return "\n".join(lines) or None


def paper_messages(paper: Paper) -> Messages:
    return _render(
        PAPER_TEMPLATE,
        {
            "paper_id": paper.id,
            "title": paper.title,
            "abstract": paper.abstract,
            "summary_zh": chinese_summary(paper),
        },
    )


def intro_messages(titles: list[str], section_titles: list[str] | None = None) -> Messages:
    return _render(
        INTRO_TEMPLATE,
        {"titles": titles[:MAX_INTRO_TITLES], "section_titles": section_titles or []},
    )
