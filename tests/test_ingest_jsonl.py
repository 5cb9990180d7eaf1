"""The JSONL reader on small hand-written rows: raw crawl, AI files and fork extensions."""

from __future__ import annotations

import json

import pytest

from newsletter.errors import DigestError
from newsletter.ingest import read_digest_text
from newsletter.model import Summary

SOURCE = "data/2026-02-09_AI_enhanced_Chinese.jsonl"

RAW_ROW = {
    "id": "2602.06361v2",
    "categories": ["cs.GT", "cs.IT", "68T07 (Primary), 68T50", "cs.GT"],
    "pdf": "https://arxiv.org/pdf/2602.06361v2",
    "abs": "https://arxiv.org/abs/2602.06361v2",
    "authors": [" Zihan Li", "Yan Hao Ling "],
    "title": "Envy-Free Allocation\n  of Indivisible Goods",
    "comment": "12 pages,\n  3 figures",
    "summary": "First line of the\nabstract.\n  Second paragraph\nhere.",
}


def _jsonl(*rows: object) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def _read(text: str, source: str = SOURCE):
    return read_digest_text(text, source)


def test_raw_crawl_row() -> None:
    digest = _read(_jsonl(RAW_ROW), "data/2026-02-09.jsonl")
    assert digest.format == "jsonl:raw" and digest.date == "2026-02-09"
    (paper,) = digest.papers
    assert paper.id == "2602.06361" and paper.version == 2
    assert paper.title == "Envy-Free Allocation of Indivisible Goods"
    assert paper.authors == ("Zihan Li", "Yan Hao Ling")
    assert paper.categories == ("cs.GT", "cs.IT")  # MSC codes are not sections; no repeats
    assert paper.abstract == "First line of the abstract.\n\nSecond paragraph here."
    assert paper.comment == "12 pages, 3 figures"
    assert paper.abs_url == "https://arxiv.org/abs/2602.06361v2"
    assert paper.summary.is_empty() and paper.summary_language is None
    assert paper.source_line == 1


def test_ai_row_with_placeholders_and_old_task_key() -> None:
    row = dict(
        RAW_ROW,
        AI={
            "task": "分配不可分物品。",
            "motivation": "Motivation analysis unavailable",
            "method": "",
            "result": "N/A",
            "conclusion": "结论 $\\epsilon$-近似。",
        },
    )
    digest = _read(_jsonl(row))
    assert digest.format == "jsonl:ai"
    paper = digest.papers[0]
    assert paper.summary == Summary(tldr="分配不可分物品。", conclusion="结论 $\\epsilon$-近似。")
    assert paper.summary_language == "zh"


def test_fork_extensions() -> None:
    xmkxabc = {
        "id": "2506.20770",
        "title": "Perry",
        "authors": ["Brian Singer"],
        "summary": "Abs.",
        "comment": None,
        "pdf_url": "http://arxiv.org/pdf/2506.20770v1",
        "url": "http://arxiv.org/abs/2506.20770v1",
        "categories": ["cs.CR", "cs.AI"],
        "cate": "cs.AI",
        "AI": {
            "title_translation": "Perry：框架",
            "tldr": "加速实验。",
            "translation": "翻译。",
            "summary": "AI 摘要。",
            "keywords": "网络欺骗, 实验框架，蜜罐",
            "comments": "点评。",
            "why_matters": "",
        },
    }
    zl = {
        "id": "2509.13326",
        "title": "LLM Chatbot",
        "authors": ["A"],
        "summary": "Abs.",
        "categories": ["cs.HC"],
        "code_url": "https://github.com/x/y",
        "AI": {
            "tldr": "Chatbots.",
            "key_contributions": ["One", "Two"],
            "limitations": "Small n.",
            "keywords": ["chatbots", "low-code"],
            "importance_score": 8,
            "read_time_minutes": 10,
            "novel_field": "kept",
        },
    }
    fork, english = _read(_jsonl(xmkxabc, zl)).papers
    assert fork.title_translation == "Perry：框架" and fork.abstract_translation == "翻译。"
    assert fork.keywords == ("网络欺骗", "实验框架", "蜜罐")
    assert fork.categories == ("cs.AI", "cs.CR")  # 'cate' names the primary category
    assert fork.extra == (("AI_Comments", "点评。"), ("ai_Abstract", "AI 摘要。"))
    assert fork.version == 1 and fork.pdf_url == "https://arxiv.org/pdf/2506.20770v1"
    assert english.summary_language == "en" and english.code_url == "https://github.com/x/y"
    assert english.keywords == ("chatbots", "low-code")
    assert english.extra == (
        ("Relevance Score", "8"),
        ("Read time", "10 min"),
        ("Key Contributions", "1. One\n2. Two"),
        ("Limitations", "Small n."),
        ("novel_field", "kept"),
    )


def test_duplicate_rows_merge_into_one_paper() -> None:
    later = dict(RAW_ROW, id="2602.06361v3", comment=None, AI={"tldr": "后来的摘要。"})
    first = dict(RAW_ROW, comment=None)
    other = dict(RAW_ROW, id="2602.00001", title="Other")
    papers = _read(_jsonl(first, other, later)).papers
    assert [p.id for p in papers] == ["2602.06361", "2602.00001"]
    assert papers[0].summary.tldr == "后来的摘要。"  # filled in from the later row
    assert papers[0].version == 3 and papers[0].source_line == 1


@pytest.mark.parametrize(
    ("second_line", "message"),
    [
        (
            "{not json",
            "not JSON (Expecting property name enclosed in double quotes at column 2); "
            "expected one JSON object per line",
        ),
        ("[1, 2]", "a JSON list; expected one JSON object per line"),
        ('{"title": "No id"}', "row has no 'id'; expected an arXiv id such as 2602.06122"),
        (
            '{"id": "banana", "title": "x"}',
            "'id' is 'banana'; expected an arXiv id such as 2602.06122",
        ),
    ],
)
def test_bad_rows_are_errors_naming_file_and_line(second_line: str, message: str) -> None:
    text = _jsonl(RAW_ROW) + "\n" + second_line + "\n"
    with pytest.raises(DigestError) as caught:
        _read(text)
    assert caught.value.line == 3  # blank line 2 is skipped but still counted
    assert str(caught.value) == f"{SOURCE}:3: {message}"
