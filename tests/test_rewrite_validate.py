"""Reply parsing and checks of the rewrite stage (no network)."""

from __future__ import annotations

import json

import pytest

from newsletter.model import Paper, RewriteStats, Summary
from newsletter.rewrite import FAILURE_KINDS, format_stats
from newsletter.rewrite.client import Backoff, parse_retry_after
from newsletter.rewrite.prompts import intro_messages, paper_messages, prompt_version
from newsletter.rewrite.validate import (
    ReplyInvalid,
    check_schema,
    check_text,
    parse_reply,
    repair_backslashes,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (r"$\alpha$", r"$\alpha$"),  # invalid JSON escape
        (r"\frac{1}{2}", r"\frac{1}{2}"),  # \f would be a form feed
        (r"\nabla f", r"\nabla f"),  # \n would be a newline
        (r"\theta and \tau", r"\theta and \tau"),  # \t would be a tab
        (r"\beta-VAE", r"\beta-VAE"),  # \b would be a backspace
        (r"\rho, \underline{x}", r"\rho, \underline{x}"),  # \r, and \u without hex digits
        (r"\mathbf{x}", r"\mathbf{x}"),
        ("line\\nNext", "line\nNext"),  # a real newline escape stays one
        ("tab\\tthere", "tab\tthere"),
        ("\\u4e2d\\u6587", "中文"),
        (r"already \\alpha escaped", r"already \alpha escaped"),
        (r"quote \"x\"", 'quote "x"'),
    ],
)
def test_repair_backslashes_keeps_latex_and_real_escapes(raw, expected):
    assert json.loads(repair_backslashes('{"a": "' + raw + '"}'))["a"] == expected


def test_parse_reply_is_lenient_about_fences_and_chatter():
    assert parse_reply('{"a": 1}') == {"a": 1}
    assert parse_reply('Sure!\n```json\n{"a": "}"}\n```\nDone.') == {"a": "}"}
    assert parse_reply('The answer is {"a": {"b": 2}} as requested.') == {"a": {"b": 2}}


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (None, "empty"),
        ("   ", "empty"),
        ('{"a": "cut off', "bad_json"),
        ("no json here", "bad_json"),
        ("[1, 2]", "bad_json"),
        ("I'm sorry, but I can't help with that.", "refusal"),
        ("抱歉，我无法完成这个请求。", "refusal"),
    ],
)
def test_parse_reply_failures_have_kinds(content, kind):
    with pytest.raises(ReplyInvalid) as caught:
        parse_reply(content)
    assert caught.value.kind == kind


def test_check_schema_enforces_keys_types_and_enums():
    schema = {
        "type": "object",
        "properties": {"section": {"type": "string", "enum": ["cv-3d", "cv-video"]}},
        "required": ["section"],
        "additionalProperties": False,
    }
    check_schema({"section": "cv-3d"}, schema)
    for bad in ({"section": "nlp"}, {}, {"section": 3}, ["cv-3d"]):
        with pytest.raises(ReplyInvalid, match="bad_json"):
            check_schema(bad, schema)


@pytest.mark.parametrize(
    ("text", "language", "kind"),
    [
        ("基于Transformer的3D Gaussian Splatting新方法", "zh", None),
        ("提出$\\mathcal{L}_{\\text{total}}$损失函数", "zh", None),
        ("This paper proposes a new method for video generation.", "zh", "wrong_language"),
        ("This paper 提出 a new method for video generation.", "zh", "wrong_language"),
        ("We propose a method, tested on 王小明's benchmark suite of many tasks.", "en", None),
        ("本文提出了一种新的视频生成方法。", "en", "wrong_language"),
        ("", "en", "empty"),
        ("x" * 501, "en", "too_long"),
    ],
)
def test_check_text_script_and_bounds(text, language, kind):
    if kind is None:
        assert check_text(text, field="f", language=language, min_chars=2, max_chars=500) == text
    else:
        with pytest.raises(ReplyInvalid) as caught:
            check_text(text, field="f", language=language, min_chars=2, max_chars=500)
        assert caught.value.kind == kind
        assert caught.value.kind in FAILURE_KINDS


def test_check_text_collapses_whitespace():
    assert check_text(
        " A  short\n\ttext ", field="f", language="en", min_chars=2, max_chars=50
    ) == ("A short text")


def test_retry_after_parsing_and_backoff():
    assert parse_retry_after({"retry-after": "2"}) == 2.0
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # past
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None
    backoff = Backoff(base_s=1.0, max_s=8.0, max_retry_after_s=5.0)
    assert 1.0 <= backoff.delay(2) <= 2.0  # attempt 2: between half and all of 2 s
    assert 4.0 <= backoff.delay(10) <= 8.0  # capped
    assert 3.0 <= backoff.delay(1, retry_after_s=3.0) <= 3.31  # at least what was asked
    assert backoff.delay(1, retry_after_s=600.0) <= 5.6  # but never absurdly long


def test_prompts_come_from_versioned_templates():
    paper = Paper(
        id="2602.00001",
        title="A title",
        abstract="An abstract.",
        summary=Summary(tldr="中文摘要", method="方法"),
        summary_language="zh",
    )
    messages = paper_messages(paper)
    assert messages.version == "paper.v1"
    assert "arXiv id: 2602.00001\nTitle: A title" in messages.user
    assert "TL;DR: 中文摘要\n方法: 方法" in messages.user
    english = paper_messages(
        Paper(id="2602.00002", title="T", summary=Summary(tldr="x"), summary_language="en")
    )
    assert "Existing Chinese summary" not in english.user
    intro = intro_messages(["First", "Second"], ["Vision"])
    assert intro.version == "intro.v1" and "- First\n- Second" in intro.user
    assert prompt_version() == "paper.v1+intro.v1"


def test_format_stats_is_one_line():
    stats = RewriteStats(
        requests=63,
        cache_hits=2,
        failures=(("bad_json", 1), ("timeout", 2)),
        tokens_in=12345,
        tokens_out=6789,
        cost=0.0123,
        wall_s=4.26,
    )
    assert format_stats(stats) == (
        "LLM: 63 requests, 2 cache hits, 3 failed (bad_json 1, timeout 2), "
        "tokens 12,345 in / 6,789 out, cost 0.0123, 4.3 s"
    )
