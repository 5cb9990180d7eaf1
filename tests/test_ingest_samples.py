"""The ingest readers against the real day files in ../shared/digests (skipped when absent)."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import pytest

from newsletter.errors import DigestError
from newsletter.ingest import load_digest
from newsletter.model import SUMMARY_FIELDS, canonical_arxiv_id

DIGESTS = Path(__file__).parents[1].parent / "shared" / "digests"
pytestmark = pytest.mark.skipif(not DIGESTS.is_dir(), reason="../shared/digests not present")

NOT_A_DIGEST = "xmkxabc/2025-06-09.md"
EMPTY_DAY = "xmkxabc/2025-06-18.md"
ABS_LINK = re.compile(r"arxiv\.org/abs/(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})")
# Days that have both a Markdown and an AI JSONL file, with the JSONL's name.
PAIRS = {
    "dw-dengwei/2026-02-09.md": "dw-dengwei/2026-02-09_AI_enhanced_Chinese.jsonl",
    "dw-dengwei/2025-03-19.md": "dw-dengwei/2025-03-19_AI_enhanced_Chinese.jsonl",
    "xmkxabc/2025-06-29.md": "xmkxabc/2025-06-29_AI_enhanced_Chinese.jsonl",
    "ZL-Asica/2025-09-18.md": "ZL-Asica/2025-09-18_AI_enhanced.jsonl",
}


def _sample_files() -> list[str]:
    if not DIGESTS.is_dir():
        return []
    files = [*DIGESTS.glob("*/*.md"), *DIGESTS.glob("*/*.jsonl")]
    return sorted(str(path.relative_to(DIGESTS)) for path in files)


def _date_of(relative: str) -> str:
    return Path(relative).name[:10]


@functools.cache  # Digests are frozen values: share them between tests to keep the suite fast
def _load(relative: str):
    return load_digest(str(DIGESTS / relative), _date_of(relative))


def _ids_counted_independently(path: Path) -> set[str]:
    """Distinct arXiv ids by a plain regex (Markdown) or the ``id`` field (JSONL)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        return set(ABS_LINK.findall(text))
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return {re.sub(r"v\d+$", "", row["id"]) for row in rows}


def _norm(text: str | None) -> str | None:
    return None if text is None else " ".join(text.split())


@pytest.mark.parametrize("relative", _sample_files())
def test_every_sample_yields_one_paper_per_distinct_id(relative: str) -> None:
    path = DIGESTS / relative
    if relative == NOT_A_DIGEST:
        with pytest.raises(DigestError) as caught:
            _load(relative)
        assert caught.value.line == 1
        assert str(caught.value).startswith(f"{path}:1: not an arXiv digest")
        return
    digest = _load(relative)
    ids = [paper.id for paper in digest.papers]
    assert len(ids) == len(set(ids)), "a paper is listed twice"
    expected = _ids_counted_independently(path)
    if relative == EMPTY_DAY:
        assert expected == set() and digest.papers == ()
    assert set(ids) == expected
    assert digest.date == _date_of(relative)
    assert digest.warnings == ()
    for paper in digest.papers:
        assert canonical_arxiv_id(paper.id) == paper.id
        assert paper.title and paper.source_line and paper.source_line >= 1
        assert paper.abs_url.startswith("https://arxiv.org/abs/" + paper.id)
        assert paper.pdf_url.startswith("https://arxiv.org/pdf/" + paper.id)
        assert all(name == name.strip() and name for name in paper.authors)
        assert (paper.summary_language is None) == paper.summary.is_empty()


@pytest.mark.parametrize("markdown", sorted(PAIRS))
def test_markdown_and_jsonl_of_one_day_agree(markdown: str) -> None:
    # Measured on these four days: every Markdown lists exactly the JSONL's papers (no paper was
    # dropped for a failed summary), so the id sets must be equal, not merely overlap.
    from_md, from_jsonl = _load(markdown), _load(PAIRS[markdown])
    md_papers = {paper.id: paper for paper in from_md.papers}
    jsonl_papers = {paper.id: paper for paper in from_jsonl.papers}
    assert set(md_papers) == set(jsonl_papers)
    for paper_id, md_paper in md_papers.items():
        jsonl_paper = jsonl_papers[paper_id]
        assert _norm(md_paper.title) == _norm(jsonl_paper.title), paper_id
        for name in SUMMARY_FIELDS:
            md_value = getattr(md_paper.summary, name)
            assert _norm(md_value) == _norm(getattr(jsonl_paper.summary, name)), (paper_id, name)
        assert md_paper.summary_language == jsonl_paper.summary_language
        assert md_paper.authors == jsonl_paper.authors
        # Fork fields the Markdown prints must read the same from the JSONL.
        assert md_paper.extra == jsonl_paper.extra, paper_id
        assert md_paper.keywords == jsonl_paper.keywords
        assert md_paper.title_translation == jsonl_paper.title_translation
        if md_paper.abstract_translation is not None:
            assert _norm(md_paper.abstract_translation) == _norm(jsonl_paper.abstract_translation)
        if md_paper.comment is not None:
            assert md_paper.comment == jsonl_paper.comment
        # The Markdown shows fewer categories (only the main one, upstream) but the same first.
        if md_paper.categories:
            assert md_paper.categories[0] == jsonl_paper.categories[0]
            assert set(md_paper.categories) <= set(jsonl_paper.categories)


@pytest.mark.parametrize(
    ("relative", "expected_format"),
    [
        ("dw-dengwei/2026-02-09.md", "markdown:current"),
        ("dw-dengwei/2025-03-19.md", "markdown:task"),
        ("xmkxabc/2025-06-29.md", "markdown:bold-label"),
        ("ZL-Asica/2025-09-18.md", "markdown:zl-asica"),
        ("dw-dengwei/2026-02-09.jsonl", "jsonl:raw"),
        ("dw-dengwei/2026-02-09_AI_enhanced_Chinese.jsonl", "jsonl:ai"),
    ],
)
def test_format_names_the_variant(relative: str, expected_format: str) -> None:
    assert _load(relative).format == expected_format


def test_duplicated_upstream_day_is_merged_keeping_the_first_listing() -> None:
    relative = "dw-dengwei/2025-03-19.md"
    text = (DIGESTS / relative).read_text(encoding="utf-8")
    assert len(ABS_LINK.findall(text)) == 206  # every paper appears up to three times
    digest = _load(relative)
    assert len(digest.papers) == 172
    first = digest.papers[0]
    assert first.id == "2503.13531" and first.source_line == 1
    # The three listings carry different AI runs; the first one wins.
    assert first.summary.tldr is not None and first.summary.tldr.startswith("使用Stable Diffusion")


def test_summaries_language_and_fork_fields() -> None:
    zl = _load("ZL-Asica/2025-09-18.md")
    assert {paper.summary_language for paper in zl.papers} == {"en"}
    paper = next(p for p in zl.papers if p.id == "2509.13326")
    labels = [label for label, _ in paper.extra]
    assert labels == ["Relevance Score", "Read time", "Key Contributions", "Limitations"]
    contributions = dict(paper.extra)["Key Contributions"].split("\n")
    assert contributions == [
        "1. Comparison of low-code vs custom-coded chatbot development",
        "2. Framework for selecting development strategy",
        "3. Evaluation of chatbot prototypes for educational use",
    ]
    assert dict(paper.extra)["Relevance Score"] == "8"
    assert dict(paper.extra)["Limitations"].startswith("Low-code platforms are limited")
    no_limits = next(p for p in zl.papers if p.id == "2509.13324")
    assert "Limitations" not in dict(no_limits.extra)  # "**Limitations:** " left empty
    first = next(p for p in zl.papers if p.id == "2509.13323")
    assert first.summary.method is None and first.summary.motivation  # empty field -> None
    assert zl.declared_totals == (("cs.HC", 20), ("cs.CL", 58))

    fork = _load("xmkxabc/2025-06-29.md")
    perry = fork.papers[0]
    assert perry.title_translation == "Perry：一个加速网络欺骗实验的高级框架"
    assert perry.comment is None  # "**Comment:** " with nothing after it
    assert perry.keywords[:2] == ("网络欺骗", "实验框架")
    assert [label for label, _ in perry.extra] == ["AI_Comments", "ai_Abstract"]
    assert perry.abstract_translation and perry.abstract_translation.startswith("网络欺骗旨在")
    poster = next(p for p in fork.papers if p.id == "2506.20806")
    assert poster.categories == ("cs.CR", "cs.AI")
    assert poster.comment == (
        "Poster accepted at the 10th IEEE European Symposium on Security and "
        "Privacy (Euro S&P 2025)"
    )
    assert fork.declared_totals[0] == ("cs.CR", 12) and len(fork.declared_totals) == 50


def test_abstracts_are_unwrapped_with_paragraph_breaks() -> None:
    old = _load("dw-dengwei/2025-03-19.md").papers[0]
    assert "\n" not in old.abstract  # hard-wrapped at 80 columns in the file
    assert old.abstract.startswith(
        "The rise of multimodal generative AI is transforming the "
        "intersection of technology and art"
    )
    new = {p.id: p for p in _load("dw-dengwei/2026-02-09.md").papers}
    raw = {p.id: p for p in _load("dw-dengwei/2026-02-09_AI_enhanced_Chinese.jsonl").papers}
    with_paragraphs = [p for p in new.values() if "\n\n" in p.abstract]
    assert with_paragraphs, "the 2026-02-09 day has abstracts with paragraph breaks"
    for paper in with_paragraphs:
        assert paper.abstract == raw[paper.id].abstract
        assert all(part == part.strip() and part for part in paper.abstract.split("\n\n"))


def test_latex_is_kept_verbatim() -> None:
    digest = _load("dw-dengwei/2026-06-30.md")
    abstracts = [p.abstract for p in digest.papers if "$" in p.abstract]
    assert abstracts and any("\\" in text for text in abstracts)
