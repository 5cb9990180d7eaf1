"""Hostile inputs shared by the reliability tests and the long fuzz run.

Two kinds:

- **Digest mutations**: small slices of real digests (3-6 papers) and a list of mutations to
  apply to their bytes (cut, drop/duplicate/swap lines, stray headings, broken UTF-8, huge
  fields, NULs, CRLF, BOM, JSON oddities). A mutation is a plain ``(kind, a, b)`` tuple of
  ints, so hypothesis can shrink it and the long run (``benchmarks/fuzz_readers.py``) can draw
  the same ones with ``random``.
- **Hostile text**: payloads that try to get script, event handlers, ``javascript:`` links or
  header lines into an edition (``SCRIPTY``), and ``check_read`` which states what a reader
  may do with any input: return papers whose ids are canonical, present in the text, at the
  line it says and never dropped, or raise ``DigestError`` with the source and a line.
"""

from __future__ import annotations

import json
import random
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import astuple
from functools import cache
from pathlib import Path

from newsletter.errors import DigestError
from newsletter.ingest import load_digest, read_digest_text
from newsletter.ingest.text import split_lines
from newsletter.model import Digest, canonical_arxiv_id, is_canonical_arxiv_id

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLE = PROJECT_ROOT / "examples" / "digests" / "2026-02-09.md"
SHARED = PROJECT_ROOT.parent / "shared" / "digests"
# A few real digests of different forks and eras (absent ones are skipped).
SHARED_PICKS = (
    "seed/2026-02-09.md",
    "dw-dengwei/2025-03-19.md",
    "dw-dengwei/2026-06-30.md",
    "ZL-Asica/2025-09-18.md",
    "xmkxabc/2025-06-29.md",
    "xmkxabc/2025-06-09.md",
    "dw-dengwei/2026-02-09_AI_enhanced_Chinese.jsonl",
    "dw-dengwei/2026-02-09.jsonl",
    "ZL-Asica/2025-09-18_AI_enhanced.jsonl",
)

# --- text that tries to become markup, script or a header ---------------------------------
SCRIPTY = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    '<p style="width: expression(alert(1))">css</p>',
    "<iframe src=//evil.example></iframe>",
    "<svg/onload=alert(1)>",
    "{{ 7*7 }} {% raw %}",
    "$x<y$ & a<b>c",
    "\r\nBcc: victim@example.org",
)
HOSTILE_TEXT = " ".join(SCRIPTY)

# --- stray lines a damaged or hostile digest may hold ------------------------------------
STRAY_LINES: tuple[bytes, ...] = (
    b"###",
    b"### ",
    b"### [7] [x](not a url)",
    b"### [8] [Off-site](https://example.org/abs/2602.00001)",
    b"### [9] [Bad id](https://arxiv.org/abs/garbage)",
    b"### [10] [Old style](https://arxiv.org/abs/hep-th/9901001v2)",
    b"### [11] [Huge version](https://arxiv.org/abs/2602.99999v99999999999999999999)",
    b"### [12] [Brackets [0, 1] in it](https://arxiv.org/abs/2602.99998)",
    b"### [[]](https://arxiv.org/abs/2602.99997)",
    b"### [13] [unclosed(https://arxiv.org/abs/2602.99996",
    b"<details>",
    b"</details>",
    b"<summary>Abstract</summary> a raw abstract",
    b"<summary>",
    b"# cs.CV [[Back]](#toc)",
    b"- [cs.XX](#cs.XX) [Total: 99999999999999999999999]",
    b"- [cs.XX](#cs.XX) (3 \xe7\xaf\x87)",
    b"TL;DR:",
    b"**TL;DR:** bold style switched on",
    b"**Relevance Score:** 7",
    b"> **\xe6\x91\x98\xe8\xa6\x81\xe7\xbf\xbb\xe8\xaf\x91:** x",
    b"Abstract: ",
    b"*",
    b"**",
    b"*a*|**b: c**",
    b"> *",
    b'{"id": "2602.00001", "title": "json in markdown"}',
    b'{"id": 5}',
    b'{"id": null, "title": "t"}',
    b'{"id": "2602.00002"}',
    b'{"id": "2602.00003", "title": ["list", "title"]}',
    b'{"id": "2602.00004", "title": "t", "authors": 5, "categories": 7, "AI": "x"}',
    b'{"id": "2602.00005", "title": "t", "categories": [1, null], "keywords": 3}',
    b'{"id": "2602.00006", "title": "t", "AI": {"tldr": {"a": 1}, "keywords": {"k": 2}}}',
    b'{"id": "2602.00007", "title": "t", "summary": 5, "comment": [], "cate": 9}',
    b'{"id": "2602.00008v3", "title": "t", "AI": {"key_contributions": [null, 1], '
    b'"read_time_minutes": 1e400}}',
    b'{"id": "2602.00009", "title": "t", "abs": 5, "pdf": ["x"], "code_url": {}}',
    b'{"id": NaN, "title": "t"}',
    b'{"id": "2602.00010", "title": "t", "AI": {"tldr": "x", "tldr": "y"}}',
    b"[]",
    b'"a string"',
    b"null",
    b"[" * 5000,
    b"{" * 5000,
    b'{"id": "2602.00011", "title": "\\ud800"}',
    b"\x00\x00\x00",
    b"\xef\xbb\xbf### [1] [BOM](https://arxiv.org/abs/2602.99995)",
    b"\xff\xfe",
    b"\xc3",
    b"\xed\xa0\x80",
)
HUGE_UNITS: tuple[bytes, ...] = (b"a", b"*", b"[", b"](", b"### [", b"\xe4\xb8\xad", b" ", b"\\")

MUTATION_KINDS = (
    "cut",  # keep only the first a% of the bytes
    "cut_tail",  # keep only the last a% of the bytes
    "drop_line",
    "duplicate_line",
    "swap_lines",
    "move_block",  # move a run of lines elsewhere
    "stray_line",  # insert one of STRAY_LINES
    "bad_byte",  # overwrite one byte with an invalid UTF-8 byte
    "flip_byte",
    "huge_field",  # append a 1 MB run to a line
    "nul",
    "crlf",  # every line ending becomes CRLF (or a lone CR)
    "bom",
    "truncate_line",
    "hostile_text",  # splice a script payload into a line
)
Mutation = tuple[int, int, int]  # (index into MUTATION_KINDS, a, b): a and b pick positions


@cache
def corpus() -> tuple[tuple[str, bytes], ...]:
    """(suffix, bytes) slices of real digests: a header and 3-6 papers each."""
    files = [SAMPLE] + [SHARED / name for name in SHARED_PICKS if (SHARED / name).is_file()]
    out: list[tuple[str, bytes]] = []
    for path in files:
        data = path.read_bytes()
        if path.suffix == ".jsonl":
            rows = [row for row in data.split(b"\n") if row.strip()]
            for start, count in ((0, 3), (len(rows) // 2, 5)):
                if rows[start : start + count]:
                    out.append((".jsonl", b"\n".join(rows[start : start + count]) + b"\n"))
            continue
        lines = data.split(b"\n")
        headings = [i for i, line in enumerate(lines) if line.startswith(b"### [")]
        if not headings:
            out.append((".md", data[:20_000]))
            continue
        header = lines[: min(headings[0], 20)]
        for first, count in ((0, 3), (len(headings) // 2, 6)):
            chosen = headings[first : first + count + 1]
            end = chosen[count] if len(chosen) > count else len(lines)
            out.append((".md", b"\n".join(header + lines[chosen[0] : end])))
    return tuple(out)


def apply_mutations(data: bytes, mutations: Iterable[Mutation]) -> bytes:
    for kind, a, b in mutations:
        data = _apply(MUTATION_KINDS[kind % len(MUTATION_KINDS)], data, a, b)
    return data


def _apply(kind: str, data: bytes, a: int, b: int) -> bytes:
    if kind == "cut":
        return data[: len(data) * (a % 101) // 100]
    if kind == "cut_tail":
        return data[len(data) * (a % 101) // 100 :]
    if kind == "bad_byte" and data:
        pos = a % len(data)
        return data[:pos] + bytes([0x80 + b % 0x80]) + data[pos + 1 :]
    if kind == "flip_byte" and data:
        pos = a % len(data)
        return data[:pos] + bytes([data[pos] ^ (1 << b % 8)]) + data[pos + 1 :]
    if kind == "crlf":
        return data.replace(b"\n", b"\r\n" if b % 2 else b"\r")
    if kind == "bom":
        return b"\xef\xbb\xbf" + data
    lines = data.split(b"\n")
    i, j = a % len(lines), b % len(lines)
    if kind == "drop_line":
        del lines[i]
    elif kind == "duplicate_line":
        lines.insert(j, lines[i])
    elif kind == "swap_lines":
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "move_block":
        block = lines[i : i + 1 + b % 12]
        del lines[i : i + len(block)]
        at = (a // 7) % (len(lines) + 1)
        lines[at:at] = block
    elif kind == "stray_line":
        lines.insert(j, STRAY_LINES[a % len(STRAY_LINES)])
    elif kind == "huge_field":
        unit = HUGE_UNITS[b % len(HUGE_UNITS)]
        lines[i] = lines[i] + unit * (1_000_000 // len(unit))
    elif kind == "nul":
        line = lines[i]
        pos = b % (len(line) + 1)
        lines[i] = line[:pos] + b"\x00" + line[pos:]
    elif kind == "truncate_line":
        lines[i] = lines[i][: b % (len(lines[i]) + 1)]
    elif kind == "hostile_text":
        line = lines[i]
        pos = b % (len(line) + 1)
        payload = SCRIPTY[a % len(SCRIPTY)].encode()
        lines[i] = line[:pos] + payload + line[pos:]
    return b"\n".join(lines)


def random_mutations(rng: random.Random, most: int = 6) -> list[Mutation]:
    """What the long run draws: the same shape hypothesis draws in the CI test."""
    return [
        (rng.randrange(len(MUTATION_KINDS)), rng.randrange(1 << 16), rng.randrange(1 << 16))
        for _ in range(rng.randint(1, most))
    ]


# --- what a reader may do with any input ---------------------------------------------------
class InvariantViolation(AssertionError):
    """The reader returned, but what it returned breaks a promise."""


# Characters XML 1.0 cannot hold at all (the Atom feed): C0 controls but tab/LF/CR, U+FFFE/F.
XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# A paper heading that is intact: one arXiv abs link, a title without brackets.
_INTACT_HEADING = re.compile(
    r"^### (?:\[\d+\]\s+)?\[[^\[\]]*\]\(https?://arxiv\.org/abs/([^)\s]+)\)\s*$"
)


def must_keep_ids(text: str, suffix: str) -> set[str]:
    """Ids a reader may not drop: intact heading lines, or JSON rows with an id and a title."""
    ids: set[str] = set()
    for line in split_lines(text):
        if suffix == ".md":
            match = _INTACT_HEADING.match(line)
            paper_id = canonical_arxiv_id(match.group(1)) if match else None
        else:
            paper_id = _row_id(line)
        if paper_id:
            ids.add(paper_id)
    return ids


def _row_id(line: str) -> str | None:
    try:
        row = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(row, dict) or not isinstance(row.get("id"), str):
        return None
    if not isinstance(row.get("title"), str) or not row["title"].strip():
        return None
    return canonical_arxiv_id(row["id"])


def check_digest(digest: Digest, text: str, source: str, suffix: str) -> None:
    """Raise ``InvariantViolation`` unless ``digest`` is a sound reading of ``text``."""
    lines = split_lines(text)
    ids = [paper.id for paper in digest.papers]
    if len(ids) != len(set(ids)):
        raise InvariantViolation(f"{source}: a paper listed twice: {ids}")
    for paper in digest.papers:
        if not is_canonical_arxiv_id(paper.id):
            raise InvariantViolation(f"{source}: mangled id {paper.id!r}")
        line = paper.source_line
        if line is None or not 1 <= line <= len(lines) or paper.id not in lines[line - 1]:
            raise InvariantViolation(f"{source}: paper {paper.id} not found at its line {line}")
        if not paper.abs_url or not paper.pdf_url:
            raise InvariantViolation(f"{source}: paper {paper.id} without its arXiv links")
        for value in _strings(astuple(paper)):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise InvariantViolation(f"{source}: paper {paper.id}: text no output can write: "
                                         f"{ascii(value)[:80]}") from None
            if XML_UNSAFE.search(value):
                raise InvariantViolation(f"{source}: paper {paper.id}: a control character "
                                         f"the feed cannot hold: {ascii(value)[:80]}")
    lost = must_keep_ids(text, suffix) - set(ids)
    if lost:
        raise InvariantViolation(f"{source}: intact papers lost: {sorted(lost)}")


def _strings(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from _strings(item)


def check_error(error: DigestError, source: str, line_count: int) -> None:
    if error.source != source or not str(error).startswith(source):
        raise InvariantViolation(f"error does not name its source {source!r}: {error}")
    if error.line is None or not 1 <= error.line <= line_count + 1:
        raise InvariantViolation(f"error without a line in range 1..{line_count}: {error}")


def check_text(text: str, suffix: str) -> Digest | DigestError:
    """Read ``text`` in memory; returns the digest or the DigestError, after checking it."""
    source = f"fuzz/2026-02-09{suffix}"
    try:
        digest = read_digest_text(text, source)
    except DigestError as error:
        check_error(error, source, len(split_lines(text)))
        return error
    check_digest(digest, text.removeprefix("\ufeff"), source, suffix)
    return digest


def check_bytes(data: bytes, suffix: str, folder: Path | None = None) -> Digest | DigestError:
    """Write ``data`` to a day file and ``load_digest`` it; the bytes path (decoding, BOM)."""
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        path = Path(tmp) / f"2026-02-09{suffix}"
        path.write_bytes(data)
        source = str(path)
        try:
            digest = load_digest(source, "2026-02-09")
        except DigestError as error:
            check_error(error, source, len(split_lines(data.decode("utf-8", "replace"))))
            _check_decoding_error(error, data)
            return error
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as decode_error:
            raise InvariantViolation(f"invalid UTF-8 read without error: {decode_error}") from None
        check_digest(digest, text.removeprefix("\ufeff"), source, suffix)
        return digest


def _check_decoding_error(error: DigestError, data: bytes) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as decode_error:
        expected = data[: decode_error.start].count(b"\n") + 1
        if error.line != expected or "UTF-8" not in str(error):
            raise InvariantViolation(f"bad byte on line {expected}, error says: {error}") from None


def read_checked(base: tuple[str, bytes], mutations: Sequence[Mutation]) -> None:
    """One fuzz case: both paths, every promise checked (raises on a broken one)."""
    suffix, data = base
    mutated = apply_mutations(data, mutations)
    check_text(mutated.decode("utf-8", "replace"), suffix)
    check_bytes(mutated, suffix)


# --- hostile digests and the checks every output must pass ---------------------------------
HOSTILE_DATE = "2026-02-10"
HOSTILE_URLS = ("javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>")
CONTENT_MARK = "alert(1)"  # every payload calls it: wherever it shows, it must be inert text


def hostile_jsonl_rows() -> list[dict]:
    """Three papers whose every text field carries a payload (ids stay valid: they are checked)."""
    rows = []
    for n, payload in enumerate((SCRIPTY[0], SCRIPTY[1], SCRIPTY[2]), start=1):
        rows.append(
            {
                "id": f"2602.1000{n}",
                "title": f"Paper {n} {payload} [x](javascript:alert(1)) {{{{ 7*7 }}}}",
                "authors": [f"Eve {payload}", "Mallory <iframe src=//evil></iframe>"],
                "categories": ["cs.CV", "cs.LG"],
                "abs": HOSTILE_URLS[n - 1],
                "pdf": HOSTILE_URLS[(n) % 3],
                "code_url": HOSTILE_URLS[(n + 1) % 3],
                "comment": f"Accepted {payload}",
                "summary": f"We study x<y and a>b. {HOSTILE_TEXT}\n  Second paragraph {payload}.",
                "AI": {
                    "tldr": f"本文研究了视觉模型 {payload} 并取得了显著提升。",
                    "motivation": f"动机 {SCRIPTY[4]}",
                    "method": f"方法 {SCRIPTY[5]} {SCRIPTY[6]}",
                    "result": f"结果 {SCRIPTY[3]}",
                    "conclusion": f"结论 {SCRIPTY[9]}",
                    "title_translation": f"中文标题 {payload}",
                    "keywords": ["<script>alert(1)</script>", "javascript:alert(1)"],
                    "AI_Comments": f"<b onmouseover=alert(1)>bold</b> {payload}",
                },
            }
        )
    return rows


def hostile_markdown() -> str:
    """The same attack in the Markdown digest layout (heading, author line, labelled fields)."""
    papers = []
    for n, payload in enumerate(SCRIPTY[:4], start=1):
        papers.append(
            f"### [{n}] [Paper {n} {payload}](https://arxiv.org/abs/2602.2000{n})\n"
            f"*Eve {payload},Mallory <svg/onload=alert(1)>*\n\n"
            f"Main category: cs.CV\n\n"
            f"TL;DR: 本文研究了视觉模型 {payload} 并取得了显著提升。\n\n"
            f"<details>\n  <summary>Details</summary>\n"
            f"Motivation: 动机 {SCRIPTY[4]}\n\nMethod: 方法 {SCRIPTY[5]}\n\n"
            f"Result: 结果 {SCRIPTY[6]}\n\nConclusion: 结论 {SCRIPTY[7]}\n\n"
            f"Code: javascript:alert(1)\n\n"
            f"Abstract: We study x<y. {HOSTILE_TEXT}\n\n</details>\n\n"
        )
    return "<div id=toc></div>\n\n# Table of Contents\n\n- [cs.CV](#cs.CV) [Total: 4]\n\n" + "".join(papers)


def unsafe_html(html: str) -> list[str]:
    """What in ``html`` could run script: script/iframe/object elements carrying content,
    on* attributes, javascript:/vbscript:/data: URLs, CSS expressions. Empty when safe."""
    from lxml import html as lxml_html

    problems = []
    document = lxml_html.document_fromstring(html)
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue  # comments, processing instructions
        tag = element.tag.lower()
        if tag in ("iframe", "object", "embed", "frame", "applet", "svg", "math", "base"):
            problems.append(f"<{tag}> element")
        if tag == "script" and (element.get("src") is None and CONTENT_MARK in (element.text or "")):
            problems.append(f"script running content: {element.text[:60]!r}")
        if tag == "style" and "expression(" in (element.text or "").lower():
            problems.append("CSS expression in <style>")
        for name, value in element.attrib.items():
            lowered = "".join(value.split()).lower()
            if name.lower().startswith("on"):
                problems.append(f"<{tag} {name}=...> event handler")
            if name.lower() in ("href", "src", "action", "formaction", "xlink:href", "background",
                                "poster", "srcset") and lowered.startswith(
                ("javascript:", "vbscript:", "data:text/html")
            ):
                problems.append(f"<{tag} {name}={value[:40]!r}>")
            if name.lower() == "style" and ("expression(" in lowered or "javascript:" in lowered):
                problems.append(f"<{tag} style={value[:40]!r}>")
    return problems


def unsafe_markdown(text: str) -> list[str]:
    """Render Markdown as GitHub-like renderers do (raw HTML allowed) and check the HTML."""
    import markdown

    return unsafe_html("<html><body>" + markdown.markdown(text) + "</body></html>")
