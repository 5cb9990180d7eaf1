"""CSS inlining for the email: class rules from ``email/email.css`` become ``style`` attributes.

Email clients drop or mangle ``<style>`` blocks (Gmail's non-Google accounts, many webmail
forwarders), so every element carries its own ``style``. The bundled stylesheet uses plain class
selectors only, which makes inlining a fast, exact substitution: a tag's ``class="a b"``
becomes ``style="<a's rules><b's rules><its own style>"``. Classes that the ``<style>`` block
(media queries, dark mode) selects on are kept; all others are removed, since they would only
cost bytes.

A user's override stylesheet with other selectors (``.toc a``, ``p:first-child``) cannot be
inlined that way; ``inline_css`` then falls back to premailer (slow: ~150 ms to import and
~200 ms per 100 KB, which is why it is not the default path).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_CLASS_SELECTOR = re.compile(r"^\.([A-Za-z][\w-]*)$")
_CLASS_IN_SELECTOR = re.compile(r"\.([A-Za-z][\w-]*)")
# A start tag with a class attribute. Attribute values are autoescaped by Jinja, so they hold
# no raw '<', '>' or '"': matching up to the next '>' is exact.
_TAG_WITH_CLASS = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)(\s[^<>]*?\bclass=\"([^\"]*)\"[^<>]*)>")
_STYLE_ATTR = re.compile(r"\sstyle=\"([^\"]*)\"")
_CLASS_ATTR = re.compile(r"\sclass=\"[^\"]*\"")


@dataclass(frozen=True)
class ClassStyles:
    """Declarations per class, and the classes the kept ``<style>`` block needs."""

    declarations: tuple[tuple[str, str], ...]
    keep: frozenset[str]

    def as_dict(self) -> dict[str, str]:
        return dict(self.declarations)


def _compact(declarations: str) -> str:
    parts = []
    for declaration in declarations.split(";"):
        prop, colon, value = declaration.partition(":")
        if colon and prop.strip():
            parts.append(f"{prop.strip()}:{' '.join(value.split())}")
    return ";".join(parts)


def parse_class_css(css: str) -> dict[str, str] | None:
    """``{class: "prop:value;..."}`` for a stylesheet of plain class rules, else None."""
    styles: dict[str, str] = {}
    css = _COMMENT.sub("", css)
    if "@" in css:
        return None  # at-rules belong in the kept <style> block, not the inlined sheet
    consumed = 0
    for match in _RULE.finditer(css):
        if css[consumed : match.start()].strip():
            return None
        consumed = match.end()
        declarations = _compact(match.group(2))
        for selector in match.group(1).split(","):
            name = _CLASS_SELECTOR.match(selector.strip())
            if name is None:
                return None
            previous = styles.get(name.group(1))
            styles[name.group(1)] = f"{previous};{declarations}" if previous else declarations
    if css[consumed:].strip():
        return None
    return styles


def kept_classes(kept_css: str) -> frozenset[str]:
    """Class names that the ``<style>`` block (media queries, dark mode) selects on."""
    return frozenset(_CLASS_IN_SELECTOR.findall(_COMMENT.sub("", kept_css)))


def class_styles(inlined_css: str, kept_css: str) -> ClassStyles | None:
    styles = parse_class_css(inlined_css)
    if styles is None:
        return None
    return ClassStyles(tuple(styles.items()), kept_classes(kept_css))


def inline_classes(html: str, styles: ClassStyles) -> str:
    """Move class rules into ``style`` attributes; keep only classes in ``styles.keep``."""
    table = styles.as_dict()
    keep = styles.keep

    def rewrite(match: re.Match[str]) -> str:
        tag, attributes, classes = match.group(1), match.group(2), match.group(3).split()
        declarations = [table[name] for name in classes if name in table]
        own = _STYLE_ATTR.search(attributes)
        if own:
            declarations.append(own.group(1).rstrip(";"))
            attributes = attributes[: own.start()] + attributes[own.end() :]
        kept = [name for name in classes if name in keep]
        attributes = _CLASS_ATTR.sub(
            f' class="{" ".join(kept)}"' if kept else "", attributes, count=1
        )
        style = ";".join(d for d in declarations if d)
        if style:
            attributes += ' style="' + style + '"'
        return f"<{tag}{attributes}>"

    return _TAG_WITH_CLASS.sub(rewrite, html)


def inline_css(html: str) -> str:
    """Inline any stylesheet with premailer: the general (and slow) path."""
    from premailer import Premailer

    return Premailer(
        html,
        # Media queries and dark-mode rules cannot be inlined: keep them in <style>.
        keep_style_tags=False,
        strip_important=False,
        remove_classes=False,  # the @media rules select on these classes
        disable_validation=True,
        cssutils_logging_level=logging.CRITICAL,
        allow_network=False,
        allow_loading_external_files=False,
        method="html",
    ).transform(pretty_print=False)
