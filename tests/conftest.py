"""Fixtures shared by every test module.

An autouse fixture keeps every test away from the user's environment: outputs and caches go
to ``tmp_path``, and secrets or endpoints set in the developer's shell are removed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from testpaths import IN_CI, PROJECT_ROOT, SAMPLE_DATE, SAMPLE_DIGESTS, SHARED_DIGESTS  # noqa: F401


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "NEWSLETTER_SMTP_PASSWORD",
        "NEWSLETTER_CONFIG",
        "NEWSLETTER_SOURCE",
        "NEWSLETTER_TIMEZONE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NEWSLETTER_OUT_DIR", str(tmp_path / "out"))


@pytest.fixture
def shared_digests() -> Path:
    """The real digests beside the project (skips the test when the folder is absent)."""
    if not SHARED_DIGESTS.is_dir():
        pytest.skip(f"{SHARED_DIGESTS} is not present")
    return SHARED_DIGESTS
