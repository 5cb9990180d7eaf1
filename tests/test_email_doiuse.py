"""The email HTML against the caniemail data (npm ``doiuse-email``) for Gmail, Outlook and
Apple Mail. Known findings are accepted, with reasons, in ``tests/doiuse/accepted.json``; any
other finding fails. Install the checker with ``npm ci --prefix tests/doiuse``; without node
(or the package) the test skips, except in CI, where it fails.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from email_checks import build_day

from testpaths import IN_CI, SAMPLE_DATE, SAMPLE_DIGESTS, SHARED_DIGESTS

DOIUSE = Path(__file__).parent / "doiuse"


def _checker() -> str:
    node = shutil.which("node")
    problem = None
    if node is None:
        problem = "node is not installed"
    elif not (DOIUSE / "node_modules" / "doiuse-email").is_dir():
        problem = "doiuse-email is not installed: run `npm ci --prefix tests/doiuse`"
    if problem:
        if IN_CI:
            pytest.fail(problem)
        pytest.skip(problem)
    return str(node)


def findings(html_file: Path) -> set[str]:
    result = subprocess.run(
        [_checker(), str(DOIUSE / "check.mjs"), str(html_file)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=DOIUSE,
        check=True,
    )
    return set(json.loads(result.stdout)["errors"])


def accepted() -> set[str]:
    data = json.loads((DOIUSE / "accepted.json").read_text(encoding="utf-8"))
    return {item["finding"] for item in data["accepted"]}


def _variants(root: Path) -> list[Path]:
    """The sample day as built, with a web archive and a tight budget (button, hidden papers),
    and the 532-paper day (hundreds of listed papers) when present."""
    builds = [
        build_day(SAMPLE_DIGESTS, SAMPLE_DATE, root / "plain"),
        build_day(
            SAMPLE_DIGESTS,
            SAMPLE_DATE,
            root / "web",
            archive={"base_url": "https://news.example.org"},
            email={"max_bytes": 40_000},
        ),
        build_day(SAMPLE_DIGESTS, SAMPLE_DATE, root / "tight", email={"max_bytes": 30_000}),
    ]
    big = SHARED_DIGESTS / "dw-dengwei"
    if (big / "2026-06-30.md").is_file():
        builds.append(build_day(big, "2026-06-30", root / "big"))
    return [b.edition_dir / "email.html" for b in builds]


def test_no_email_client_findings_beyond_the_accepted_ones(tmp_path: Path) -> None:
    _checker()
    known = accepted()
    seen: set[str] = set()
    for html_file in _variants(tmp_path):
        found = findings(html_file)
        seen |= found
        new = found - known
        assert not new, (
            f"{html_file}: new caniemail findings (fix, or accept with a reason):\n"
            + "\n".join(sorted(new))
        )
    # The checker really ran: an email with a <style> block always has a few known findings.
    assert seen & known
