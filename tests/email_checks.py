"""Helpers the email tests share: building a day in bilingual mode, and looking at the result.

Screenshots use the system chromium through Playwright (never ``playwright install``); the
flags keep it from reaching the network or needing a GPU or /dev/shm.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from newsletter.config import load_config
from newsletter.pipeline import BuildResult, build_edition

from testpaths import CHROMIUM, CHROMIUM_ARGS

WIDTHS = (375, 600)
SCHEMES = ("light", "dark")


def build_day(source: Path, date: str, out_dir: Path, **overrides: object) -> BuildResult:
    """Build ``date`` from ``source`` into ``out_dir`` in bilingual mode, without the LLM."""
    values: dict[str, object] = {
        "source": str(source),
        "out_dir": str(out_dir),
        "language": "bilingual",
        "llm": {"enabled": False},
    }
    values.update(overrides)
    return build_edition(load_config(None, values), date)


def chromium_path() -> Path | None:
    found = shutil.which("chromium") or (str(CHROMIUM) if CHROMIUM.exists() else None)
    return Path(found) if found else None


@dataclass(frozen=True)
class Shot:
    width: int
    scheme: str
    png: bytes
    scroll_width: int  # document width as laid out; > width means horizontal overflow
    client_width: int


def screenshots(html: str, *, full_page: bool = True) -> list[Shot]:
    """The email at each width and colour scheme, as chromium renders it (offline)."""
    from playwright.sync_api import sync_playwright

    shots = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_path()), args=CHROMIUM_ARGS, headless=True
        )
        try:
            for width in WIDTHS:
                for scheme in SCHEMES:
                    page = browser.new_page(
                        viewport={"width": width, "height": 900}, color_scheme=scheme
                    )
                    # Offline: an email must not need the network to render.
                    page.route("**/*", lambda route: route.abort())
                    page.set_content(html, wait_until="load")
                    scroll, client = page.evaluate(
                        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
                    )
                    png = page.screenshot(full_page=full_page)
                    shots.append(Shot(width, scheme, png, scroll, client))
                    page.close()
        finally:
            browser.close()
    return shots
