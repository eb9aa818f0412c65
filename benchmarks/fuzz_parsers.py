"""Long fuzz run over every file parser (issue #25's acceptance: 0 failures in 10,000 per parser).

Run: .venv/bin/python benchmarks/fuzz_parsers.py [--cases 10000] [--seed 0] [--keep DIR] [PARSER ...]
Prints, per parser, the cases that were refused with a GazeError naming the file, accepted
(and sensible), and failed (traceback, unnamed error, nonsense, hang, memory); failing cases are
written to --keep for reproduction. The mutator and worker are in tests/fuzzing.py.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fuzzing import fuzz  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("parsers", nargs="*", help="parsers to fuzz (default all)")
    parser.add_argument("--cases", type=int, default=10_000, help="mutated files per parser (default 10000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None, help="write failing cases here")
    args = parser.parse_args()
    started = time.perf_counter()

    def progress(name: str, done: int) -> None:
        if done % 1000 == 0:
            print(f"  {name}: {done} cases, {time.perf_counter() - started:.0f} s", flush=True)

    report = fuzz(args.cases, args.seed, tuple(args.parsers) or None, args.keep, progress)
    print(report.table())
    print(f"{report.failures()} failures in {sum(sum(c.values()) for c in report.counts.values())} cases, {time.perf_counter() - started:.0f} s")
    return 1 if report.failures() else 0


if __name__ == "__main__":
    raise SystemExit(main())
