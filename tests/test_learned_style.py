"""Style vectors from reference takes and presets through the shipped style encoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model_runtime.clip import MotionClip
from model_runtime.errors import GazeError
from model_runtime.learned.models import LearnedModels, shipped_models
from model_runtime.learned.style import style_from_preset, style_from_take
from model_runtime.takes import load_take
from tests.conftest import random_clip

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def models() -> LearnedModels:
    return shipped_models()


def test_reference_take_gives_a_unit_vector(models: LearnedModels) -> None:
    take = load_take(ROOT / "assets" / "takes" / "reference_livelink.csv")
    style = style_from_take(models.style_encoder, take, "reference_livelink.csv")
    assert style.vector.shape == (models.config.style_dim,)
    assert np.linalg.norm(style.vector) == pytest.approx(1.0, abs=1e-5)
    assert style.note == ""


def test_frame_rate_of_the_take_does_not_matter_much(models: LearnedModels) -> None:
    clip = random_clip(fps=30.0, seconds=8.0, seed=2)
    a = style_from_take(models.style_encoder, clip).vector
    b = style_from_take(models.style_encoder, clip.resample(60.0)).vector
    assert float(a @ b) > 0.95


def test_short_take_is_looped_and_says_so(models: LearnedModels) -> None:
    style = style_from_take(models.style_encoder, random_clip(seconds=2.0))
    assert "looped" in style.note and "shorter than the style window" in style.note
    assert np.linalg.norm(style.vector) == pytest.approx(1.0, abs=1e-5)


def test_too_short_take_is_an_error(models: LearnedModels) -> None:
    with pytest.raises(GazeError, match=r"0\.50 s long.*at least 1 s"):
        style_from_take(models.style_encoder, random_clip(seconds=0.5), "tiny.csv")


def test_blinks_of_a_take_too_short_for_its_gaze_style() -> None:
    """Under 10 s a take gives no performer style, but from 5 s its own blinks; shorter, or with
    lids that never move, the default preset's blinks, and the note says which."""
    from model_runtime.learned.engine import blink_parameters
    from model_runtime.performer.presets import DEFAULT_PRESET, load_preset

    fps = 25.0
    data = np.zeros((int(8 * fps), 9))
    for start in (0.5, 2.5, 4.0, 6.0, 7.0):  # 5 blinks in 8 s: 37.5 a minute, 0.2 s each
        data[int(start * fps) : int(start * fps) + 5, 7:9] = 1.0
    blinks = blink_parameters(MotionClip(fps=fps, data=data))
    assert blinks.measured and "blinks measured on the take alone" in blinks.note
    assert blinks.style.blink_rate_per_min == pytest.approx(37.5)
    default = load_preset(DEFAULT_PRESET)
    for clip in (MotionClip(fps=fps, data=data[: int(4 * fps)]), MotionClip(fps=fps, data=np.zeros_like(data))):
        fallback = blink_parameters(clip)
        assert not fallback.measured and f"follow the {DEFAULT_PRESET} preset" in fallback.note
        assert fallback.style.blink_rate_per_min == default.blink_rate_per_min
    full = blink_parameters(ROOT / "assets" / "takes" / "reference_livelink.csv")
    assert full.measured and full.note == ""


def test_different_styles_are_told_apart(models: LearnedModels) -> None:
    """A still performer and a restless one end up far apart; two windows of one take close."""
    still = MotionClip(fps=25.0, data=np.zeros((200, 9)) + np.array([0, 0, 0, 1, 0, 1, 0, 0, 0.0]) * 0.2)
    restless = random_clip(fps=25.0, seconds=8.0, seed=4)
    v_still = style_from_take(models.style_encoder, still).vector
    v_a = style_from_take(models.style_encoder, restless.slice_seconds(0, 4)).vector
    v_b = style_from_take(models.style_encoder, restless.slice_seconds(4, 8)).vector
    assert float(v_a @ v_b) > float(v_a @ v_still)


def test_presets_are_stored(models: LearnedModels) -> None:
    style = style_from_preset(models.style_encoder, "calm_presenter")
    assert np.linalg.norm(style.vector) == pytest.approx(1.0, abs=1e-4)
    # Their statistics too, for steering: a calm presenter shifts its gaze less often than a storyteller.
    busy = style_from_preset(models.style_encoder, "animated_storyteller")
    assert style.targets is not None and busy.targets is not None
    assert style.targets.saccade_rate_hz < busy.targets.saccade_rate_hz
    with pytest.raises(GazeError, match="no style stored for preset 'nope'"):
        style_from_preset(models.style_encoder, "nope")
