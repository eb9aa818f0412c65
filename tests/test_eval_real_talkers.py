"""The real-talker figures on constructed clips whose answers are known by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from model_runtime.clip import MotionClip
from model_runtime.conventions import direction_from_angles
from model_runtime.evaluation import evaluate
from model_runtime.evaluation.real_talkers import (
    FIGURES,
    best_lag,
    blink_figures,
    comparison_lines,
    gaze_shifts,
    idt_per_axis,
    passes,
    power_above,
    psyberlab_speaking,
    real_talker_figures,
    twitches,
)
from tests.test_performer_behaviour import speech_features

FPS = 30.0


def test_vor_slope_is_minus_one_and_gaze_riding_on_the_head_is_zero() -> None:
    n = 600
    t = np.arange(n) / FPS
    head_yaw = 5.0 * np.sin(2 * np.pi * 0.4 * t)
    head_pitch = 3.0 * np.sin(2 * np.pi * 0.3 * t + 1.0)
    features = speech_features(n / FPS, FPS)
    stable = MotionClip.from_channels(FPS, n, head_yaw=head_yaw, head_pitch=head_pitch, left_eye_yaw=-head_yaw, right_eye_yaw=-head_yaw,
                                      left_eye_pitch=-head_pitch, right_eye_pitch=-head_pitch)
    figures = real_talker_figures(stable, features, psyberlab=False)
    assert figures["eye_head_slope_yaw"] == pytest.approx(-1.0, abs=0.03)
    assert figures["eye_head_slope_pitch"] == pytest.approx(-1.0, abs=0.03)
    assert figures["gaze_off_5_share"] < 0.01  # the gaze stays put
    riding = MotionClip.from_channels(FPS, n, head_yaw=head_yaw, head_pitch=head_pitch)
    figures = real_talker_figures(riding, features, psyberlab=False)
    assert figures["eye_head_slope_yaw"] == pytest.approx(0.0, abs=1e-6)
    assert figures["head_sd_yaw_deg"] == pytest.approx(5.0 / math.sqrt(2), rel=0.03)
    assert figures["gaze_off_5_share"] > 0.2


def test_gaze_shift_sizes_rate_and_off_listener() -> None:
    # Gaze still at 0, jumping to 12 deg left for 1 s every 4 s, and 4 deg up for 1 s in between.
    n = 1200
    yaw = np.zeros(n)
    pitch = np.zeros(n)
    for start in range(0, n, 120):
        yaw[start + 30 : start + 60] = 12.0
        pitch[start + 90 : start + 100] = 4.0
    world = direction_from_angles(pitch, yaw)
    sizes, deltas = gaze_shifts(world, FPS)
    assert len(sizes) == 4 * 10
    assert sorted(set(np.round(sizes, 6))) == pytest.approx([4.0, 12.0], abs=1e-6)
    assert np.mean(np.abs(deltas[:, 1]) > np.abs(deltas[:, 0])) == 0.5
    clip = MotionClip.from_channels(FPS, n, left_eye_yaw=yaw, right_eye_yaw=yaw, left_eye_pitch=pitch, right_eye_pitch=pitch)
    figures = real_talker_figures(clip, speech_features(n / FPS, FPS), psyberlab=False)
    assert figures["gaze_shifts_per_min"] == pytest.approx(40 / (n / FPS) * 60)
    assert figures["gaze_shifts_over_10_share"] == 0.5
    assert figures["gaze_shift_median_deg"] == pytest.approx(8.0, abs=1e-6)
    # 30 frames of 120 at 12 deg (the 3-frame median keeps the steps sharp).
    assert figures["gaze_off_10_share"] == pytest.approx(0.25, abs=1e-9)
    assert figures["gaze_off_left_share"] == pytest.approx(1.0)


def test_small_shift_under_3_deg_is_no_shift() -> None:
    yaw = np.where(np.arange(100) >= 50, 2.5, 0.0)
    assert len(gaze_shifts(direction_from_angles(np.zeros(100), yaw), FPS)[0]) == 0


def test_blinks_rate_cv_closure_and_asymmetry() -> None:
    n = 1800  # 60 s
    left = np.zeros(n)
    onsets = [30 * k for k in range(1, 60, 2)]  # every 2 s: 30 blinks, intervals all equal
    for onset in onsets:
        left[onset : onset + 4] = 1.0
    right = 0.5 * left
    clip = MotionClip.from_channels(FPS, n, blink_left=left, blink_right=right)
    figures = blink_figures(clip, speech_features(60.0, FPS))
    assert figures["blinks_per_min"] == pytest.approx(30.0)
    assert figures["blink_interval_cv"] == pytest.approx(0.0, abs=1e-9)
    assert figures["blink_duration_median_s"] == pytest.approx(4 / FPS)
    assert figures["lid_closure_mean"] == pytest.approx(30 * 4 * 0.75 / n)
    assert figures["lid_left_right_mean_abs"] == pytest.approx(30 * 4 * 0.5 / n)
    # A closure held longer than 0.5 s is no blink.
    held = MotionClip.from_channels(FPS, n, blink_left=np.where(np.arange(n) < 20, 1.0, 0.0), blink_right=np.where(np.arange(n) < 20, 1.0, 0.0))
    assert blink_figures(held, speech_features(60.0, FPS))["blinks_per_min"] == 0.0


def test_spectrum_share_and_median_frequency() -> None:
    t = np.arange(3000) / FPS
    share, median = power_above(np.sin(2 * np.pi * 0.5 * t) + 0.5 * np.sin(2 * np.pi * 2.0 * t), FPS)
    assert share == pytest.approx(0.2, abs=1e-3)  # power 1 against 0.25
    assert median == pytest.approx(0.5, abs=0.01)


def test_lag_sign_negative_when_the_head_leads() -> None:
    rng = np.random.default_rng(0)
    voice = np.convolve(rng.standard_normal(900), np.ones(9) / 9, mode="same")
    head = np.roll(voice, -6)  # the head does now what the voice does 6 frames later
    r, lag = best_lag(head, voice, FPS)
    assert lag == pytest.approx(-6 / FPS)
    assert r > 0.95


def test_twitch_and_raw_speed() -> None:
    n = 300
    yaw = np.zeros(n)
    yaw[100:102] = 5.0  # out and back in 3 frames
    clip = MotionClip.from_channels(FPS, n, head_yaw=yaw)
    assert twitches(clip.head) == 1
    figures = real_talker_figures(clip, speech_features(n / FPS, FPS), psyberlab=False)
    assert figures["head_raw_speed_max_deg_s"] == pytest.approx(150.0, rel=1e-6)
    assert figures["head_speed_max_deg_s"] == pytest.approx(75.0, rel=1e-6)  # [1 2 1]/4 halves the steps
    spike = MotionClip.from_channels(FPS, n, head_yaw=np.where(np.arange(n) == 100, 5.0, 0.0))
    assert real_talker_figures(spike, speech_features(n / FPS, FPS), psyberlab=False)["head_speed_max_deg_s"] < 1e-6  # the median removes it
    smooth = MotionClip.from_channels(FPS, n, head_yaw=10 * np.sin(np.arange(n) / FPS))
    assert twitches(smooth.head) == 0


def test_head_at_rest_share() -> None:
    n = 300
    yaw = np.where(np.arange(n) < 100, 0.0, 5.0)  # median 5: two thirds at rest
    clip = MotionClip.from_channels(FPS, n, head_yaw=yaw)
    assert real_talker_figures(clip, speech_features(n / FPS, FPS), psyberlab=False)["head_at_rest_share"] == pytest.approx(2 / 3, abs=0.01)


def test_idt_per_axis_uses_the_range_of_each_axis() -> None:
    # 0.5 deg on each axis: inside 0.66 per axis, although the sum (1.0) is over it.
    positions = np.zeros((90, 2))
    positions[45:, :] = 0.5
    assert idt_per_axis(positions, 90.0, 0.66, 0.1) == [(0, 90)]
    positions[45:, :] = 1.0
    assert idt_per_axis(positions, 90.0, 0.66, 0.1) == [(0, 45), (45, 90)]


def test_bars_and_lines() -> None:
    assert passes("blinks_per_min", 30.0) is True
    assert passes("blinks_per_min", 20.0) is False
    assert passes("gaze_off_10_share", 0.1) is None
    assert passes("gaze_off_10_share", 0.1, "calm_presenter") is False
    lines = comparison_lines(dict.fromkeys(FIGURES, 0.0))
    assert len(lines) == len(FIGURES) + 1


def test_psyberlab_speaking_reference(shared) -> None:
    durations, sizes = psyberlab_speaking()
    assert durations.size > 5000 and sizes.size > 5000
    assert float(np.median(durations)) == pytest.approx(0.2, abs=0.01)
    assert float(np.percentile(sizes, 10)) < 0.5  # small refixations


def test_evaluate_reports_the_figures() -> None:
    features = speech_features(20.0, FPS)
    from model_runtime.generate import generate

    clip = generate(features, FPS, seed=1)
    metrics = evaluate(clip, features)
    assert "rt_blinks_per_min" in metrics and "rt_eye_head_slope_yaw" in metrics
