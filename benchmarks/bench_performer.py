"""Time for the procedural performer to generate 60 s of motion from speech features.

Run: .venv/bin/python benchmarks/bench_performer.py [--fps 30] [--repeats 20]

What is timed: model_runtime.generate.generate() given precomputed SpeechFeatures, i.e. style
lookup, gaze planning, head motion, eye aiming (VOR and vergence), blinks and building the
MotionClip. Feature extraction (audio decoding, F0, mel) is excluded: benchmarks/bench_audio.py
times it. Features come from real speech in ../shared/data/speech (clips joined to 60 s) when
present, else from a constructed utterance layout. Also printed: a 10-minute clip, and style
estimation from a 60-s clip. Target: under 50 ms for 60 s. Thread pools pinned to one core.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

import numpy as np  # noqa: E402

from model_runtime.audio import AudioSignal, compute_features, load_audio  # noqa: E402
from model_runtime.audio.types import SpeechFeatures  # noqa: E402
from model_runtime.generate import generate  # noqa: E402
from model_runtime.performer import PRESET_NAMES  # noqa: E402
from model_runtime.performer.estimate import estimate_style  # noqa: E402
from tests.conftest import SHARED  # noqa: E402
from tests.test_performer_behaviour import speech_features  # noqa: E402


def real_features(seconds: float, fps: float) -> tuple[SpeechFeatures, str] | None:
    speech = SHARED / "data" / "speech"
    if not speech.is_dir():
        return None
    pieces, total, rate = [], 0.0, 16000
    for path in sorted(speech.glob("*.flac")):
        signal = load_audio(path)
        rate = signal.sample_rate
        pieces.append(signal.samples)
        total += signal.duration
        if total >= seconds:
            break
    samples = np.concatenate(pieces)[: round(seconds * rate)].astype(np.float32)
    return compute_features(AudioSignal(samples=samples, sample_rate=rate), fps), f"real speech ({len(pieces)} clips from {speech})"


def timed(repeats: int, call: object) -> list[float]:
    assert callable(call)
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000.0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    found = real_features(60.0, args.fps)
    features, source = found if found else (speech_features(60.0, args.fps), "constructed utterances")
    print(f"features: {features.duration:.1f} s at {args.fps:g} fps from {source}")
    generate(features, args.fps)  # warm-up: imports, preset files
    print("generate() for 60 s, features excluded (ms, median / max over repeats):")
    for name in PRESET_NAMES:
        times = timed(args.repeats, lambda name=name: generate(features, args.fps, style=name, seed=1))
        print(f"  {name:22s} {statistics.median(times):7.1f} / {max(times):7.1f}")
    long = speech_features(600.0, args.fps, seed=1)
    times = timed(3, lambda: generate(long, args.fps, seed=1))
    print(f"generate() for 10 min (constructed utterances): {statistics.median(times):.0f} ms")
    clip = generate(features, args.fps, seed=1)
    times = timed(args.repeats, lambda: estimate_style(clip, features))
    print(f"estimate_style() on the 60-s clip: {statistics.median(times):.1f} ms")


if __name__ == "__main__":
    main()
