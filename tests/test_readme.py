"""The README's generated parts (command and config references) match the code."""

from __future__ import annotations

import subprocess
import sys

from testpaths import PROJECT_ROOT


def test_readme_references_are_current():
    result = subprocess.run(
        [sys.executable, "scripts/readme.py", "--check"], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr + "\n(run: python scripts/readme.py)"


def test_readme_quick_start_matches_ci():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    ci = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    blocks = readme.split("## Quick start", 1)[1].split("```sh\n")[1:3]
    install, test = (block.split("\n```", 1)[0].strip() for block in blocks)
    assert "newsletter build --date 2026-02-09" in install
    assert install in ci, "CI must run the README's install command word for word"
    assert test in ci.splitlines(), "CI must run the README's test command word for word"
