"""Time to compute all speech features for 60 s of audio on one core, and streaming memory.

Run: .venv/bin/python benchmarks/bench_audio.py [--audio FILE] [--fps 30]
Uses real speech from ../shared/data/speech (clips joined to 60 s) when present, else a synthetic
voiced signal. Thread pools are pinned to one core before numpy loads.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import numpy as np  # noqa: E402  (after pinning the thread pools)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model_runtime.audio import SAMPLE_RATE, StreamingFeatures, compute_features, load_audio  # noqa: E402
from model_runtime.audio.types import AudioSignal  # noqa: E402

SHARED = Path(os.environ.get("GAZE_SHARED", ROOT.parent / "shared"))


def sixty_seconds(audio: Path | None) -> AudioSignal:
    n = 60 * SAMPLE_RATE
    paths = [audio] if audio else sorted((SHARED / "data" / "speech").glob("*.flac"))
    pieces: list[np.ndarray] = []
    for path in paths:
        pieces.append(load_audio(path).samples)
        if sum(map(len, pieces)) >= n:
            break
    if pieces:
        samples = np.resize(np.concatenate(pieces), n)
        return AudioSignal(samples.astype(np.float32), SAMPLE_RATE, "60 s of speech")
    t = np.arange(n) / SAMPLE_RATE
    f0 = 120 + 30 * np.sin(2 * np.pi * 0.3 * t)
    voice = np.sign(np.sin(2 * np.pi * np.cumsum(f0) / SAMPLE_RATE)) * (np.sin(2 * np.pi * 2 * t) > 0)
    return AudioSignal((0.1 * voice).astype(np.float32), SAMPLE_RATE, "60 s synthetic")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--audio", type=Path, help="time this file (looped or cut to 60 s) instead")
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--stream-minutes", type=float, default=60.0, help="length of the bounded-memory streaming run")
    args = parser.parse_args()

    signal = sixty_seconds(args.audio)
    # Streaming: the 60 s looped into a long stream, pushed in 100 ms chunks; peak memory must not grow with length.
    # Runs first, so that the peak resident memory it reports is its own.
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stream = StreamingFeatures(args.fps)
    chunk = SAMPLE_RATE // 10
    frames = 0
    start = time.perf_counter()
    total = round(args.stream_minutes * 60 * SAMPLE_RATE)
    for offset in range(0, total, chunk):
        position = offset % len(signal.samples)
        frames += stream.push(signal.samples[position : position + chunk]).n_frames
    frames += stream.finish().n_frames
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"streaming {args.stream_minutes:g} min in 100 ms chunks: {frames} frames in {elapsed:.1f} s; "
        f"peak resident memory {before / 1024:.0f} MB before, {after / 1024:.0f} MB after (grew {(after - before) / 1024:.1f} MB)"
    )

    compute_features(signal, args.fps)  # warm-up: caches, allocator
    times, cpu = [], []
    for _ in range(args.repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        compute_features(signal, args.fps)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    best, median = min(times), float(np.median(times))
    print(f"features for 60 s of audio ({signal.path}) at {args.fps:g} fps, one thread:")
    # CPU time is what one core spends; wall time also counts waiting for a core on a busy machine.
    print(f"  CPU time: best {min(cpu) * 1000:.1f} ms, median {float(np.median(cpu)) * 1000:.1f} ms; real-time factor {60 / min(cpu):.0f} (best)")
    print(
        f"  wall time: best {best * 1000:.1f} ms, median {median * 1000:.1f} ms over {args.repeats} runs; real-time factor {60 / best:.0f} (best), {60 / median:.0f} (median)"
    )


if __name__ == "__main__":
    main()
