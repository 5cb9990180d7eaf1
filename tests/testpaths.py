"""Paths and constants the tests share (importable as `testpaths` from any test module)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIGESTS = PROJECT_ROOT.parent / "shared" / "digests"
SAMPLE_DIGESTS = PROJECT_ROOT / "examples" / "digests"
SAMPLE_DATE = "2026-02-09"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# Debian's chromium, driven by Playwright in the browser tests. The flags keep it from
# reaching for the network (this machine has none) and from needing a sandbox as root.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def shared_digest_files() -> list[Path]:
    """Every digest file under ../shared/digests, for parametrised tests (empty if absent)."""
    if not SHARED_DIGESTS.is_dir():
        return []
    return sorted(p for p in SHARED_DIGESTS.rglob("*") if p.suffix in (".md", ".jsonl") and p.name != "README.md")


# The one file under ../shared/digests that is not a digest (a README committed under a date
# name); tests that need real digests leave it out, and tests of bad input use it on purpose.
NOT_A_DIGEST = "xmkxabc/2025-06-09.md"


def real_digest_files() -> list[Path]:
    return [p for p in shared_digest_files() if p.relative_to(SHARED_DIGESTS).as_posix() != NOT_A_DIGEST]
