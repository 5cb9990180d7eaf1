"""Agreement of the offline grouping with expert labellings, and its speed on a large day.

    .venv/bin/python benchmarks/bench_grouping.py [--mode taxonomy|category] [--show]

For every labelling in tests/labels/*.yaml it prints the adjusted Rand index (ARI) between
the grouping and the expert's primary sections, and the share of papers placed in their
primary or an acceptable section. Then it times the 532-paper day. --show prints the sections.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping, Sequence
from math import comb
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsletter.config import GroupingConfig  # noqa: E402
from newsletter.group import group_papers  # noqa: E402
from newsletter.ingest import load_digest  # noqa: E402
from newsletter.model import Grouping, Paper  # noqa: E402

DIGESTS = ROOT.parent / "shared" / "digests"
LABELS = ROOT / "tests" / "labels"
LARGE_DAY = ("dw-dengwei/2026-06-30.md", "2026-06-30")


def adjusted_rand_index(truth: Sequence[str], found: Sequence[str]) -> float:
    """ARI (Hubert & Arabie 1985) of two labellings of the same items."""
    n = len(truth)
    if n < 2:
        return 1.0
    pairs: dict[tuple[str, str], int] = {}
    for a, b in zip(truth, found, strict=True):
        pairs[(a, b)] = pairs.get((a, b), 0) + 1
    rows: dict[str, int] = {}
    cols: dict[str, int] = {}
    for (a, b), count in pairs.items():
        rows[a] = rows.get(a, 0) + count
        cols[b] = cols.get(b, 0) + count
    index = sum(comb(c, 2) for c in pairs.values())
    sum_rows = sum(comb(c, 2) for c in rows.values())
    sum_cols = sum(comb(c, 2) for c in cols.values())
    expected = sum_rows * sum_cols / comb(n, 2)
    maximum = (sum_rows + sum_cols) / 2
    if maximum == expected:
        return 1.0
    return (index - expected) / (maximum - expected)


def load_labelling(path: Path) -> tuple[dict, list[Paper]]:
    labels = yaml.safe_load(path.read_text(encoding="utf-8"))
    digest = load_digest(str(DIGESTS / labels["digest"]), str(labels["date"]))
    wanted = set(labels.get("primary_categories") or [])
    papers = [p for p in digest.papers if not wanted or p.primary_category in wanted]
    return labels, papers


def agreement(grouping: Grouping, labels: Mapping[str, Mapping]) -> tuple[float, float, int]:
    """(ARI, share in primary-or-acceptable section, papers compared)."""
    section_of = {pid: s.id for s in grouping.sections for pid in s.paper_ids}
    ids = sorted(pid for pid in labels if pid in section_of)
    truth = [labels[pid]["primary"] for pid in ids]
    found = [section_of[pid] for pid in ids]
    good = sum(
        section_of[pid] == labels[pid]["primary"]
        or section_of[pid] in (labels[pid].get("acceptable") or [])
        for pid in ids
    )
    return adjusted_rand_index(truth, found), good / len(ids), len(ids)


def show(grouping: Grouping, papers: Sequence[Paper], labels: Mapping[str, Mapping] | None) -> None:
    titles = {p.id: p.title for p in papers}
    for section in grouping.sections:
        print(f"  [{section.id}] {section.title.en} / {section.title.zh}: {len(section.paper_ids)}")
        for pid in section.paper_ids:
            mark = ""
            if labels and pid in labels:
                entry = labels[pid]
                ok = section.id == entry["primary"] or section.id in (entry.get("acceptable") or [])
                mark = "   " if ok else f" X want {entry['primary']}"
            print(f"      {pid}{mark} {titles[pid][:80]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", default="taxonomy", choices=("taxonomy", "category"))
    parser.add_argument("--show", action="store_true", help="print every section and paper")
    args = parser.parse_args()
    if not DIGESTS.is_dir():
        print(f"sample digests not found at {DIGESTS}", file=sys.stderr)
        return 1
    config = GroupingConfig(mode=args.mode)
    for path in sorted(LABELS.glob("*.yaml")):
        labels, papers = load_labelling(path)
        grouping = group_papers(papers, config)
        ari, share, count = agreement(grouping, labels["papers"])
        sizes = sorted((len(s.paper_ids) for s in grouping.sections), reverse=True)
        print(
            f"{path.name}: {count} papers, {len(grouping.sections)} sections {sizes}\n"
            f"  ARI {ari:.3f}   in primary-or-acceptable section {share:.1%}"
        )
        if args.show:
            show(grouping, papers, labels["papers"])
    digest = load_digest(str(DIGESTS / LARGE_DAY[0]), LARGE_DAY[1])
    started = time.perf_counter()
    grouping = group_papers(digest.papers, config)
    elapsed = time.perf_counter() - started
    areas = len({s.area for s in grouping.sections})
    print(
        f"{LARGE_DAY[0]}: {len(digest.papers)} papers -> {len(grouping.sections)} sections "
        f"in {areas} areas, {elapsed * 1000:.0f} ms"
    )
    if args.show:
        show(grouping, digest.papers, None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
