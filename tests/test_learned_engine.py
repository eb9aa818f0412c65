"""generate(..., engine="learned") with the shipped models: a finished clip, seeded, styled, controlled."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model_runtime.audio import compute_features, load_audio, signal_from_array
from model_runtime.audio.types import AudioSignal
from model_runtime.conventions import EYE_LIMIT_DEG, HEAD_LIMIT_DEG
from model_runtime.errors import GazeError
from model_runtime.evaluation.motion_metrics import diversity
from model_runtime.generate import Controls, generate
from model_runtime.learned.features import audio_matrix, feature_names, resample_features
from model_runtime.performer.blinks import LID_REST_MAX

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def voice(shared: Path) -> AudioSignal:
    return load_audio(shared / "data" / "speech" / "usgov_jfk_1.flac")


@pytest.fixture(scope="module")
def shared() -> Path:
    from tests.conftest import SHARED

    if not SHARED.is_dir():
        pytest.skip("shared data not found")
    return SHARED


def test_finished_clip(voice: AudioSignal) -> None:
    clip = generate(voice, 30.0, engine="learned", seed=0)
    assert clip.fps == 30.0
    assert clip.n_frames == pytest.approx(voice.duration * 30.0, abs=2)
    assert clip.meta["engine"] == "learned"
    assert np.abs(clip.head).max() <= HEAD_LIMIT_DEG and np.abs(clip.left_eye).max() <= EYE_LIMIT_DEG
    assert clip.blinks.max() > 0.3, "blinks come from the blink sampler"
    assert clip.left_eye.std(axis=0).max() > 0.5, "the eyes move"
    assert clip.head.std(axis=0).max() > 0.2, "the head moves"


def test_seeds_differ_and_repeat(voice: AudioSignal) -> None:
    clips = [generate(voice, 25.0, engine="learned", style="calm_presenter", seed=s) for s in (1, 1, 2)]
    np.testing.assert_array_equal(clips[0].data, clips[1].data)
    assert diversity([clips[0], clips[2]]) > 0.1


def test_style_from_a_reference_take(voice: AudioSignal) -> None:
    take = ROOT / "assets" / "takes" / "reference_livelink.csv"
    clip = generate(voice, 25.0, engine="learned", style=take, seed=0)
    assert clip.meta["style"] == str(take)
    other = generate(voice, 25.0, engine="learned", style="shy_averted", seed=0)
    assert np.abs(clip.data[:, :7] - other.data[:, :7]).mean() > 0.05


def test_a_reference_take_steers_towards_its_statistics(voice: AudioSignal) -> None:
    from model_runtime.learned.engine import generate_learned
    from model_runtime.learned.steering import StyleTargets
    from model_runtime.performer.engine import perform
    from model_runtime.performer.presets import load_preset

    features = resample_features(compute_features(voice, 25.0), 25.0)
    busy, still = load_preset("animated_storyteller"), load_preset("calm_presenter")
    rates = {}
    for name, style in (("busy", busy), ("still", still)):
        take = perform(features, style, seed=4)
        steered = generate_learned(features, take, seed=0, controls=Controls())
        free = generate_learned(features, take, seed=0, controls=Controls(match_statistics=False))
        assert steered.meta["steered"] == "yes" and free.meta["steered"] == "no"
        want, got, unsteered = (StyleTargets.of_clip(c) for c in (take, steered, free))
        assert want is not None and got is not None and unsteered is not None
        assert abs(got.saccade_rate_hz - want.saccade_rate_hz) <= abs(unsteered.saccade_rate_hz - want.saccade_rate_hz) + 0.1
        assert got.head_std_yaw_deg == pytest.approx(want.head_std_yaw_deg, rel=0.35)
        rates[name] = got.saccade_rate_hz
    assert rates["busy"] > rates["still"]


def test_matching_the_statistics_can_be_turned_off_from_the_cli(tmp_path: Path) -> None:
    from model_runtime.takes import load_take
    from tests.test_generate import VOICE, cli

    clips = {}
    for flag in ("--match-statistics", "--no-match-statistics"):
        out = tmp_path / f"{flag}.npz"
        result = cli("generate", VOICE, "-o", out, "--engine", "learned", "--style", "animated_storyteller", "--fps", "25", flag)
        assert result.returncode == 0, result.stderr
        clips[flag] = load_take(out)
    assert clips["--match-statistics"].meta["steered"] == "yes" and clips["--no-match-statistics"].meta["steered"] == "no"
    assert np.abs(clips["--match-statistics"].data - clips["--no-match-statistics"].data).max() > 1.0


def test_controls(voice: AudioSignal) -> None:
    still = generate(voice, 25.0, engine="learned", seed=0, controls=Controls(head_intensity=0.0, blink_rate_per_min=0.0))
    assert np.abs(still.head).max() < 1e-9
    # No blinks: the lids only rest a little lowered (the finishing stage both engines share).
    assert still.blinks.max() <= LID_REST_MAX
    turned = generate(voice, 25.0, engine="learned", seed=0, controls=Controls(look_at_yaw_deg=30.0))
    normal = generate(voice, 25.0, engine="learned", seed=0)
    gaze_yaw = (turned.head[:, 1] + turned.left_eye[:, 1]).mean() - (normal.head[:, 1] + normal.left_eye[:, 1]).mean()
    assert 20.0 < gaze_yaw < 40.0


def test_features_at_another_rate_are_resampled(voice: AudioSignal) -> None:
    features30 = compute_features(voice, 30.0)
    clip = generate(features30, 30.0, engine="learned", seed=0)
    assert clip.n_frames == features30.n_frames
    resampled = resample_features(features30, 25.0)
    assert audio_matrix(resampled).shape == (round(features30.n_frames * 25 / 30), len(feature_names(40)))


@pytest.mark.parametrize("seconds", [0.3, 1.0, 3.0])
def test_short_audio(seconds: float) -> None:
    t = np.arange(int(seconds * 16000)) / 16000
    signal = signal_from_array((0.3 * np.sin(2 * np.pi * 150 * t)).astype(np.float32), 16000)
    clip = generate(signal, 24.0, engine="learned", seed=0)
    assert clip.n_frames == pytest.approx(seconds * 24, abs=1)
    assert np.all(np.isfinite(clip.data))


def test_unknown_preset_is_an_error(voice: AudioSignal) -> None:
    with pytest.raises(GazeError, match="neither a preset"):
        generate(voice, 25.0, engine="learned", style="no_such_preset")
