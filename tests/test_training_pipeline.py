"""The training pipeline end to end at smoke size: corpus from the shared speech, both networks,
ONNX export, measurements through the runtime, model card."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

from model_runtime.cli import build_parser
from model_runtime.commands.train import settings_from
from model_runtime.training.augment import Augmentation
from model_runtime.training.corpus import SPLITS, split_of
from model_runtime.training.pipeline import TrainSettings, train


def test_splits_are_stable_and_cover_all() -> None:
    names = [f"performer{i:04d}" for i in range(400)]
    splits = [split_of(n, 0.12, 0.2) for n in names]
    assert splits == [split_of(n, 0.12, 0.2) for n in names]
    shares = {s: splits.count(s) / len(splits) for s in SPLITS}
    assert 0.12 < shares["test"] < 0.28 and 0.06 < shares["val"] < 0.18


def test_augmentation_changes_length_and_level(shared: Path) -> None:
    from model_runtime.audio import load_audio
    from model_runtime.training.augment import augment

    signal = load_audio(shared / "data" / "speech" / "vctk_p240_1.flac")
    out = augment(signal, Augmentation(pitch_semitones=2.0, tempo=1.25, noise_snr_db=20.0, gain_db=-6.0), np.random.default_rng(0))
    assert out.duration == pytest.approx(signal.duration / 1.25, rel=0.03)
    assert 0.3 < float(np.std(out.samples)) / float(np.std(signal.samples)) < 0.8


def test_sampling_choice_keeps_the_saccade_rate() -> None:
    from model_runtime.training.measure import choose_sampling

    # The most similar setting has too few saccades (30% off): the best one within RATE_TOLERANCE (20%) wins.
    scores = {(0.0, 0.6): (0.97, 0.30), (0.0, 0.8): (0.93, 0.08), (0.3, 0.8): (0.95, 0.09), (0.3, 1.0): (0.90, 0.01)}
    assert choose_sampling(scores) == (0.3, 0.8)
    # None close enough: the closest in rate.
    assert choose_sampling({(0.0, 0.6): (0.97, 0.30), (0.0, 1.2): (0.80, 0.25)}) == (0.0, 1.2)


def test_train_command_sets_the_generator_seed_and_nothing_else(tmp_path: Path) -> None:
    default = settings_from(build_parser().parse_args(["train", "--out", str(tmp_path)]))
    seeded = settings_from(build_parser().parse_args(["train", "--out", str(tmp_path), "--generator-seed", "2"]))
    assert default.generator.seed == 0 and seeded.generator.seed == 2
    # Everything else is the shipped run, so the seed alone explains a difference in the model card.
    assert seeded.generator == replace(default.generator, seed=2) and seeded.style == default.style and seeded.corpus == default.corpus
    quick = settings_from(build_parser().parse_args(["train", "--quick", "--out", str(tmp_path), "--generator-seed", "3"]))
    assert quick.generator.seed == 3 and quick.max_clips is not None


@pytest.mark.slow
def test_quick_training_run(shared: Path, tmp_path: Path) -> None:
    settings = TrainSettings.quick(shared / "data" / "speech", tmp_path, tmp_path / "card.md")
    results = train(settings, progress=lambda message: None)
    assert (tmp_path / "models" / "gaze_generator.onnx").stat().st_size > 10_000
    card = (tmp_path / "card.md").read_text()
    assert "held-out" in card and "sim_score" in card
    assert 0.0 <= float(results["retrieval_top1_single_window"]) <= 1.0
    assert float(results["diversity_deg"]) > 0.0
    # Aggregates over every held-out pair; style transfer over the first `measure_performers` only.
    assert float(results["style_transfer_performers"]) == settings.measure_performers
    assert float(results["test_performers"]) >= settings.measure_performers
    assert float(results["sim_score_first_pairs"]) <= 1.0
