"""The papers' metrics on constructed motion with known answers, and BAS against a hand computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from model_runtime.clip import MotionClip
from model_runtime.evaluation import gaze_metrics, motion_metrics
from tests.test_eval_events import FPS, eyes, step


def test_fixation_ratio_of_pure_steps():
    n = 250  # 10 s; a step every second costs the one frame that breaks each fixation
    yaw = np.repeat(np.arange(10) * 5.0, 25)
    assert gaze_metrics.fixation_ratio(eyes(n, yaw=yaw)) == pytest.approx(241 / 250)
    assert gaze_metrics.fixation_ratio(eyes(n)) == 1.0


def test_fixation_ratio_of_continuous_drift_is_zero():
    assert gaze_metrics.fixation_ratio(eyes(100, yaw=np.arange(100) * 1.0)) == 0.0  # 1 deg per frame


def test_compensation_score_cases():
    n = 50
    ramp = np.arange(n, dtype=float)
    assert gaze_metrics.compensation_score(eyes(n)) == 0.0
    # VOR: head 1 deg/frame (25 deg/s), eyes cancel it: gaze still, score -|h| in deg per 1/25 s = -1.
    assert gaze_metrics.compensation_score(eyes(n, yaw=-ramp, head_yaw=ramp)) == pytest.approx(-1.0)
    # Eyes and head move together at 20 deg/s each: |g| = 40 in [25, 90], cos = 1 -> -1.
    together = ramp * 0.8
    assert gaze_metrics.compensation_score(eyes(n, yaw=together, head_yaw=together)) == pytest.approx(-1.0)
    # Eyes counter-rotate but gaze still shifts at 40 deg/s: cos = -1 -> +1.
    assert gaze_metrics.compensation_score(eyes(n, yaw=-ramp * 0.4, head_yaw=ramp * 2.0)) == pytest.approx(1.0)
    # A very fast shift (over 90 deg/s) scores 0.
    assert gaze_metrics.compensation_score(eyes(n, yaw=ramp * 5.0)) == 0.0


def test_similarity_score():
    assert gaze_metrics.similarity_score(0.6113, -0.3366, 0.6113, -0.3366) == 1.0
    # StyGazeTalk Table IV, LSTM base: 1 - (|0.7417 - 0.6113| + |-0.2890 + 0.3366|) = 0.8220.
    assert gaze_metrics.similarity_score(0.7417, -0.2890, 0.6113, -0.3366) == pytest.approx(0.8220, abs=1e-4)


def test_mae_velocity_and_energy_errors():
    n = 100
    ref = eyes(n, yaw=np.sin(np.arange(n) / 5.0) * 10, head_pitch=np.arange(n) * 0.1)
    shifted = ref.with_data(ref.data + np.r_[np.full(7, 2.0), 0, 0])
    pred, r = motion_metrics.align(shifted, ref)
    assert motion_metrics.mae_deg(pred[:, :7], r[:, :7]) == pytest.approx(2.0)
    assert motion_metrics.velocity_error(pred[:, :7], r[:, :7], FPS) == pytest.approx(0.0, abs=1e-12)
    assert motion_metrics.motion_energy_error(pred[:, :7], r[:, :7], FPS) == pytest.approx(0.0, abs=1e-12)
    # A ramp at 1 deg/frame against a still clip, at 50 fps: 2 deg per 1/25 s in one of 7 channels.
    ramp = MotionClip.from_channels(50.0, 100, head_yaw=np.arange(100.0))
    still = MotionClip.from_channels(50.0, 100)
    assert motion_metrics.velocity_error(ramp.data[:, :7], still.data[:, :7], 50.0) == pytest.approx(2.0 / 7)
    assert motion_metrics.motion_energy_error(ramp.data[:, :7], still.data[:, :7], 50.0) == pytest.approx(2.0 / 7)


def test_align_resamples_reference_and_cuts_to_shorter():
    clip = MotionClip.from_channels(25.0, 50)
    ref = MotionClip.from_channels(50.0, 80, head_yaw=np.full(80, 3.0))
    pred, r = motion_metrics.align(clip, ref)
    assert pred.shape == r.shape == (40, 9)
    assert np.allclose(r[:, 1], 3.0)


def test_l1div_and_diversity():
    n = 100
    alternating = np.where(np.arange(n) % 2 == 0, 4.0, -4.0)
    assert motion_metrics.l1div(MotionClip.from_channels(FPS, n, head_yaw=alternating)) == pytest.approx(4.0 / 7)
    assert motion_metrics.l1div(MotionClip.from_channels(FPS, n, head_yaw=np.full(n, 30.0))) == 0.0
    a = MotionClip.from_channels(FPS, n)
    b = MotionClip.from_channels(FPS, n, head_yaw=np.full(n, 3.0))
    c = MotionClip.from_channels(FPS, n, head_yaw=np.full(n, 3.0), head_pitch=np.full(n, 4.0))
    assert motion_metrics.diversity([a, b]) == pytest.approx(3.0)
    assert motion_metrics.diversity([a, b, c]) == pytest.approx((3.0 + 5.0 + 4.0) / 3)
    with pytest.raises(ValueError, match="two clips"):
        motion_metrics.diversity([a])


def test_bas_hand_computed():
    beats = np.array([1.0, 2.0])
    onsets = np.array([1.0, 1.3, 2.6])
    # d = 0, 0.3, 0.6 s with sigma 0.3: (1 + e^-0.5 + e^-2) / 3.
    expected = (1 + math.exp(-0.5) + math.exp(-2.0)) / 3
    assert motion_metrics.beat_alignment_score(beats, onsets) == pytest.approx(expected)
    assert expected == pytest.approx(0.58062, abs=1e-5)
    assert motion_metrics.beat_alignment_score(np.zeros(0), onsets) == 0.0
    assert math.isnan(motion_metrics.beat_alignment_score(beats, np.zeros(0)))


def test_motion_beats_are_speed_minima_above_min_speed():
    speed = np.full(100, 10.0)
    speed[[20, 50]] = 3.0  # two dips while moving
    speed[80] = 0.5  # a dip into stillness: not a beat
    assert motion_metrics.motion_beats(speed, FPS).tolist() == pytest.approx([20 / FPS, 50 / FPS])


def test_head_speed_of_constant_turn():
    clip = MotionClip.from_channels(FPS, 50, head_yaw=np.arange(50) * 2.0)
    assert np.allclose(motion_metrics.head_speed(clip), 50.0)


def test_speech_onsets_are_utterance_starts_and_onset_peaks():
    from tests.test_eval_support import features_from_mask

    n = 250
    speech = np.zeros(n, dtype=bool)
    speech[25:100] = speech[150:225] = True
    onset = np.zeros(n)
    onset[[60, 170, 200]] = 1.0
    onset[130] = 1.0  # in a pause: ignored
    times = motion_metrics.speech_onsets(features_from_mask(speech, FPS, onset=onset))
    assert times.tolist() == pytest.approx([1.0, 2.4, 6.0, 6.8, 8.0])


def test_bas_minus_chance_is_near_zero_for_unrelated_motion():
    rng = np.random.default_rng(7)
    seconds, n = 600.0, 15000
    # Smooth random head motion (sum of random sinusoids), unrelated to random onsets.
    t = np.arange(n) / FPS
    freqs, phases = rng.uniform(0.05, 0.4, 4), rng.uniform(0, 2 * np.pi, 4)
    yaw = np.sum(2.0 * np.sin(2 * np.pi * freqs[:, None] * t + phases[:, None]), axis=0)
    clip = MotionClip.from_channels(FPS, n, head_yaw=yaw, head_pitch=np.roll(yaw, 300) * 0.5)
    beats = motion_metrics.motion_beats(motion_metrics.head_speed(clip), FPS)
    onsets = np.sort(rng.uniform(0, seconds, 1500))
    bas, chance = motion_metrics.bas_with_chance(beats, onsets, seconds)
    assert 0.1 < chance < 0.8, chance
    assert abs(bas - chance) < 0.03


def test_bas_exceeds_chance_when_beats_sit_on_onsets():
    rng = np.random.default_rng(3)
    onsets = np.sort(rng.uniform(0, 120, 100))
    beats = onsets + rng.normal(0, 0.05, onsets.size)
    bas, chance = motion_metrics.bas_with_chance(beats, onsets, 120.0)
    assert bas > 0.9 and bas - chance > 0.3


def test_step_steps_helper_sanity():
    assert step(5, 2, 1.0).tolist() == [0, 0, 1, 1, 1]
