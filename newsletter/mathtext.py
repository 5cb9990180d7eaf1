"""LaTeX in titles, summaries and abstracts, turned into readable Unicode for email and text.

Digest text is prose with bits of LaTeX in it: math (``$\\tilde{O}(\\sqrt{kT})$``), text
commands (``\\textbf{PACT}``, ``\\emph{one-to-many}``), escapes (``1\\%``, ``US\\$28``) and TeX
quotes (````binding''``). ``latex_to_unicode`` finds those pieces with a small scanner and
converts each one with pylatexenc; the prose around them is left alone, so a plain ``%``, ``_``
or ``$28-$41`` in prose stays what it is. Choices:

- Math delimiters follow Pandoc's rule: an opening ``$`` is followed by a non-space, a closing
  ``$`` follows a non-space and is not followed by a digit. So ``$28-$41`` is money, not math.
- Superscripts and subscripts become Unicode where every character has a form (``n^2`` -> n²,
  ``x_{t}`` -> xₜ), else ``x_(i,j)`` / ``e^(iπ)``.
- ``\\mathcal``, ``\\mathbb`` and ``\\mathfrak`` keep their Unicode letters (𝒪, ℝ, 𝔤); bold,
  monospace, sans and italic alphabets become plain letters, because screen readers spell
  "mathematical bold small x" and CJK fonts often lack those glyphs.
- A piece that uses a macro pylatexenc does not know (an author's ``\\method``), or that fails
  to parse, is kept exactly as written.
"""

from __future__ import annotations

import re
from functools import lru_cache

_SUPERSCRIPTS = dict(
    zip(
        "0123456789+-=()nixabcdefghjklmoprstuvwyzABDEGHIJKLMNOPRTUVW",
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱˣᵃᵇᶜᵈᵉᶠᵍʰʲᵏˡᵐᵒᵖʳˢᵗᵘᵛʷʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂ",
        strict=True,
    )
)
_SUPERSCRIPTS.update({"⊤": "ᵀ", "*": "*", "'": "′", "′": "′", "†": "†", "−": "⁻"})
_SUBSCRIPTS = dict(
    zip("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", strict=True)
)
_SUBSCRIPTS.update({"−": "₋"})

# Characters that may follow a backslash as a one-character control symbol.
_CONTROL_SYMBOLS = set("%$&_#{}|,;:! '\"`^~.=")
# Text-mode escapes outside math, converted without pylatexenc.
_TEXT_ESCAPES = {"%": "%", "$": "$", "&": "&", "_": "_", "#": "#", "{": "{", "}": "}"}
_ACCENTS = set("'\"`^~.=")  # \'e, \"o, ... (letter or brace group follows)

MAX_MATH_CHARS = 400  # longer "$...$" stretches are prose between two money amounts


# -- pylatexenc, configured once --------------------------------------------------------------


def _frac(node, l2tobj) -> str:  # \frac{1}{n+1} -> 1/(n+1), not the ambiguous 1/n+1
    parts = []
    for arg in node.nodeargd.argnlist[-2:]:
        text = l2tobj.nodelist_to_text([arg]).strip() if arg is not None else ""
        parts.append(text if re.fullmatch(r"[\w.′']*", text) else f"({text})")
    return "/".join(parts)


def _second_arg(node, l2tobj) -> str:  # \href{url}{text} -> text
    args = [a for a in node.nodeargd.argnlist if a is not None]
    return l2tobj.nodelist_to_text(args[-1:]) if args else ""


def _unicode_char(node, l2tobj) -> str:  # MathJax's \unicode{x2014} -> —
    args = [a for a in node.nodeargd.argnlist if a is not None]
    code = l2tobj.nodelist_to_text(args[-1:]).strip().lower() if args else ""
    try:
        return chr(int(code[1:], 16) if code.startswith("x") else int(code))
    except ValueError:
        return ""


@lru_cache(maxsize=1)
def _pylatexenc():
    """The converter, its parse context and the macro names it knows (built once, ~60 ms)."""
    from pylatexenc import latex2text, latexwalker, macrospec

    walker_db = latexwalker.get_default_latex_context_db()
    walker_db.add_context_category(
        "newsletter",
        prepend=True,
        macros=[
            macrospec.std_macro(name, False, 1)
            for name in ("boldsymbol", "bm", "operatorname", "pmod", "mathbfit", "unicode")
        ]
        + [macrospec.std_macro("textcolor", False, 2), macrospec.std_macro("href", False, 2)],
    )
    plain = [
        latex2text.MacroTextSpec(name, discard=False)
        for name in (
            "mathbf",
            "mathtt",
            "mathsf",
            "mathit",
            "mathbfit",
            "boldsymbol",
            "bm",
            "operatorname",
            "texttt",
            "textsf",
            "textup",
            "textnormal",
            "underline",
        )
    ]
    spaces = [
        latex2text.MacroTextSpec(name, "")
        for name in (
            "big",
            "Big",
            "bigg",
            "Bigg",
            "bigl",
            "bigr",
            "Bigl",
            "Bigr",
            "biggl",
            "biggr",
            "displaystyle",
            "textstyle",
            "scriptstyle",
            "limits",
            "nolimits",
            "boldmath",
            "!",
            "left",
            "right",
            "middle",
            "em",
            "footnotesize",
            "scriptsize",
            "small",
            "tiny",
        )
    ]
    text_db = latex2text.get_default_latex_context_db()
    text_db.add_context_category(
        "newsletter",
        prepend=True,
        macros=plain
        + spaces
        + [
            latex2text.MacroTextSpec("frac", simplify_repl=_frac),
            latex2text.MacroTextSpec("dfrac", simplify_repl=_frac),
            latex2text.MacroTextSpec("tfrac", simplify_repl=_frac),
            latex2text.MacroTextSpec("href", simplify_repl=_second_arg),
            latex2text.MacroTextSpec("textcolor", simplify_repl=_second_arg),
            latex2text.MacroTextSpec("pmod", simplify_repl=" (mod %s)"),
            latex2text.MacroTextSpec("|", "‖"),
            latex2text.MacroTextSpec("textless", "<"),
            latex2text.MacroTextSpec("textgreater", ">"),
            latex2text.MacroTextSpec("textasciitilde", "~"),
            latex2text.MacroTextSpec("prime", "′"),
            latex2text.MacroTextSpec("Re", "ℜ"),
            latex2text.MacroTextSpec("Im", "ℑ"),
            latex2text.MacroTextSpec("unicode", simplify_repl=_unicode_char),
            # Abbreviation macros that papers define and digests copy verbatim.
            latex2text.MacroTextSpec("eg", "e.g."),
            latex2text.MacroTextSpec("ie", "i.e."),
            latex2text.MacroTextSpec("etal", "et al."),
            latex2text.MacroTextSpec("wrt", "w.r.t."),
        ],
    )
    known = {spec.macroname for spec in text_db.iter_macro_specs()}
    converter = latex2text.LatexNodes2Text(
        latex_context=text_db, math_mode="text", strict_latex_spaces=False
    )
    return converter, walker_db, known


def _parse_to_text(latex: str) -> str | None:
    """pylatexenc's text for ``latex``, or None when it uses an unknown macro or fails."""
    converter, walker_db, known = _pylatexenc()
    for name in re.findall(r"\\([A-Za-z]+)", latex):
        if name not in known:
            return None
    try:
        return converter.latex_to_text(latex, latex_context=walker_db, tolerant_parsing=False)
    except Exception:  # pylatexenc raises many kinds of parse errors; the caller keeps the original
        return None


# -- math ------------------------------------------------------------------------------------


def _brace_group(text: str, start: int) -> int | None:
    """Index just past the balanced ``{...}`` that starts at ``start``, or None."""
    depth = 0
    index = start
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2  # \{ and \} do not count
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return None


def _script_body(latex: str, start: int) -> tuple[str, int] | None:
    """The body of a ^ or _ script starting at ``start`` (after the marker) and its end."""
    if start >= len(latex):
        return None
    if latex[start] == "{":
        end = _brace_group(latex, start)
        return (latex[start + 1 : end - 1], end) if end else None
    if latex[start] == "\\":
        match = re.match(r"\\([A-Za-z]+|.)", latex[start:])
        return (match.group(0), start + match.end()) if match else None
    return latex[start], start + 1


def _scripts(latex: str) -> str:
    """Replace ``^...`` / ``_...`` in math by Unicode scripts, or ``^(...)`` when impossible."""
    out: list[str] = []
    index = 0
    while index < len(latex):
        char = latex[index]
        if char == "\\" and index + 1 < len(latex):  # \_ or \^ are not scripts
            out.append(latex[index : index + 2])
            index += 2
            continue
        if char not in "^_":
            out.append(char)
            index += 1
            continue
        found = _script_body(latex, index + 1)
        if found is None:
            out.append(char)
            index += 1
            continue
        body, index = found
        text = _convert_math(body) if ("\\" in body or "^" in body or "_" in body) else body
        if text is None:
            return latex  # let the caller keep the original segment
        table = _SUPERSCRIPTS if char == "^" else _SUBSCRIPTS
        text = re.sub(r"\s+", "", text)
        if text and all(c in table for c in text):
            out.append("".join(table[c] for c in text))
        elif len(text) == 1 or re.fullmatch(r"[A-Za-z0-9]+", text):
            out.append(f"{char}{text}")
        else:
            out.append(f"{char}({text})")
        # "{}" on both sides: pylatexenc reads Unicode letters as part of a macro name
        # (\sumᵢ), and a macro right after a script must still end its name.
        out.insert(len(out) - 1, "{}")
        out.append("{}")
    return "".join(out)


@lru_cache(maxsize=4096)
def _convert_math(latex: str) -> str | None:
    """Unicode for one math segment (without delimiters), or None when it cannot be done."""
    # % and & mean comment / column in LaTeX but are plain symbols in digest math.
    prepared = re.sub(r"(?<!\\)([%&])", r"\\\1", latex)
    # A macro followed by a space would swallow it ("\log n" -> "logn"): end its name with {}.
    prepared = re.sub(r"(\\[A-Za-z]+)(?=\s)", r"\1{}", prepared)
    prepared = _scripts(prepared)
    text = _parse_to_text(prepared)
    if text is None:
        return None
    text = re.sub(r"\s+", " ", text).strip()
    if not text or "\\" in text:
        return None
    return text


# -- the scanner ------------------------------------------------------------------------------


def _math_end(text: str, start: int) -> tuple[int, int] | None:
    """For a ``$`` at ``start``: (content end, segment end) of inline math, or None.

    Pandoc's rule: the opening ``$`` has a non-space right after it, the closing one a
    non-space right before it and no digit right after it.
    """
    if start + 1 >= len(text):
        return None
    # "$ N^{th} $": spaces inside the dollars are tolerated only for content that is
    # plainly LaTeX, never for "$5 and $10".
    spaced = text[start + 1].isspace()
    index = start + 1
    limit = min(len(text), start + 1 + MAX_MATH_CHARS)
    while index < limit:
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "\n" and text[index - 1] == "\n":
            return None
        if char == "$":
            content = text[start + 1 : index]
            if not content.strip():
                return None
            if spaced or text[index - 1].isspace():
                if not re.search(r"[\\^_]", content):
                    return None
                return index, index + 1
            # "$28-$41" is money; but "$\times$180" is math, and money has no backslash.
            if (
                index + 1 < len(text)
                and text[index + 1].isdigit()
                and not re.search(r"[\\^_]", content)
            ):
                index += 1
                continue
            return index, index + 1
        index += 1
    return None


def _command_end(text: str, start: int) -> int:
    """End of the text-mode command at ``start`` (a backslash): name, star, brace groups."""
    match = re.match(r"\\([A-Za-z]+)\*?", text[start:])
    if not match:
        return start + 2
    index = start + match.end()
    for _ in range(3):
        while (
            index < len(text)
            and text[index] == " "
            and index + 1 < len(text)
            and text[index + 1] == "{"
        ):
            index += 1
        if index < len(text) and text[index] == "{":
            end = _brace_group(text, index)
            if end is None:
                break
            index = end
        else:
            break
    # A math-looking tail (\mathcal{O}(n^2), \alpha_t) belongs to the command.
    tail = re.match(r"(?:\([^()\s]{1,30}\)|[\^_](?:\{[^{}]{1,20}\}|\w))+", text[index:])
    return index + tail.end() if tail else index


def _convert_command(span: str) -> str | None:
    name = re.match(r"\\([A-Za-z]+)", span)
    if name and (re.search(r"[\^_(]", span[name.end() :]) or name.group(1).startswith("math")):
        return _convert_math(span)
    text = _parse_to_text(span)
    if text is None or "\\" in text:
        return None
    if not text.strip() and re.search(r"\{[^{}]*\S", span):
        return None  # the command's content was dropped: better to show it as written
    return re.sub(r"\s+", " ", text)


def _tex_quotes(text: str) -> str:
    if "``" not in text:
        return text
    return re.sub(r"``(.+?)''", r"“\1”", text, flags=re.DOTALL)


@lru_cache(maxsize=8192)
def latex_to_unicode(text: str | None) -> str:
    """Convert the LaTeX in ``text`` to Unicode; leave everything else untouched."""
    if not text:
        return text or ""
    if "$" not in text and "\\" not in text:
        return _tex_quotes(text)
    out: list[str] = []
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char == "$":
            display = text.startswith("$$", index)
            if display:
                end = text.find("$$", index + 2)
                if end > index + 2:
                    converted = _convert_math(text[index + 2 : end])
                    out.append(converted if converted is not None else text[index : end + 2])
                    index = end + 2
                    continue
                out.append("$$")
                index += 2
                continue
            found = _math_end(text, index)
            if found:
                content_end, segment_end = found
                converted = _convert_math(text[index + 1 : content_end])
                out.append(converted if converted is not None else text[index:segment_end])
                index = segment_end
                continue
            out.append(char)
            index += 1
            continue
        if char == "\\" and index + 1 < length:
            following = text[index + 1]
            if following in "([":
                closer = "\\)" if following == "(" else "\\]"
                end = text.find(closer, index + 2)
                if end != -1:
                    converted = _convert_math(text[index + 2 : end])
                    out.append(converted if converted is not None else text[index : end + 2])
                    index = end + 2
                    continue
            if following in _TEXT_ESCAPES:
                out.append(_TEXT_ESCAPES[following])
                index += 2
                continue
            if following.isalpha() or following in _ACCENTS:
                end = _command_end(text, index) if following.isalpha() else _accent_end(text, index)
                span = text[index:end]
                converted = _convert_command(span)
                out.append(converted if converted is not None else span)
                index = end
                continue
        out.append(char)
        index += 1
    return _tex_quotes("".join(out))


def _accent_end(text: str, start: int) -> int:
    """End of ``\\'e`` or ``\\'{e}`` at ``start``."""
    index = start + 2
    if index < len(text) and text[index] == "{":
        return _brace_group(text, index) or index
    return min(index + 1, len(text))
