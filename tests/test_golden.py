"""Golden tests: the sample day's editions, compared with stored expected output.

Regenerate with `python scripts/golden.py` (or `make golden`) after an intended change, and
review the diff. HTML and the MIME message are compared by structure (parsed), text and JSON
exactly.
"""

from __future__ import annotations

import email
import email.policy
import importlib.util
import json
from pathlib import Path

import pytest
from lxml import html as lxml_html

from testpaths import PROJECT_ROOT

spec = importlib.util.spec_from_file_location("golden", PROJECT_ROOT / "scripts" / "golden.py")
golden = importlib.util.module_from_spec(spec)
spec.loader.exec_module(golden)

GOLDEN_DIR = PROJECT_ROOT / "tests" / "golden" / golden.DATE


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    target = tmp_path_factory.mktemp("golden")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", golden.EPOCH)
        golden.build_goldens(target)
    return target


def html_structure(data: bytes) -> list[tuple]:
    """(tag, sorted attributes, stripped text, stripped tail) for every element, in order."""
    root = lxml_html.fromstring(data)
    return [
        (el.tag, sorted(el.attrib.items()), (el.text or "").strip(), (el.tail or "").strip())
        for el in root.iter()
        if isinstance(el.tag, str)
    ]


def message_structure(data: bytes) -> dict:
    message = email.message_from_bytes(data, policy=email.policy.default)
    # Date, Message-ID and the MIME boundary differ on every build by design.
    headers = [
        (k, str(v) if k != "Content-Type" else message.get_content_type())
        for k, v in message.items()
        if k not in ("Date", "Message-ID")
    ]
    parts = [
        (part.get_content_type(), part.get("Content-Transfer-Encoding"), part.get_content())
        for part in message.iter_parts()
    ]
    return {"headers": headers, "parts": parts}


def portable(edition: dict) -> dict:
    """The edition without the absolute path of the checkout it was built in."""
    return {**edition, "source": Path(edition["source"]).name}


@pytest.mark.parametrize("language", golden.LANGUAGES)
@pytest.mark.parametrize("name", golden.GOLDEN_FILES)
def test_edition_matches_golden(built, language, name):
    expected_path = GOLDEN_DIR / language / name
    assert expected_path.is_file(), f"missing golden {expected_path}: run python scripts/golden.py"
    actual = (built / language / name).read_bytes()
    expected = expected_path.read_bytes()
    if name == "email.html":
        assert html_structure(actual) == html_structure(expected)
    elif name == "email.eml":
        assert message_structure(actual) == message_structure(expected)
    elif name == "edition.json":
        assert portable(json.loads(actual)) == portable(json.loads(expected))
    else:
        assert actual.decode("utf-8") == expected.decode("utf-8")
