"""Benchmark the static archive: 250 generated days built in full, then one more day added.

    .venv/bin/python benchmarks/bench_archive.py [--days 250] [--keep DIR]

The days are the sample digests (examples/ and ../shared/digests), each grouped once with the
taxonomy, then repeated with shifted dates and shifted arXiv ids (so no day repeats another's
papers) and written as ``<out>/<date>/edition.json`` the way the pipeline writes them.
Target on a 2-core machine: adding one day under 1 s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsletter.archive import site_size, update_site  # noqa: E402
from newsletter.compose import compose_edition  # noqa: E402
from newsletter.config import Config, load_config  # noqa: E402
from newsletter.edition_json import edition_to_json  # noqa: E402
from newsletter.errors import NewsletterError  # noqa: E402
from newsletter.history import IDS_FILE, ids_json  # noqa: E402
from newsletter.model import Digest, Grouping  # noqa: E402
from newsletter.writer import atomic_write_bytes  # noqa: E402

SAMPLE_FILES = (
    ROOT / "examples" / "digests" / "2026-02-09.md",
    ROOT.parent / "shared" / "digests" / "dw-dengwei" / "2025-10-14.md",
    ROOT.parent / "shared" / "digests" / "dw-dengwei" / "2025-03-19.md",
    ROOT.parent / "shared" / "digests" / "xmkxabc" / "2025-06-09.md",
    ROOT.parent / "shared" / "digests" / "ZL-Asica" / "2025-09-18.md",
)


def load_samples(config: Config) -> list[tuple[Digest, Grouping]]:
    from newsletter.group import group_papers
    from newsletter.ingest import load_digest

    samples = []
    for path in SAMPLE_FILES:
        if not path.is_file():
            continue
        try:
            digest = load_digest(str(path), path.stem[:10])
        except NewsletterError as exc:  # a sample format the ingest stage does not read yet
            print(f"skipping sample {path.name}: {exc}", file=sys.stderr)
            continue
        if digest.papers:
            samples.append((digest, group_papers(digest.papers, config.grouping)))
    if not samples:
        raise SystemExit("no sample digests found")
    return samples


def shifted(digest: Digest, grouping: Grouping, day: date, serial: int) -> tuple[Digest, Grouping]:
    """The sample as the digest of ``day``, its papers renumbered to ids no other day has."""
    new_ids = {
        paper.id: f"{9000 + serial // 100:04d}.{serial % 100:02d}{n:03d}"
        for n, paper in enumerate(digest.papers)
    }
    papers = tuple(
        replace(
            paper,
            id=new_ids[paper.id],
            abs_url=f"https://arxiv.org/abs/{new_ids[paper.id]}",
            pdf_url=f"https://arxiv.org/pdf/{new_ids[paper.id]}",
        )
        for paper in digest.papers
    )
    sections = tuple(
        replace(section, paper_ids=tuple(new_ids[pid] for pid in section.paper_ids))
        for section in grouping.sections
    )
    highlights = tuple(replace(h, paper_id=new_ids[h.paper_id]) for h in grouping.highlights)
    return (
        replace(digest, date=day.isoformat(), papers=papers),
        replace(grouping, sections=sections, highlights=highlights),
    )


def write_day(
    config: Config, samples: list[tuple[Digest, Grouping]], day: date, serial: int
) -> None:
    digest, grouping = shifted(*samples[serial % len(samples)], day, serial)
    edition = compose_edition(digest, grouping, language="bilingual")
    folder = config.out_dir / day.isoformat()
    atomic_write_bytes(folder / "edition.json", edition_to_json(edition).encode("utf-8"))
    atomic_write_bytes(folder / IDS_FILE, ids_json([p.id for p in digest.papers]).encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=250)
    parser.add_argument(
        "--keep", type=Path, help="Build in this folder (kept) instead of a temp one."
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-archive-") as tmp:
        out = args.keep or Path(tmp)
        config = load_config(None, {"out_dir": str(out)}, search=False, environ={})
        samples = load_samples(config)
        first = date(2025, 1, 1)
        start = time.perf_counter()
        for serial in range(args.days):
            write_day(config, samples, first + timedelta(days=serial), serial)
        generate_s = time.perf_counter() - start
        print(f"generated {args.days} editions from {len(samples)} samples in {generate_s:.1f} s")

        full = update_site(config, full=True)
        print(
            f"full build: {full.seconds:.2f} s, {len(full.written)} files, "
            f"site {site_size(config.site_dir) / 1e6:.1f} MB"
        )

        new_day = first + timedelta(days=args.days)
        write_day(config, samples, new_day, args.days)
        added = update_site(config, [new_day.isoformat()])
        print(
            f"add one day: {added.seconds:.3f} s, {len(added.written)} files "
            f"({', '.join(added.rendered_days)} pages; {len(added.rendered_topics)} topics), "
            f"site {site_size(config.site_dir) / 1e6:.1f} MB"
        )
        # As the CLI does it: a fresh process, so template compilation counts too.
        fresh_day = first + timedelta(days=args.days + 1)
        write_day(config, samples, fresh_day, args.days + 1)
        code = (
            "import sys, time; t = time.perf_counter(); "
            "from newsletter.archive import update_site; from newsletter.config import load_config; "
            f"c = load_config(None, {{'out_dir': {str(out)!r}}}, search=False, environ={{}}); "
            f"r = update_site(c, [{fresh_day.isoformat()!r}]); "
            "print(f'{r.seconds:.3f} {time.perf_counter() - t:.3f}')"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
        )
        update_s, with_imports_s = done.stdout.split()
        print(f"add one day in a fresh process: {update_s} s ({with_imports_s} s with imports)")
        search_index = config.site_dir / "search-index.json"
        print(f"search index: {search_index.stat().st_size / 1e6:.1f} MB")
        met = added.seconds < 1 and float(update_s) < 1
        print("target: add one day < 1 s:", "met" if met else "NOT met")


if __name__ == "__main__":
    main()
