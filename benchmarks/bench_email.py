"""Email size and render-time benchmark: one line per sample day, bilingual, no LLM.

    .venv/bin/python benchmarks/bench_email.py [--runs 3]

For each sample: the encoded message (email.eml, what Gmail's ~102 KB clip and the budget
measure), the HTML part, papers shown in full / only linked, the budget search's time
(``email_within_budget``, best of the runs; the first run in a fresh process also pays for
compiling templates and loading pylatexenc) and the whole build.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = (
    ("sample day", ROOT / "examples" / "digests", "2026-02-09"),
    ("532-paper day", ROOT.parent / "shared" / "digests" / "dw-dengwei", "2026-06-30"),
)


def bench(source: Path, date: str, runs: int) -> str:
    from newsletter.compose import compose_edition
    from newsletter.config import load_config
    from newsletter.group import group_papers
    from newsletter.ingest import load_digest
    from newsletter.pipeline import build_edition, preview_message_bytes
    from newsletter.render import Renderer

    with tempfile.TemporaryDirectory() as out:
        values = {
            "source": str(source),
            "out_dir": out,
            "language": "bilingual",
            "llm": {"enabled": False},
        }
        config = load_config(None, values)
        start = time.perf_counter()
        result = build_edition(config, date)
        build_s = time.perf_counter() - start
        eml = (result.edition_dir / "email.eml").read_bytes()
        html = (result.edition_dir / "email.html").read_bytes()

        digest = load_digest(config.source, date)
        edition = compose_edition(
            digest, group_papers(digest.papers, config.grouping), language=config.language
        )
        times = []
        for _ in range(runs):
            renderer = Renderer(config)
            start = time.perf_counter()
            renderer.email_within_budget(edition, lambda e: len(preview_message_bytes(e, config)))
            times.append(time.perf_counter() - start)
    report = result.email_report
    return (
        f"{len(eml):>7,} B encoded (budget {config.email.max_bytes:,}), {len(html):>7,} B HTML, "
        f"{report.shown:>3} papers in full, {report.linked:>3} linked of {result.edition.paper_count}; "
        f"email render {min(times) * 1000:.0f} ms (first {times[0] * 1000:.0f} ms), "
        f"whole build {build_s * 1000:.0f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    for name, source, date in SAMPLES:
        if not source.is_dir():
            print(f"{name:>14} ({date}): skipped, {source} is not present")
            continue
        print(f"{name:>14} ({date}): {bench(source, date, args.runs)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
