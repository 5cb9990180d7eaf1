"""The Markdown reader on small hand-written digests, one pitfall at a time."""

from __future__ import annotations

import pytest

from newsletter.errors import DigestError
from newsletter.ingest import read_digest_text
from newsletter.model import Summary

SOURCE = "data/2026-02-09.md"

CURRENT = """\
<div id=toc></div>

# Table of Contents

- [cs.CV](#cs.CV) [Total: 3]


<div id='cs.CV'></div>

# cs.CV [[Back]](#toc)

### [1] [WildBench [Experiment, Analysis & Benchmark]: $C[0, 1]$ bounds](https://arxiv.org/abs/2602.00001v2)
*Ann Lee,Bo Chen , Chi Wu*

Main category: cs.CV

TL;DR: 我们提出了$\\lambda$-正则化方法，复杂度为$\\mathcal{O}(n)$。


<details>
  <summary>Details</summary>
Motivation: Summary generation failed

Method: Method extraction failed

Result: N/A

Conclusion: 错误：AI分析失败。

Abstract: We study <think> tokens and $\\lambda$-regularised
models whose cost is $\\mathcal{O}(n)$ in the
sequence length.
  A second paragraph starts with two spaces
and wraps here.

</details>


### [2] [Second paper](https://arxiv.org/abs/2602.00002)
*Dee Ng*

Main category: cs.CV

TL;DR: This content has not passed the compliance test and has been hidden.

Direction: Robotics / manipulation

<details>
  <summary>Details</summary>
Motivation: We want robots to fold towels.

Method: Processing failed

Result: Result analysis unavailable

Conclusion: Conclusion extraction failed

Abstract: Towels are hard.

</details>
"""

# Line of the second paper's heading, counted rather than typed (it is 39).
SECOND = 1 + next(n for n, line in enumerate(CURRENT.splitlines()) if line.startswith("### [2]"))


def _read(text: str, source: str = SOURCE):
    return read_digest_text(text, source)


def test_bracketed_title_takes_the_last_arxiv_link_and_keeps_the_version() -> None:
    paper = _read(CURRENT).papers[0]
    assert paper.id == "2602.00001"
    assert paper.title == "WildBench [Experiment, Analysis & Benchmark]: $C[0, 1]$ bounds"
    assert paper.version == 2
    assert paper.abs_url == "https://arxiv.org/abs/2602.00001v2"
    assert paper.pdf_url == "https://arxiv.org/pdf/2602.00001"
    assert paper.authors == ("Ann Lee", "Bo Chen", "Chi Wu")
    assert paper.categories == ("cs.CV",)
    assert paper.source_line == 12


def test_failure_placeholders_are_missing_fields_not_summaries() -> None:
    first, second = _read(CURRENT).papers
    assert first.summary.motivation is None
    assert first.summary.method is None and first.summary.result is None
    assert first.summary.conclusion is None
    assert first.summary.tldr is not None
    assert second.summary == Summary(motivation="We want robots to fold towels.")
    everything = Summary(*(None,) * 5)
    assert (
        _read(CURRENT.replace("We want robots to fold towels.", "N/A")).papers[1].summary
        == everything
    )
    assert (
        _read(CURRENT.replace("We want robots to fold towels.", "N/A")).papers[1].summary_language
        is None
    )


def test_latex_and_html_looking_text_survive_and_abstract_is_unwrapped() -> None:
    paper = _read(CURRENT).papers[0]
    assert paper.summary.tldr == "我们提出了$\\lambda$-正则化方法，复杂度为$\\mathcal{O}(n)$。"
    assert paper.summary_language == "zh"
    assert paper.abstract == (
        "We study <think> tokens and $\\lambda$-regularised models whose cost is "
        "$\\mathcal{O}(n)$ in the sequence length.\n\n"
        "A second paragraph starts with two spaces and wraps here."
    )


def test_unknown_labels_are_kept_in_order_and_totals_declared() -> None:
    digest = _read(CURRENT)
    assert digest.papers[1].extra == (("Direction", "Robotics / manipulation"),)
    assert digest.declared_totals == (("cs.CV", 3),)
    assert digest.format == "markdown:current"
    assert digest.date == "2026-02-09"
    assert digest.warnings == ()


def test_an_abstract_line_that_looks_like_a_label_stays_in_the_abstract() -> None:
    text = CURRENT.replace("Towels are hard.", "Towels are hard.\nResults: they stay hard.")
    assert _read(text).papers[1].abstract == "Towels are hard. Results: they stay hard."


def test_tldr_variant_and_pre_ai_template() -> None:
    tldr = CURRENT.replace("TL;DR:", "TLDR:")
    assert _read(tldr).papers[0].summary.tldr.startswith("我们提出了")
    pre_ai = (
        "### [A pre-AI paper](https://arxiv.org/abs/2503.00001)\n"
        "*Ann Lee,Bo Chen*\n\n"
        "<details><summary>Abstract</summary>\n"
        "Line one of the abstract\nline two.\n"
        "</details>\n"
    )
    digest = _read(pre_ai, "data/2025-03-18.md")
    (paper,) = digest.papers
    assert digest.format == "markdown:pre-ai"
    assert paper.abstract == "Line one of the abstract line two."
    assert paper.summary.is_empty() and paper.summary_language is None


def test_task_template_with_motivation_outside_details() -> None:
    text = (
        "### [Old style](https://arxiv.org/abs/2503.13531)\n*A,B*\n\n"
        "Task: Find things.\n\nMotivation: Because.\n\n<details>\n  <summary>Details</summary>\n"
        "Method: Look.\n\nResult: Found.\n\nConclusion: Done.\n\nAbstract: Text.\n\n</details>\n"
    )
    digest = _read(text, "data/2025-03-19.md")
    assert digest.format == "markdown:task"
    assert digest.papers[0].summary == Summary(
        "Find things.", "Because.", "Look.", "Found.", "Done."
    )
    assert digest.papers[0].summary_language == "en"


def test_heading_linking_outside_arxiv_is_an_error_with_its_line() -> None:
    text = CURRENT.replace("https://arxiv.org/abs/2602.00002", "https://example.org/paper")
    with pytest.raises(DigestError) as caught:
        _read(text)
    assert caught.value.line == SECOND == 39
    assert str(caught.value).startswith(f"{SOURCE}:{SECOND}: paper heading links to")
    assert "expected an arXiv link" in str(caught.value)


def test_not_a_digest_and_empty_days() -> None:
    readme = "# About\nThis tool will daily crawl https://arxiv.org.\n\n# How to use\n..."
    with pytest.raises(DigestError) as caught:
        _read(readme, "data/2025-06-09.md")
    assert str(caught.value) == (
        "data/2025-06-09.md:1: not an arXiv digest: expected "
        "'### [N] [Title](https://arxiv.org/abs/...)' paper headings"
    )
    empty = _read("# AI-Enhanced arXiv Daily 2025-06-18\n\n### 今日没有找到新论文。\n", "x.md")
    assert empty.papers == () and empty.date == "2025-06-18"
    toc_only = _read("<div id=toc></div>\n\n# Table of Contents\n\n", "data/2025-01-01.md")
    assert toc_only.papers == ()


def test_truncated_file_keeps_complete_papers_and_warns() -> None:
    cut = CURRENT[: CURRENT.index("Towels are hard.")]
    digest = _read(cut)
    assert [p.id for p in digest.papers] == ["2602.00001", "2602.00002"]
    assert digest.papers[1].summary.motivation == "We want robots to fold towels."
    assert digest.papers[1].abstract == ""
    assert digest.warnings == (
        f"{SOURCE}:{SECOND}: paper 2602.00002 ends before </details> "
        "(file cut short?); kept what was read",
    )

    heading_only = CURRENT[: CURRENT.index("*Dee Ng*")]
    digest = _read(heading_only)
    assert digest.papers[1].title == "Second paper" and digest.papers[1].authors == ()
    assert digest.warnings[0].startswith(f"{SOURCE}:{SECOND}: paper 2602.00002 has no author line")

    cut_in_heading = CURRENT[: CURRENT.index("(https://arxiv.org/abs/2602.00002)")]
    digest = _read(cut_in_heading)
    assert [p.id for p in digest.papers] == ["2602.00001"]
    assert digest.warnings == (f"{SOURCE}:{SECOND}: '###' heading without a link; ignored",)


def test_duplicate_listings_merge_and_fill_missing_fields() -> None:
    twice = CURRENT + CURRENT[CURRENT.index("### [1]") :].replace("### [1]", "### [3]").replace(
        "Motivation: Summary generation failed", "Motivation: 后来补上的动机。"
    )
    digest = _read(twice)
    assert [p.id for p in digest.papers] == ["2602.00001", "2602.00002"]
    first = digest.papers[0]
    assert first.summary.motivation == "后来补上的动机。"  # filled from the later listing
    assert first.source_line == 12  # but it stays the first listing


def test_bold_label_fork_layout() -> None:
    text = """\
# AI-Enhanced arXiv Daily 2025-06-29

<a id='toc'></a>
## 今日总计: 1 篇论文
### 目录
- [cs.CR](#cscr) (1 篇)

---
<a id='cscr'></a>
## cs.CR\x20

### [7] [Perry](https://arxiv.org/abs/2506.20770)
> *Perry：一个框架*

*Brian Singer, Yusuf Saquib* | **Category: cs.CR, cs.AI**

**Keywords:** 网络欺骗, 实验框架

**Comment:** Accepted at X and
  Y 2025

> **TL;DR:** Perry 加速实验。

**AI_Comments:** 很有用。

<details>
  <summary>Details</summary>

**Motivation:** 动机。

#### Figure 1
![fig](https://example.org/f.png)

**Method:** 方法。

**Result:**\x20

**Conclusion:** 结论。

> **ai_Abstract:** 摘要。

> **摘要翻译:** 翻译。

</details>

[⬆️ 返回分类顶部](#cscr) | [⬆️ 返回总目录](#toc)

---
"""
    digest = _read(text, "data/2025-06-29.md")
    assert digest.format == "markdown:bold-label"
    assert digest.declared_totals == (("cs.CR", 1),)
    (paper,) = digest.papers
    assert paper.title_translation == "Perry：一个框架"
    assert paper.categories == ("cs.CR", "cs.AI")
    assert paper.keywords == ("网络欺骗", "实验框架")
    assert paper.comment == "Accepted at X and Y 2025"
    assert paper.summary == Summary(
        "Perry 加速实验。",
        "动机。\n\n#### Figure 1\n![fig](https://example.org/f.png)",
        "方法。",
        None,
        "结论。",
    )
    assert paper.extra == (("AI_Comments", "很有用。"), ("ai_Abstract", "摘要。"))
    assert paper.abstract_translation == "翻译。"
    assert paper.abstract == ""
