"""RELIABILITY.md names the tests that prove each promise: every name must exist."""

from __future__ import annotations

import re

from testpaths import PROJECT_ROOT

_REFERENCE = re.compile(r"`(tests/test_\w+\.py)::(test_\w+)`")
_BARE = re.compile(r"`(test_\w+)`")


def test_every_test_named_in_reliability_md_exists():
    text = (PROJECT_ROOT / "RELIABILITY.md").read_text(encoding="utf-8")
    references = _REFERENCE.findall(text)
    assert len(references) > 20
    for path, name in references:
        source = (PROJECT_ROOT / path).read_text(encoding="utf-8")
        assert re.search(rf"^def {name}\(", source, re.MULTILINE), f"{path}::{name}"
    fuzz = (PROJECT_ROOT / "tests" / "test_reliability_fuzz.py").read_text(encoding="utf-8")
    for name in _BARE.findall(text):
        assert re.search(rf"^def {name}\(", fuzz, re.MULTILINE), name


def test_every_reliability_test_is_named_in_reliability_md():
    text = (PROJECT_ROOT / "RELIABILITY.md").read_text(encoding="utf-8")
    named = {name for _, name in _REFERENCE.findall(text)} | set(_BARE.findall(text))
    for path in sorted((PROJECT_ROOT / "tests").glob("test_reliability_*.py")):
        if path.name == "test_reliability_doc.py":
            continue
        for name in re.findall(r"^def (test_\w+)\(", path.read_text(encoding="utf-8"), re.M):
            assert name in named, f"{path.name}::{name} is not in RELIABILITY.md"
