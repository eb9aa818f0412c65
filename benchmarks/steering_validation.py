"""Steering on the validation split: how closely generated motion follows the reference take's
statistics, with and without steering, and what it costs in fixation ratio and compensation.

This is the command the steering constants (model_runtime/learned/steering.py) were chosen with;
it never looks at the test split. It builds the synthetic corpus as `build.py train` does (about
a minute), then for every validation performer with two takes generates the second take's speech
in the first take's style, ``--seeds`` times.

    .venv/bin/python benchmarks/steering_validation.py [--seeds 2] [--models assets] [--off]
        [--set LIMIT=3 --set HEAD_GAIN=0.5,4 ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.validation_split import validation_split  # noqa: E402
from model_runtime.evaluation import evaluate  # noqa: E402
from model_runtime.evaluation.gaze_metrics import similarity_score  # noqa: E402
from model_runtime.generate import Controls  # noqa: E402
from model_runtime.learned import steering  # noqa: E402
from model_runtime.learned.engine import generate_learned  # noqa: E402
from model_runtime.learned.style import style_from_take  # noqa: E402
from model_runtime.training.measure import away_direction, finite_correlation, metric_value, reference_pairs, top1_retrieval  # noqa: E402

KEYS = ("saccade_rate_hz", "mutual_gaze_share", "head_std_yaw_deg", "head_std_pitch_deg", "head_std_roll_deg", "blink_rate_per_min", "fixation_ratio", "comp_score")


def similarity_spread(generated: np.ndarray, target: np.ndarray, sizes: tuple[int, ...], draws: int = 2000) -> dict[int, tuple[float, float, float]]:
    """Bootstrap over performers: for each size, that many pairs drawn with replacement from the
    rows of ``generated`` and ``target`` ((pairs, 2): fixation ratio, compensation score); the 5th
    and 95th percentiles and the sd of the similarity score of their means."""
    rng = np.random.default_rng(0)
    keep = np.all(np.isfinite(generated), axis=1) & np.all(np.isfinite(target), axis=1)
    generated, target = generated[keep], target[keep]
    out = {}
    for size in sizes:
        rows = rng.integers(0, len(generated), (draws, size))
        sims = np.array([similarity_score(*generated[i].mean(axis=0), *target[i].mean(axis=0)) for i in rows])
        out[size] = (float(np.percentile(sims, 5)), float(np.percentile(sims, 95)), float(sims.std()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--models", type=Path, default=ROOT / "assets")
    parser.add_argument("--off", action="store_true", help="generate without steering")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override a steering constant")
    args = parser.parse_args()
    for item in args.set:
        name, value = item.split("=")
        setattr(steering, name, tuple(map(float, value.split(","))) if "," in value else float(value))
    split = validation_split(args.models)
    takes, models, pairs, references, targets = split.takes, split.models, split.pairs, split.references, split.targets
    clips = [[generate_learned(b.features, ref, seed=s, controls=Controls(match_statistics=not args.off), models=models) for s in range(args.seeds)]
             for (_, b), ref in zip(pairs, references, strict=True)]
    generated = np.array([[[metric_value(evaluate(c, b.features), k) for k in KEYS] for c in row] for row, (_, b) in zip(clips, pairs, strict=True)])
    reference = np.array([[metric_value(evaluate(ref, a.features), k) for k in KEYS] for (a, _), ref in zip(pairs, references, strict=True)])
    target = np.array([[metric_value(evaluate(tgt, b.features), k) for k in KEYS] for (_, b), tgt in zip(pairs, targets, strict=True)])
    print(f"validation: {len(pairs)} performers with two takes, {args.seeds} seeds, steering {'off' if args.off else 'on'}"
          f"{' ' + ' '.join(args.set) if args.set else ''}")
    print("r(generated, reference) over all pairs and over the first 20 (mean of the seeds' r); spread across seeds within a pair; means")
    for i, key in enumerate(KEYS[:6]):
        r_all = np.mean([finite_correlation(list(generated[:, s, i]), list(reference[:, i])) for s in range(args.seeds)])
        r_20 = np.mean([finite_correlation(list(generated[:20, s, i]), list(reference[:20, i])) for s in range(args.seeds)])
        print(f"  {key:20s} r {r_all:.3f}  r first 20 {r_20:.3f}  spread {np.nanmean(np.nanstd(generated[:, :, i], axis=1)):.3f}  "
              f"generated {np.nanmean(generated[:, :, i]):.3f}  reference {np.nanmean(reference[:, i]):.3f}")
    fix, comp = np.nanmean(generated[:, :, 6]), np.nanmean(generated[:, :, 7])
    true_fix, true_comp = np.nanmean(target[:, 6]), np.nanmean(target[:, 7])
    print(f"  fixation ratio {fix:.3f} (takes {true_fix:.3f}), compensation {comp:.3f} (takes {true_comp:.3f}), "
          f"similarity {similarity_score(fix, comp, true_fix, true_comp):.3f}")
    # How far the aggregate similarity moves with the sample of performers alone, and whether each
    # clip's fixation ratio and compensation follow its own target take's.
    per_pair = np.nanmean(generated[:, :, 6:8], axis=1)
    # Sizes as measure sees them: its style-transfer set (20) and the test split's performers with two takes.
    test_pairs = len(reference_pairs([t for t in takes if t.split == "test"], models.config.style_window))
    for size, (low, high, sd) in similarity_spread(per_pair, target[:, 6:8], (20, test_pairs)).items():
        print(f"  similarity over {size} performers drawn from these: 5-95% {low:.3f}-{high:.3f}, sd {sd:.3f}")
    print(f"  per clip, r(generated, target take): fixation ratio {finite_correlation(list(per_pair[:, 0]), list(target[:, 6])):.3f}, "
          f"compensation {finite_correlation(list(per_pair[:, 1]), list(target[:, 7])):.3f}")
    generated_away = np.array([[away_direction(c) for c in row] for row in clips])
    reference_away = np.array([away_direction(ref) for ref in references])
    target_away = np.array([away_direction(tgt) for tgt in targets])
    for i, axis in enumerate(("pitch", "yaw")):
        r = np.mean([finite_correlation(list(generated_away[:, s, i]), list(reference_away[:, i])) for s in range(args.seeds)])
        print(f"  where looks away go, mean {axis}: r {r:.3f} (the target takes' own r {finite_correlation(list(target_away[:, i]), list(reference_away[:, i])):.3f})")
    gallery = np.stack([style_from_take(models.style_encoder, ref).vector for ref in references[:20]])
    for s in range(args.seeds):
        queries = np.stack([style_from_take(models.style_encoder, row[s]).vector for row in clips[:20]])
        print(f"  retrieval from generated motion among the first 20, seed {s}: {top1_retrieval(queries, gallery):.2f}")


if __name__ == "__main__":
    main()
