"""The Jinja environment shared by every renderer: loader, catalogue, filters.

Templates come from the user's ``templates_dir`` first (overrides), then the bundled
``templates/`` folder. HTML templates are autoescaped; text and Markdown templates are not,
and use the ``md`` filter where Markdown syntax must be neutralised.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

import newsletter
from newsletter.errors import TemplateError
from newsletter.mathtext import latex_to_unicode
from newsletter.render.richtext import rich_text
from newsletter.render.textwrap_cjk import display_width, wrap
from newsletter.urls import markdown_url, safe_url
from newsletter.yamlfile import read_yaml

_PACKAGE_DIR = Path(newsletter.__file__).resolve().parent


def bundled_dir(name: str) -> Path:
    """A bundled folder (``templates``, ``config``, ``examples``) in a checkout or a wheel."""
    wheel_copy = _PACKAGE_DIR / "_bundled" / name
    return wheel_copy if wheel_copy.is_dir() else _PACKAGE_DIR.parent / name


@lru_cache(maxsize=4)
def load_catalogue(path: Path) -> dict[str, dict[str, str]]:
    data = read_yaml(path, "UI string catalogue")
    if not isinstance(data, dict) or not all(
        isinstance(v, dict) and {"en", "zh"} <= v.keys() for v in data.values()
    ):
        raise TemplateError(f"{path}: every entry needs 'en' and 'zh' strings")
    return data


class Catalogue:
    """UI strings for one edition language."""

    def __init__(self, strings: dict[str, dict[str, str]], language: str) -> None:
        self._strings = strings
        self.language = language

    def __call__(self, key: str, **values: Any) -> str:
        try:
            entry = self._strings[key]
        except KeyError:
            raise TemplateError(f"UI string {key!r} is missing from the catalogue") from None
        if self.language == "bilingual":
            text = entry.get("bilingual") or (
                entry["en"] if entry["en"] == entry["zh"] else f"{entry['en']} / {entry['zh']}"
            )
        else:
            text = entry[self.language]
        return text.format(**values) if values else text

    def lang(self, key: str, language: str, **values: Any) -> str:
        text = self._strings[key][language]
        return text.format(**values) if values else text


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|!~])")


def markdown_escape(text: str | None) -> str:
    """Neutralise Markdown and inline HTML so digest text shows as text on GitHub."""
    if not text:
        return ""
    text = text.replace("&", "&amp;")
    text = _MD_SPECIAL.sub(
        lambda m: {"<": "&lt;", ">": "&gt;"}.get(m.group(1), "\\" + m.group(1)), text
    )
    return re.sub(r"\s*\n\s*", " ", text)


def _authors(authors, limit: int = 0, more: str = "") -> str:
    authors = list(authors)
    if limit and len(authors) > limit:
        return ", ".join(authors[:limit]) + f" {more}".rstrip()
    return ", ".join(authors)


def _indent_wrap(text: str, width: int = 72, indent: str = "", first: str | None = None) -> str:
    return wrap(
        text or "",
        width=width,
        initial_indent=first if first is not None else indent,
        subsequent_indent=indent,
    )


def build_environment(templates_dir: Path | None = None) -> jinja2.Environment:
    search = [str(templates_dir)] if templates_dir else []
    search.append(str(bundled_dir("templates")))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(search),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "xml", "html.j2", "xml.j2"), default=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["math"] = latex_to_unicode
    env.filters["md"] = markdown_escape
    env.filters["url"] = safe_url
    env.filters["rich"] = rich_text
    env.filters["mdurl"] = markdown_url
    env.filters["authors"] = _authors
    # Memoised: the email budget search renders each paper's text several times (CJK-aware
    # wrapping is the slowest part of it), and wrapping is a pure function of its arguments.
    env.filters["wrap"] = lru_cache(maxsize=16384)(_indent_wrap)
    env.filters["width"] = display_width
    return env


@lru_cache(maxsize=4)
def cached_environment(templates_dir: Path | None = None) -> jinja2.Environment:
    return build_environment(templates_dir)


def render_template(env: jinja2.Environment, name: str, **context: Any) -> str:
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template {exc.name!r} not found in {env.loader.searchpath}") from exc  # type: ignore[union-attr]
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            f"{exc.filename}:{exc.lineno}: template syntax error: {exc.message}"
        ) from exc
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"template {name}: {exc.message}") from exc
