"""Build benchmark: wall time per stage and peak memory for the sample day and the 532-paper
day, and the start-up time of `newsletter --help`.

    .venv/bin/python benchmarks/bench_build.py [--repeat N]

Each build runs in a fresh subprocess so peak RSS is that build's own. Targets on a 2-core
machine: sample day < 0.5 s of pipeline time, 532-paper day < 2 s, --help < 0.3 s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "digests"
DAYS = [
    ("sample day (61 papers)", str(ROOT / "examples" / "digests"), "2026-02-09"),
    ("dw-dengwei 2026-06-30 (532 papers)", str(SHARED / "dw-dengwei" / "2026-06-30.md"), "2026-06-30"),
]

CHILD = r"""
import json, resource, sys, time
from newsletter.config import load_config
from newsletter.pipeline import build_edition
source, date, out = sys.argv[1:4]
config = load_config(None, {"source": source, "out_dir": out}, environ={}, search=False)
# Warm imports (premailer, lxml, the taxonomy) are part of a real run, so they are not excluded,
# but report them: a cron run pays them once.
start = time.perf_counter()
result = build_edition(config, date)
total = time.perf_counter() - start
print(json.dumps({
    "timings": result.timings, "total": total, "papers": result.edition.paper_count,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def run_build(source: str, date: str, out: str) -> dict:
    output = subprocess.run(
        [sys.executable, "-c", CHILD, source, date, out],
        capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def cold_and_warm(source: str, date: str) -> tuple[dict, dict]:
    """A first build into an empty out/ (templates compiled), then a second build in a new
    process into the same out/ (compiled templates cached on disk: a daily cron run)."""
    with tempfile.TemporaryDirectory() as out:
        return run_build(source, date, out), run_build(source, date, out)


def help_time(repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "newsletter", "--help"], capture_output=True, check=True, cwd=ROOT)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per day; the best is shown")
    args = parser.parse_args()
    for label, source, date in DAYS:
        if not Path(source).exists():
            print(f"{label}: skipped ({source} not found)")
            continue
        pairs = [cold_and_warm(source, date) for _ in range(args.repeat)]
        for kind, runs in (("first build", [p[0] for p in pairs]), ("next build", [p[1] for p in pairs])):
            best = min(runs, key=lambda r: r["total"])
            stages = ", ".join(f"{name} {sec * 1000:.0f} ms" for name, sec in best["timings"])
            print(
                f"{label}, {kind}: pipeline {best['total']:.3f} s (best of {args.repeat}); {stages}; "
                f"{best['papers']} papers; peak RSS {max(r['peak_rss_mb'] for r in runs):.0f} MB"
            )
    print(f"newsletter --help: {help_time(args.repeat):.3f} s (best of {args.repeat})")


if __name__ == "__main__":
    main()
