"""Fuzzing the digest readers: any input yields sound papers or a DigestError with a location.

Hypothesis mutates small slices of real digests (see ``hostile.py`` for the mutations and the
promises ``check_text`` / ``check_bytes`` enforce). CI runs a few hundred cases;
``benchmarks/fuzz_readers.py`` runs the same cases by the ten thousand. The regression tests
at the end are crashes the fuzzer found, kept as plain examples.
"""

from __future__ import annotations

import time

import hostile
import pytest
from hostile import MUTATION_KINDS, STRAY_LINES, apply_mutations, check_bytes, check_text, corpus
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.errors import DigestError
from newsletter.ingest import read_digest_text
from newsletter.model import Digest

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
mutations = st.lists(
    st.tuples(
        st.integers(0, len(MUTATION_KINDS) - 1), st.integers(0, 1 << 16), st.integers(0, 1 << 16)
    ),
    min_size=1,
    max_size=6,
)


def bases(suffix: str) -> list[tuple[str, bytes]]:
    return [base for base in corpus() if base[0] == suffix]


@FUZZ
@given(base=st.sampled_from(bases(".md")), changes=mutations)
def test_mutated_markdown_reads_soundly_or_fails_with_a_location(base, changes):
    hostile.read_checked(base, changes)


@pytest.mark.skipif(not bases(".jsonl"), reason="the JSONL samples live in ../shared/digests")
@FUZZ
@given(base=st.sampled_from(bases(".jsonl") or [None]), changes=mutations)
def test_mutated_jsonl_reads_soundly_or_fails_with_a_location(base, changes):
    hostile.read_checked(base, changes)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=300))
def test_arbitrary_text_never_crashes_either_reader(text):
    for suffix in (".md", ".jsonl"):
        check_text(text, suffix)


@pytest.mark.parametrize("stray", STRAY_LINES, ids=lambda line: line[:24].decode("latin-1"))
def test_every_stray_line_after_a_heading(stray):
    """Each stray line, placed right after a paper heading of each base: sound or an error."""
    for suffix, data in corpus():
        lines = data.split(b"\n")
        first = next((i for i, line in enumerate(lines) if line.startswith((b"### [", b"{"))), 0)
        mutated = b"\n".join(lines[: first + 1] + [stray] + lines[first + 1 :])
        check_text(mutated.decode("utf-8", "replace"), suffix)
        check_bytes(mutated, suffix)


def test_the_mutations_really_hurt():
    """Guard against a fuzzer that only ever feeds clean input: errors and papers both occur."""
    outcomes = {"papers": 0, "error": 0}
    for suffix, data in corpus():
        for kind in range(len(MUTATION_KINDS)):
            result = check_bytes(apply_mutations(data, [(kind, 4099, 77)]), suffix)
            outcomes["papers" if isinstance(result, Digest) else "error"] += 1
    assert outcomes["papers"] > 0 and outcomes["error"] > 0, outcomes


@pytest.mark.parametrize("unit", [b"a", b"*", b"[", b"](", b"### [", b"\\"])
def test_a_one_megabyte_line_reads_in_linear_time(unit):
    suffix, data = bases(".md")[0]
    lines = data.split(b"\n")
    lines[20] += unit * (1_000_000 // len(unit))
    start = time.perf_counter()
    check_text(b"\n".join(lines).decode(), suffix)
    assert time.perf_counter() - start < 5.0


# --- crashes the fuzzer found (fixed in newsletter/ingest/) --------------------------------
def test_jsonl_nested_too_deeply_is_a_digest_error_with_its_line():
    text = '{"id": "2602.00001", "title": "ok"}\n' + "[" * 100_000 + "\n"
    with pytest.raises(DigestError) as caught:
        read_digest_text(text, "day/2026-02-09.jsonl")
    assert caught.value.line == 2 and "nested too deeply" in str(caught.value)


def test_jsonl_categories_that_are_not_a_list_do_not_crash():
    text = '{"id": "2602.00001", "title": "t", "categories": 7, "cate": "cs.CV"}\n'
    (paper,) = read_digest_text(text, "day/2026-02-09.jsonl").papers
    assert paper.id == "2602.00001" and paper.categories == ("cs.CV",)


def test_jsonl_lone_surrogate_escape_becomes_a_replacement_character():
    text = '{"id": "2602.00001", "title": "a\\ud800b", "AI": {"\\udfff": "x\\ud83d\\ude00"}}\n'
    (paper,) = read_digest_text(text, "day/2026-02-09.jsonl").papers
    assert paper.title == "a\ufffdb"
    assert paper.extra == (("\ufffd", "x\U0001f600"),)  # a real pair stays one character
    paper.title.encode("utf-8")


def test_a_bom_on_text_in_memory_does_not_hide_the_first_heading():
    text = "\ufeff### [1] [A paper](https://arxiv.org/abs/2602.00001)\n*A. Author*\n"
    digest = read_digest_text(text, "day/2026-02-09.md")
    assert [p.id for p in digest.papers] == ["2602.00001"]


def test_control_characters_are_removed_from_every_field():
    text = "### [1] [A\x00 title\x1b](https://arxiv.org/abs/2602.00001)\n*A.\x0c Author*\n\nTL;DR: x\ufffey\n"
    (paper,) = read_digest_text(text, "day/2026-02-09.md").papers
    assert (paper.title, paper.authors, paper.summary.tldr) == ("A title", ("A. Author",), "xy")


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(base=st.sampled_from(corpus()), changes=mutations)
def test_a_mutated_digest_builds_and_archives_or_fails_cleanly(base, changes):
    """Past the readers: whatever a reader accepts, the whole build and the archive accept
    too, or stop with the project's own error (no traceback from a later stage)."""
    import tempfile
    from pathlib import Path

    from newsletter.archive import update_site
    from newsletter.config import load_config
    from newsletter.errors import NewsletterError
    from newsletter.pipeline import build_edition

    suffix, data = base
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "digests"
        folder.mkdir()
        (folder / f"2026-02-09{suffix}").write_bytes(apply_mutations(data, changes))
        values = {"source": str(folder), "out_dir": str(Path(tmp) / "out")}
        config = load_config(None, values, environ={}, search=False)
        try:
            result = build_edition(config, "2026-02-09")
        except NewsletterError:
            return
        update_site(config, ["2026-02-09"])
        assert (Path(tmp) / "out" / "site" / "2026-02-09" / "index.html").is_file()
        assert result.edition.paper_count == len(check_bytes(apply_mutations(data, changes),
                                                             suffix).papers)
