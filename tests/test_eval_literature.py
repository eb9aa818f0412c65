"""Literature statistics on constructed motion with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from model_runtime.audio.types import Utterance
from model_runtime.evaluation import evaluate, literature
from model_runtime.evaluation.analysis import analyze
from model_runtime.evaluation.events import Blink, Saccade, detect_saccades, world_directions
from tests.test_eval_events import FPS, eyes, step
from tests.test_eval_support import features_from_mask


def test_mutual_gaze_share_speech_vs_pause_uses_world_gaze():
    n = 250
    speech = np.arange(n) < 125
    # Speaking: head turned 30 deg left, eyes 30 deg right -> gaze in the world straight ahead.
    # Pausing: head ahead, eyes 30 deg left -> looking away.
    head = np.where(speech, 30.0, 0.0)
    eye = np.where(speech, -30.0, 30.0)
    clip = eyes(n, yaw=eye, head_yaw=head)
    metrics = evaluate(clip, features_from_mask(speech, FPS))
    assert metrics["mutual_gaze_share_speech"] == 1.0
    assert metrics["mutual_gaze_share_pause"] == 0.0
    assert metrics["mutual_dwell_mean_s"] == pytest.approx(5.0)


def test_listener_direction_and_radius_are_parameters():
    dirs = world_directions(eyes(3, yaw=np.array([0.0, 9.0, 11.0])))
    ahead = np.array([0.0, 0.0, 1.0])
    assert literature.mutual_gaze_mask(dirs, ahead, 10.0).tolist() == [True, True, False]
    assert literature.mutual_gaze_mask(dirs, ahead, 5.0).tolist() == [True, False, False]
    left = np.array([np.sin(np.radians(11.0)), 0.0, np.cos(np.radians(11.0))])
    assert literature.mutual_gaze_mask(dirs, left, 1.0).tolist() == [False, False, True]


def test_aversion_at_utterance_starts_and_return_at_ends():
    n = 500  # 20 s, utterances of 3 s every 5 s; gaze away for the first second of each, at the listener after
    t = np.arange(n) / FPS
    utterances = [Utterance(s, s + 3.0) for s in (1.0, 6.0, 11.0, 16.0)]
    mutual = np.ones(n, dtype=bool)
    for u in utterances[:3]:  # the last utterance starts looking at the listener
        mutual[(t >= u.start - 0.5) & (t < u.start + 1.0)] = False
    assert literature.aversion_at_utterance_starts(mutual, FPS, utterances) == 0.75
    assert literature.look_at_listener_at_utterance_ends(mutual, FPS, utterances) == 1.0
    assert math.isnan(literature.aversion_at_utterance_starts(mutual, FPS, [Utterance(1.0, 1.5)]))


def test_direction_histogram_bins():
    saccades = [Saccade(0, 1, 5.0, d, 0.04, 100.0) for d in (0, 10, 350, 45, 90, 180, 270, 300)]
    assert literature.direction_histogram(saccades) == pytest.approx([3 / 8, 1 / 8, 1 / 8, 0, 1 / 8, 0, 1 / 8, 1 / 8])


def test_head_share_of_a_40_degree_shift():
    n = 100
    # The eyes jump 40 deg at frame 50; the head then turns 20 deg over 5 frames while the eyes
    # counter-rotate, so the gaze stays at 40 deg: the head carried half the shift.
    head = np.clip((np.arange(n) - 50) * 4.0, 0.0, 20.0)
    eye = step(n, 50, 40.0) - head
    clip = eyes(n, yaw=eye, head_yaw=head)
    saccades = detect_saccades(world_directions(clip), FPS)
    assert len(saccades) == 1
    a = analyze(clip, features_from_mask(np.zeros(n, bool), FPS))
    assert a.shift_amplitudes.tolist() == pytest.approx([40.0])
    assert a.head_shares.tolist() == pytest.approx([0.5])


@pytest.mark.parametrize(("eye_gain", "expected"), [(-1.0, 1.0), (0.0, 0.0), (-0.5, 0.5)])
def test_vor_gain(eye_gain, expected):
    n = 250
    head = 10.0 * np.sin(2 * np.pi * 0.5 * np.arange(n) / FPS)
    metrics = evaluate(eyes(n, yaw=eye_gain * head, head_yaw=head), features_from_mask(np.zeros(n, bool), FPS))
    assert metrics["vor_gain"] == pytest.approx(expected, abs=1e-6)


def test_blink_rate_ibi_and_ratio_through_evaluate():
    fps = 50.0
    n = round(60 * fps)
    closure = np.zeros(n)
    shape = np.concatenate([np.linspace(0, 1, 6), np.linspace(1, 0, 11)[1:]])  # 0.1 s closing, 0.2 s opening
    for t in np.arange(10) * 6.0 + 1.0:
        i = round(t * fps)
        closure[i:i + len(shape)] = shape
    from model_runtime.clip import MotionClip

    clip = MotionClip.from_channels(fps, n, blink_left=closure, blink_right=closure)
    m = evaluate(clip, features_from_mask(np.zeros(n, bool), fps))
    assert m["blink_rate_per_min"] == pytest.approx(10.0)
    assert m["blink_ibi_mean_s"] == pytest.approx(6.0)
    assert math.isnan(m["blink_ibi_skewness"])  # equal intervals have no skew
    assert m["blink_close_open_ratio"] == pytest.approx(0.5)
    assert m["blink_partial_share"] == 0.0


def test_skewness_of_right_skewed_sample():
    x = np.array([1.0, 1.0, 1.0, 1.0, 10.0])
    # Hand computation: mean 2.8, deviations -1.8 x4 and 7.2; m2 = 12.96, m3 = 69.984 -> 69.984 / 46.656 = 1.5
    assert literature.skewness(x) == pytest.approx(1.5)
    assert literature.skewness(-x) < 0


def test_blinks_near_pauses_and_chance():
    n = 250
    speech = np.ones(n, dtype=bool)
    speech[100:125] = False  # one 1 s pause at 4-5 s
    blinks = [Blink(4.2, 4.4, 0.1, 0.1, 1.0, False), Blink(5.1, 5.3, 0.1, 0.1, 1.0, False), Blink(8.0, 8.2, 0.1, 0.1, 1.0, False)]
    share, chance = literature.blinks_near_pauses(blinks, speech, FPS, margin_s=0.32)
    assert share == pytest.approx(2 / 3)
    assert chance == pytest.approx((25 + 2 * 8) / 250)  # the pause plus 8 frames either side


def test_blinks_with_large_shifts():
    saccades = [Saccade(50, 51, 40.0, 0.0, 0.04, 1000.0), Saccade(150, 151, 35.0, 0.0, 0.04, 900.0), Saccade(200, 201, 10.0, 0.0, 0.04, 250.0)]
    blinks = [Blink(1.95, 2.2, 0.1, 0.1, 1.0, False)]
    assert literature.blinks_with_large_shifts(saccades, blinks, FPS) == 0.5
    assert math.isnan(literature.blinks_with_large_shifts(saccades[2:], blinks, FPS))


def test_lagged_correlation_finds_head_lag():
    rng = np.random.default_rng(0)
    prosody = np.convolve(rng.standard_normal(600), np.ones(5) / 5, mode="same")
    motion = np.roll(prosody, 3)  # the head follows by 3 frames
    r, lag = literature.lagged_correlation(motion, prosody, FPS)
    assert lag == pytest.approx(3 / FPS)
    assert r > 0.95


def test_f0_semitones_fills_unvoiced():
    st = literature.f0_semitones(np.array([100.0, 0.0, 200.0, 0.0]))
    assert st.tolist() == pytest.approx([0.0, 6.0, 12.0, 12.0])


def test_every_human_range_names_an_evaluate_key():
    from model_runtime.evaluation import HUMAN_RANGES, RANGE_CONFIDENCE, out_of_range
    from tests.conftest import random_clip

    clip = random_clip(fps=FPS, seconds=20.0)
    metrics = evaluate(clip, features_from_mask(np.arange(clip.n_frames) % 100 < 70, FPS))
    assert set(HUMAN_RANGES) <= set(metrics)
    assert set(RANGE_CONFIDENCE) == set(HUMAN_RANGES)
    assert all(low < high for low, high in HUMAN_RANGES.values())
    outside = out_of_range({"blink_rate_per_min": 45.0, "vor_gain": 1.0, "fixation_ratio": math.nan})
    assert outside == {"blink_rate_per_min": (45.0, (10.5, 40.0))}
