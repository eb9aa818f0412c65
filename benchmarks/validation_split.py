"""The validation split the benchmarks tune and diagnose on: the synthetic corpus as `build.py
train` builds it (about a minute), the shipped (or given) models, and every validation performer
with two takes as a (reference, target) pair, the clips at the models' rate. Never the test split."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from model_runtime.clip import MotionClip
from model_runtime.learned.models import LearnedModels, load_models
from model_runtime.training.corpus import SyntheticSettings, Take, build_synthetic
from model_runtime.training.measure import reference_pairs

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class ValidationSplit:
    takes: list[Take]  # the whole corpus (every split)
    models: LearnedModels
    pairs: list[tuple[Take, Take]]  # (reference, target) per validation performer
    references: list[MotionClip]
    targets: list[MotionClip]


def validation_split(models_dir: Path) -> ValidationSplit:
    shared = Path(os.environ.get("GAZE_SHARED", ROOT.parent / "shared"))
    takes = build_synthetic(shared / "data" / "speech", SyntheticSettings(), lambda message: None)
    models = load_models(models_dir)
    fps = models.config.fps
    pairs = reference_pairs([t for t in takes if t.split == "val"], models.config.style_window)
    return ValidationSplit(takes, models, pairs, [a.clip(fps) for a, _ in pairs], [b.clip(fps) for _, b in pairs])
