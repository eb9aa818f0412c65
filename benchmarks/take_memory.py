"""Peak memory of reading a long Live Link Face take (issue #25: 10^6 rows in at most 300 MB).

Run: .venv/bin/python benchmarks/take_memory.py [--rows 1000000]
Writes a synthetic 61-column Live Link Face CSV at 60 fps to a temporary folder, then prints its
size and the peak resident memory and time of ``python -m model_runtime info`` on it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.peak_memory import peak_rss_mb  # noqa: E402
from model_runtime.clip import MotionClip  # noqa: E402
from model_runtime.takes import save_take  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    t = np.arange(args.rows) / 60.0
    gaze = np.repeat(rng.normal(0, 8, (args.rows // 10 + 1, 2)), 10, axis=0)[: args.rows]
    blink = np.clip(np.sin(3 * t) * 3 - 2, 0, 1)
    data = np.column_stack([5 * np.sin(t), 5 * np.sin(0.7 * t), 2 * np.sin(0.3 * t), gaze, gaze + 2.0, blink, blink])
    with tempfile.TemporaryDirectory() as scratch:
        take = Path(scratch) / "long_take.csv"
        save_take(MotionClip(fps=60.0, data=data), take, "livelink")
        started = time.perf_counter()
        peak = peak_rss_mb([sys.executable, "-m", "model_runtime", "info", str(take)], ROOT)
        print(f"{args.rows} rows, {take.stat().st_size / 2**20:.0f} MiB: info peaks at {peak:.0f} MB in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
