"""Generated motion against the real talkers: every figure of REFERENCES.md "Real talkers" with its bar.

Run: .venv/bin/python benchmarks/real_talkers.py [--engine procedural] [--presets neutral,calm_presenter,shy_averted]
                                                 [--seeds 2] [--fps 30] [--no-psyberlab]

Clips: the procedural engine (or --engine learned) on six voices of ../shared/data/speech (two
presidential radio-address segments, two audiobook readings, French and Spanish read speech), each
with --seeds seeds, for each preset. Each figure is measured per clip exactly as the real clips were
(model_runtime.evaluation.real_talkers) and the median over clips is printed beside the real
presenters', interviewees' and all 31 people's values and the acceptance bar of issue #26 (the
calm_presenter style has its own bar for the time gaze is more than 10 deg off the listener).
The last lines compare the presets: time gaze is more than 5 / 10 deg off the listener, gaze-shift
size median and p90, share of > 5 deg offsets pointing down, head sd per axis, blinks per minute
(docs/performer.md's preset table comes from `--presets` with all seven).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

import numpy as np  # noqa: E402

from model_runtime.audio import compute_features, load_audio  # noqa: E402
from model_runtime.audio.types import SpeechFeatures  # noqa: E402
from model_runtime.evaluation.distributions import shared_dir  # noqa: E402
from model_runtime.evaluation.real_talkers import FIGURES, comparison_lines, real_talker_figures  # noqa: E402
from model_runtime.generate import generate  # noqa: E402

VOICES = ("usgov_gwbush_1", "usgov_gwbush_2", "ljspeech_lj_1", "ljspeech_lj_2", "fleurs_fr_1", "fleurs_es_2")
SUMMARY = {
    "gaze_off_5_share": "off >5", "gaze_off_10_share": "off >10", "gaze_shift_median_deg": "shift med", "gaze_shift_p90_deg": "shift p90",
    "gaze_off_down_share": "down", "head_sd_pitch_deg": "sd pitch", "head_sd_yaw_deg": "sd yaw", "head_sd_roll_deg": "sd roll", "blinks_per_min": "blinks/min",
}


def voices(fps: float) -> list[tuple[str, SpeechFeatures]]:
    base = shared_dir()
    if base is None:
        raise SystemExit("no shared data folder (set GAZE_SHARED)")
    out = []
    for name in VOICES:
        path = base / "data" / "speech" / f"{name}.flac"
        if path.exists():
            out.append((name, compute_features(load_audio(path), fps)))
    if not out:
        raise SystemExit(f"none of {VOICES} in {base / 'data' / 'speech'}")
    return out


def measure(engine: str, preset: str, inputs: list[tuple[str, SpeechFeatures]], *, seeds: int, fps: float, psyberlab: bool) -> dict[str, float]:
    rows = []
    for _, features in inputs:
        for seed in range(seeds):
            clip = generate(features, fps, engine=engine, style=preset, seed=seed)
            rows.append(real_talker_figures(clip, features, psyberlab=psyberlab))
    out = {}
    for key in FIGURES:
        values = np.array([row[key] for row in rows])
        values = values[~np.isnan(values)]
        out[key] = float(np.median(values)) if values.size else math.nan
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", default="procedural")
    parser.add_argument("--presets", default="neutral,calm_presenter,shy_averted")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--no-psyberlab", action="store_true", help="skip the 90 fps fixation comparison (faster)")
    args = parser.parse_args()
    inputs = voices(args.fps)
    print(f"{args.engine} engine, {len(inputs)} voices x {args.seeds} seeds at {args.fps:g} fps; medians over clips")
    results = {}
    for preset in args.presets.split(","):
        results[preset] = figures = measure(args.engine, preset, inputs, seeds=args.seeds, fps=args.fps, psyberlab=not args.no_psyberlab)
        misses = [line for line in comparison_lines(figures, preset) if line.endswith("MISS")]
        print(f"\n== {preset} ({len(misses)} bars missed)")
        print("\n".join(comparison_lines(figures, preset)))
    print("\n== presets side by side")
    print(f"  {'preset':<22}" + "".join(f"{label:>11}" for label in SUMMARY.values()))
    for preset, figures in results.items():
        print(f"  {preset:<22}" + "".join(f"{figures[key]:>11.3g}" for key in SUMMARY))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
