"""The long fuzz run of the digest readers (not in CI; CI runs a few hundred cases).

    .venv/bin/python benchmarks/fuzz_readers.py [--cases 10000] [--seed 0] [--show 3]

Each case takes a small slice of a real digest (the bundled sample day and, when present,
../shared/digests), applies 1-6 random mutations from ``tests/hostile.py`` (cuts, dropped,
duplicated and moved lines, stray headings, broken UTF-8, 1 MB fields, NULs, CRLF, BOM, JSON
oddities, script payloads) and reads it twice: in memory (``read_digest_text``) and from a
file (``load_digest``). A case passes when the reader returns papers that keep every promise
(canonical ids, present at the line they name, none dropped, all writable as UTF-8) or raises
``DigestError`` naming the source and a line. Anything else is counted by exception type and
the run exits 1. A failing case prints its seed and mutations, to replay it.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import hostile  # noqa: E402


def run(cases: int, seed: int, show: int) -> int:
    rng = random.Random(seed)
    bases = hostile.corpus()
    unexpected: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    shown: Counter[str] = Counter()
    start = time.perf_counter()
    for number in range(cases):
        base_index = rng.randrange(len(bases))
        mutations = hostile.random_mutations(rng)
        suffix, data = bases[base_index]
        mutated = hostile.apply_mutations(data, mutations)
        try:
            in_memory = hostile.check_text(mutated.decode("utf-8", "replace"), suffix)
            from_file = hostile.check_bytes(mutated, suffix)
        except Exception as error:  # noqa: BLE001 - counting every kind is the point
            kind = type(error).__name__
            unexpected[kind] += 1
            if shown[kind] < show:
                shown[kind] += 1
                print(f"case {number}: base {base_index} ({suffix}), mutations {mutations}")
                print("  " + "  ".join(traceback.format_exception_only(error)).rstrip())
            continue
        for result in (in_memory, from_file):
            outcomes["papers" if not isinstance(result, Exception) else "DigestError"] += 1
    elapsed = time.perf_counter() - start
    total = sum(unexpected.values())
    print(f"cases run: {cases} ({len(bases)} base slices, seed {seed}) in {elapsed:.1f} s")
    print(f"reads: {outcomes['papers']} returned papers, {outcomes['DigestError']} raised DigestError")
    print(f"unexpected exceptions: {total}")
    for kind, count in unexpected.most_common():
        print(f"  {kind}: {count}")
    return 1 if total else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--show", type=int, default=3, help="Failing cases printed per type.")
    args = parser.parse_args()
    return run(args.cases, args.seed, args.show)


if __name__ == "__main__":
    sys.exit(main())
