"""Regenerate the golden editions of the sample day (tests/golden/<date>/).

    python scripts/golden.py

Run it after an intended change of output, then review `git diff tests/golden` before
committing: the diff is the change readers will see.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
DATE = "2026-02-09"
# A fixed build time, so Date headers and generated_at do not change between runs.
EPOCH = "1770681600"  # 2026-02-10T00:00:00Z
GOLDEN_FILES = ("email.html", "email.txt", "email.eml", "newsletter.md", "edition.json")
LANGUAGES = ("bilingual", "zh", "en")


def build_goldens(target: Path) -> None:
    from newsletter.config import load_config
    from newsletter.pipeline import build_edition

    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    for language in LANGUAGES:
        with tempfile.TemporaryDirectory() as out:
            config = load_config(
                ROOT / "tests" / "golden" / "golden.yaml",
                {"out_dir": out, "language": language},
                environ={},
            )
            result = build_edition(config, DATE)
            folder = target / language
            folder.mkdir(parents=True, exist_ok=True)
            for name in GOLDEN_FILES:
                shutil.copyfile(result.edition_dir / name, folder / name)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    shutil.rmtree(GOLDEN / DATE, ignore_errors=True)
    build_goldens(GOLDEN / DATE)
    print(f"golden editions written to {GOLDEN / DATE}")
