"""Screenshots of the email in headless chromium at 375 px and 600 px, light and dark.

They are kept under ``out/screenshots/`` for people to look at; the test asserts what can be
asserted: no horizontal overflow on a phone, and dark mode really changes the background.
Needs Playwright's Python package and a system chromium (never ``playwright install``).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from email_checks import build_day, chromium_path, screenshots

from newsletter.writer import atomic_write_bytes

from testpaths import IN_CI, PROJECT_ROOT, SAMPLE_DATE, SAMPLE_DIGESTS, SHARED_DIGESTS

SHOTS_DIR = PROJECT_ROOT / "out" / "screenshots"


def _require_browser() -> None:
    problem = None
    try:
        import playwright  # noqa: F401
    except ImportError:
        problem = "playwright (Python package) is not installed"
    if problem is None and chromium_path() is None:
        problem = "chromium is not installed (apt-get install chromium)"
    if problem:
        if IN_CI:
            pytest.fail(problem)
        pytest.skip(problem)


def _top_left_pixel(png: bytes) -> tuple[int, int, int]:
    """RGB of the first pixel of an 8-bit RGB(A) PNG (enough to tell light from dark)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", png[16:26])
    chunks, position = [], 8
    while position < len(png):
        length = struct.unpack(">I", png[position : position + 4])[0]
        kind = png[position + 4 : position + 8]
        if kind == b"IDAT":
            chunks.append(png[position + 8 : position + 8 + length])
        position += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    assert depth == 8 and colour in (2, 6)
    return raw[1], raw[2], raw[3]  # after the row's filter byte (none/sub keep pixel 0 as is)


@pytest.mark.parametrize(
    ("name", "source", "date"),
    [
        ("sample", SAMPLE_DIGESTS, SAMPLE_DATE),
        ("big", SHARED_DIGESTS / "dw-dengwei", "2026-06-30"),
    ],
)
def test_screenshots_fit_phones_and_follow_dark_mode(
    name: str, source: Path, date: str, tmp_path: Path
) -> None:
    _require_browser()
    if not source.is_dir():
        pytest.skip(f"{source} is not present")
    result = build_day(source, date, tmp_path)
    html = (result.edition_dir / "email.html").read_text(encoding="utf-8")
    shots = screenshots(html)
    for shot in shots:
        atomic_write_bytes(SHOTS_DIR / f"{name}-{shot.width}-{shot.scheme}.png", shot.png)
    for shot in shots:
        assert shot.scroll_width <= shot.client_width, (
            f"{shot.width}px {shot.scheme}: content is {shot.scroll_width}px wide (horizontal overflow)"
        )
    light = {s.width: _top_left_pixel(s.png) for s in shots if s.scheme == "light"}
    dark = {s.width: _top_left_pixel(s.png) for s in shots if s.scheme == "dark"}
    for width in light:
        assert sum(light[width]) > 600, light[width]  # a light page background
        assert sum(dark[width]) < 150, dark[width]  # dark mode switched it
