"""Speed and memory of the learned engine on this machine (runtime only: onnxruntime + numpy).

    .venv/bin/python benchmarks/bench_learned.py [--seconds 60] [--repeats 5]

Prints, for SECONDS of speech (shared speech clips joined end to end; a synthetic voice-like
signal when the shared data is absent):
  * audio -> finished clip at 30 fps (features, style, generator, blinks, resampling), best of
    REPEATS, and its real-time factor; each stage separately;
  * the streaming cost per frame: audio feature rows pushed one at a time into the generator;
  * the peak resident memory of this process (it never imports torch).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's runtime, not an installed one

from model_runtime.audio import compute_features, load_audio, signal_from_array  # noqa: E402
from model_runtime.audio.types import SAMPLE_RATE, AudioSignal  # noqa: E402
from model_runtime.generate import Controls, generate  # noqa: E402
from model_runtime.learned.engine import controlled, resolve_style_vector, world_shifts  # noqa: E402
from model_runtime.learned.features import audio_matrix  # noqa: E402
from model_runtime.learned.models import shipped_models  # noqa: E402
from model_runtime.learned.streaming import GeneratorStream, generate_frames  # noqa: E402

SHARED = Path(os.environ.get("GAZE_SHARED", ROOT.parent / "shared"))


def speech(seconds: float) -> AudioSignal:
    pieces, total = [], 0
    speech_dir = SHARED / "data" / "speech"
    for path in sorted(speech_dir.glob("*.flac")):
        samples = load_audio(path).samples
        pieces.append(samples)
        total += len(samples)
        if total >= seconds * SAMPLE_RATE:
            break
    if not pieces:  # no shared data: an amplitude-modulated harmonic tone with pauses
        t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
        envelope = (np.sin(2 * np.pi * 0.4 * t) > -0.3) * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t))
        pieces = [(0.2 * envelope * np.sin(2 * np.pi * (120 + 20 * np.sin(t)) * t)).astype(np.float32)]
    return signal_from_array(np.concatenate(pieces)[: int(seconds * SAMPLE_RATE)], SAMPLE_RATE, path="benchmark speech")


def best(repeats: int, action: object) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    models = shipped_models()
    fps = models.config.fps
    signal = speech(args.seconds)
    print(f"machine: {os.cpu_count()} CPU cores; audio {signal.duration:.1f} s; model at {fps:g} fps; output 30 fps")

    generate(signal, 30.0, engine="learned", seed=0)  # warm-up: sessions, caches
    total = best(args.repeats, lambda: generate(signal, 30.0, engine="learned", style="calm_presenter", seed=1))
    print(f"audio -> finished clip (default preset): {total * 1000:.1f} ms  (real-time factor {signal.duration / total:.0f})")

    features = compute_features(signal, fps)
    rows = audio_matrix(features)
    style = resolve_style_vector(models, "calm_presenter", features).vector
    stages = {
        "speech features": lambda: compute_features(signal, fps),
        "style (preset)": lambda: resolve_style_vector(models, "calm_presenter", features),
        "style (PerformerStyle, rendered + encoded)": lambda: resolve_style_vector(models, Path(ROOT / "assets" / "presets" / "thoughtful.json"), features),
        "generator": lambda: generate_frames(models.generator, rows, style, seed=1),
    }
    angles = generate_frames(models.generator, rows, style, seed=1).astype(np.float64)
    stages["controls + gaze shifts"] = lambda: world_shifts(controlled(angles, Controls())[1], fps)
    for name, action in stages.items():
        print(f"  {name:<44} {best(args.repeats, action) * 1000:8.1f} ms")

    stream = GeneratorStream(models.generator, style, seed=1)
    started = time.perf_counter()
    for row in rows:
        stream.push(row[None])
    stream.finish()
    per_frame = (time.perf_counter() - started) / len(rows)
    print(f"streaming, one audio row pushed at a time: {per_frame * 1000:.3f} ms per frame ({len(rows)} frames)")

    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak resident memory: {peak_kb / 1024:.0f} MB (torch imported: {'torch' in sys.modules})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
