"""Grouping mode "llm" end to end: the real openai client against the fake server, choices
restricted to the taxonomy's ids, per-paper fallback to the offline grouping, and the cache."""

from __future__ import annotations

import json
import re

import pytest

from newsletter.config import load_config
from newsletter.group import group_papers
from newsletter.ingest import load_digest
from newsletter.pipeline import build_edition

from fake_openai import FakeOpenAI, intro_reply, paper_reply
from testpaths import SAMPLE_DATE, SAMPLE_DIGESTS

KEY = {"OPENAI_API_KEY": "sk-test-not-a-real-key"}
_ID = re.compile(r"^arXiv id:\s*(\S+)", re.MULTILINE)
_TITLE = re.compile(r"^Title:\s*(.+)$", re.MULTILINE)


def schema_name(body: dict) -> str | None:
    return ((body.get("response_format") or {}).get("json_schema") or {}).get("name")


@pytest.fixture
def sample():
    digest = load_digest(str(SAMPLE_DIGESTS), SAMPLE_DATE)
    config = load_config(None, {"grouping": {"mode": "taxonomy"}}, environ={}, search=False)
    offline = group_papers(digest.papers, config.grouping)
    section_of = {pid: s.id for s in offline.sections for pid in s.paper_ids}
    return digest, section_of


def test_llm_grouping_follows_the_model_and_falls_back_per_paper(tmp_path, monkeypatch, sample):
    digest, offline_section = sample
    papers = sorted(digest.papers, key=lambda p: p.id)
    # The model moves three papers that are not forensics papers into forensics...
    moved = [p.id for p in papers if offline_section[p.id] != "cv-forensics"][:3]
    # ...answers an id that is not a subtopic for one, and fails outright for another.
    invalid, failing = papers[10].id, papers[11].id
    asked: list[str] = []

    def responder(body: dict) -> dict:
        text = body["messages"][-1]["content"]
        paper_id = _ID.search(text).group(1)
        if schema_name(body) != "subtopic":
            if "Today's papers" in text:
                return intro_reply(3)
            return paper_reply(paper_id, _TITLE.search(text).group(1))
        asked.append(paper_id)
        enum = body["response_format"]["json_schema"]["schema"]["properties"]["subtopic"]["enum"]
        assert "cv-forensics" in enum and "cv-3d" in enum  # choices are the taxonomy's ids
        if paper_id == invalid:
            return {"subtopic": "astrology"}
        return {"subtopic": "cv-forensics" if paper_id in moved else offline_section[paper_id]}

    with FakeOpenAI(responder=responder) as server:
        server.fail_paper(failing, *["server_error"] * 10)
        for name, value in KEY.items():
            monkeypatch.setenv(name, value)
        overrides = {
            "source": str(SAMPLE_DIGESTS),
            "out_dir": str(tmp_path / "out"),
            "grouping": {"mode": "llm"},
            "llm": {"base_url": server.base_url, "max_retries": 1, "timeout_s": 5},
        }
        config = load_config(None, overrides, environ={}, search=False)
        result = build_edition(config, SAMPLE_DATE)

        # Every paper was asked about once; the failing one never got an answer (500s).
        assert sorted(asked) == sorted({p.id for p in papers} - {failing})
        edition = json.loads((result.edition_dir / "edition.json").read_text(encoding="utf-8"))
        placed = {
            p["id"]: s["id"]
            for s in edition["sections"]
            if s["kind"] == "topic"
            for p in s["papers"]
        }
        assert len(placed) == 61  # nobody lost
        for paper_id in moved:
            assert placed[paper_id] == "cv-forensics"
        # The two papers the model could not place keep their offline section.
        assert placed[invalid] == offline_section[invalid]
        assert placed[failing] == offline_section[failing]

        # A re-run asks the model nothing for the papers it already placed.
        before = len(asked)
        build_edition(config, SAMPLE_DATE)
        assert asked[before:] == [invalid]  # answers that were no use are not cached
