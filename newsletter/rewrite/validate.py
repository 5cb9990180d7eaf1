"""Turning a model's reply text into checked values.

Three concerns, in the order a reply meets them:

1. ``parse_reply``: find the JSON object in the text (code fences and chatter around it are
   tolerated) and repair LaTeX backslashes first. Models write ``"$\\alpha$"`` inside JSON
   strings as ``\\alpha`` with one backslash: ``\\a`` is an invalid escape (the parse fails)
   and ``\\frac``/``\\nabla``/``\\theta`` are *valid* escapes (form feed, newline, tab) that
   silently eat the command. ``repair_backslashes`` doubles such backslashes before parsing.
2. ``check_schema``: the parsed value matches the JSON schema we asked for (object keys,
   types, enums); servers without structured output may not honour it.
3. ``check_text``: each field is non-empty, within its length bounds, and in the right
   script (Chinese fields mostly CJK, English fields mostly Latin).

Every problem raises ``ReplyInvalid`` with a failure kind from ``FailureKind``.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from newsletter.textclean import strip_control_characters

FailureKind = Literal[
    "timeout",
    "rate_limited",
    "server_error",
    "bad_json",
    "wrong_language",
    "empty",
    "too_long",
    "refusal",
    "budget",
    "http_error",
]


class ReplyInvalid(Exception):
    """A reply that cannot be used; ``kind`` says why (a stable short string)."""

    def __init__(self, kind: FailureKind, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind: FailureKind = kind
        self.detail = detail


# LaTeX commands whose first letter is also a JSON escape letter (b f n r t u): without this
# list "\nabla" would parse as a newline followed by "abla".
_LATEX_ON_ESCAPE_LETTERS = frozenset(
    """
    bar beta bf big bigl bigr Big Bigl Bigr bigg binom bm boldsymbol bot boxed breve bullet
    fbox flat forall frac frak
    nabla natural ne neg neq nexists ni nleq ngeq nmid nolimits nonumber not notin nparallel
    nsubseteq nu
    rangle rbrace rbrack rceil rfloor rho right rightarrow rightharpoonup rm
    tan tanh tau text textbf textit textrm textsc textsf texttt tfrac theta therefore tilde
    times tiny to top triangle triangleq
    u ubar underbrace underline underset union uparrow upsilon
    """.split()  # noqa: SIM905 - a word list reads better than 80 quoted strings
)
_WORD = re.compile(r"[A-Za-z]+")
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")


def repair_backslashes(text: str) -> str:
    """Double the backslashes of LaTeX commands inside JSON strings; leave real escapes alone.

    >>> json.loads(repair_backslashes(r'{"a": "$\\alpha$ and \\frac{1}{2}, \\nabla f\\n"}'))["a"]
    '$\\\\alpha$ and \\\\frac{1}{2}, \\\\nabla f\\n'
    """
    out: list[str] = []
    in_string = False
    i = 0
    while i < len(text):
        char = text[i]
        if not in_string:
            in_string = char == '"'
            out.append(char)
            i += 1
            continue
        if char == '"':
            in_string = False
            out.append(char)
            i += 1
            continue
        if char != "\\":
            out.append(char)
            i += 1
            continue
        following = text[i + 1 : i + 2]
        word_match = _WORD.match(text, i + 1)
        word = word_match.group(0) if word_match else ""
        if following and following in '"\\/':
            out.append(text[i : i + 2])  # a proper escape: \" \\ \/
            i += 2
        elif following == "u" and _HEX4.fullmatch(text[i + 2 : i + 6]):
            out.append(text[i : i + 6])  # \u4e2d
            i += 6
        elif following and following in "bfnrt" and word not in _LATEX_ON_ESCAPE_LETTERS:
            # \b and \f never belong in prose, so a letter after them means LaTeX (\beta...);
            # \n, \r, \t followed by a word that is not a LaTeX command stay escapes.
            if following in "bf" and len(word) > 1:
                out.append("\\\\")
                i += 1
            else:
                out.append(text[i : i + 2])
                i += 2
        else:
            out.append("\\\\")  # an invalid escape (\alpha, \mathbf) or a LaTeX command
            i += 1
    return "".join(out)


_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)
_REFUSAL = re.compile(
    r"^\s*(I'?m sorry|I am sorry|Sorry, |I can(?:no|')t (?:help|assist|comply)|I cannot|I won'?t|"
    r"As an AI|抱歉|对不起|很抱歉|我无法)",
    re.IGNORECASE,
)


def _first_object(text: str) -> str | None:
    """The first balanced {...} in ``text``, honouring strings, or None."""
    start = text.find("{")
    while start != -1:
        depth = 0
        in_string = False
        escaped = False
        for index in range(start, len(text)):
            char = text[index]
            if in_string:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == '"':
                    in_string = False
            elif char == '"':
                in_string = True
            elif char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth == 0:
                    return text[start : index + 1]
        start = text.find("{", start + 1)
    return None


def parse_reply(content: str | None) -> dict[str, Any]:
    """The JSON object in a reply's text; raises ReplyInvalid (empty, refusal, bad_json)."""
    if content is None or not content.strip():
        raise ReplyInvalid("empty", "the reply has no content")
    text = content.strip()
    candidates = [text]
    fenced = _FENCE.search(text)
    if fenced:
        candidates.append(fenced.group(1).strip())
    embedded = _first_object(text)
    if embedded:
        candidates.append(embedded)
    for candidate in candidates:
        try:
            value = json.loads(repair_backslashes(candidate))
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    if _REFUSAL.match(text):
        raise ReplyInvalid("refusal", text[:120])
    raise ReplyInvalid("bad_json", f"no JSON object in the reply: {text[:80]!r}")


_SCHEMA_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


def check_schema(value: Any, schema: dict[str, Any], where: str = "reply") -> None:
    """Check ``value`` against the subset of JSON Schema that structured output uses."""
    types = schema.get("type")
    if types is not None:
        allowed = (types,) if isinstance(types, str) else tuple(types)
        python_types = tuple(t for name in allowed for t in _SCHEMA_TYPES.get(name, (object,)))
        is_bool = isinstance(value, bool)
        if not isinstance(value, python_types) or (is_bool and "boolean" not in allowed):
            raise ReplyInvalid("bad_json", f"{where}: expected {'/'.join(allowed)}")
    if "enum" in schema and value not in schema["enum"]:
        raise ReplyInvalid("bad_json", f"{where}: {value!r} is not one of the allowed values")
    if isinstance(value, dict):
        for key in schema.get("required", ()):
            if key not in value:
                raise ReplyInvalid("bad_json", f"{where}: missing key {key!r}")
        for key, sub_schema in schema.get("properties", {}).items():
            if key in value:
                check_schema(value[key], sub_schema, f"{where}.{key}")
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            check_schema(item, schema["items"], f"{where}[{index}]")


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_LATEX_COMMAND = re.compile(r"\\[A-Za-z]+")
_MATH = re.compile(r"\$[^$]*\$")
_SPACE = re.compile(r"\s+")


def script_counts(text: str) -> tuple[int, int]:
    """(CJK characters, Latin words) outside LaTeX math and commands."""
    prose = _LATEX_COMMAND.sub(" ", _MATH.sub(" ", text))
    return len(_CJK.findall(prose)), len(_LATIN_WORD.findall(prose))


def check_text(value: str, *, field: str, language: str, min_chars: int, max_chars: int) -> str:
    """The field's text, whitespace collapsed; raises ReplyInvalid when unusable.

    Script is judged by CJK characters against Latin *words*: Chinese prose about ML is full
    of English terms ("基于Transformer的3D Gaussian Splatting新方法": 6 CJK, 4 words), so a
    zh field needs at least half as many CJK characters as Latin words; an en field may quote
    a Chinese name but holds at most one CJK character per two words.
    """
    text = _SPACE.sub(" ", strip_control_characters(value)).strip()
    if len(text) < min_chars:
        raise ReplyInvalid("empty", f"{field} is empty or too short ({len(text)} characters)")
    if len(text) > max_chars:
        raise ReplyInvalid("too_long", f"{field} has {len(text)} characters (at most {max_chars})")
    cjk, words = script_counts(text)
    if language == "zh" and (cjk < 2 or cjk < 0.5 * words):
        raise ReplyInvalid("wrong_language", f"{field} should be Chinese: {text[:60]!r}")
    if language == "en" and (words == 0 or cjk > 0.5 * words):
        raise ReplyInvalid("wrong_language", f"{field} should be English: {text[:60]!r}")
    return text
