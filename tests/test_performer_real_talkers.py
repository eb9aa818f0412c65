"""The performer against the real talkers (issue #26): bounds that hold in every style and intensity,
presets that differ as their descriptions say, and the default style's figures on constructed speech.

The figures on real speech, every bar and every preset: ``benchmarks/real_talkers.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from model_runtime.audio.types import SpeechFeatures
from model_runtime.evaluation.real_talkers import head_speed as frame_head_speed
from model_runtime.evaluation.real_talkers import real_talker_figures, twitches
from model_runtime.generate import Controls, generate
from model_runtime.performer import PRESET_NAMES
from tests.test_performer_behaviour import speech_features

FPS = 30.0


@pytest.fixture(scope="module")
def features() -> SpeechFeatures:
    return speech_features(60.0, FPS, seed=11)


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_head_never_steps_or_twitches(features: SpeechFeatures, name: str) -> None:
    """No single-frame step and no out-and-back twitch, at any head or gaze intensity."""
    for head, gaze in ((1.0, 1.0), (2.0, 2.0), (0.5, 2.0)):
        clip = generate(features, FPS, style=name, seed=3, controls=Controls(head_intensity=head, gaze_intensity=gaze))
        assert frame_head_speed(clip.head, FPS).max() <= 250.0, (name, head, gaze)  # issue #26; the limiter holds about 200
        assert twitches(clip.head) == 0, (name, head, gaze)


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_every_clip_ends_with_the_lids_open(features: SpeechFeatures, name: str) -> None:
    for seed in range(3):
        clip = generate(features, FPS, style=name, seed=seed)
        assert np.all(clip.blinks[-1] == 0.0)


def test_presets_avert_as_described(features: SpeechFeatures) -> None:
    """shy_averted looks away more, further and lower than neutral; calm_presenter less than neutral."""
    figures = {}
    for name in ("neutral", "shy_averted", "calm_presenter"):
        rows = [real_talker_figures(generate(features, FPS, style=name, seed=seed), features, psyberlab=False) for seed in range(3)]
        figures[name] = {key: float(np.median([row[key] for row in rows])) for key in rows[0]}
    shy, neutral, calm = figures["shy_averted"], figures["neutral"], figures["calm_presenter"]
    assert shy["gaze_off_5_share"] > neutral["gaze_off_5_share"] + 0.1 > calm["gaze_off_5_share"] + 0.1
    assert shy["gaze_off_10_share"] > neutral["gaze_off_10_share"] > calm["gaze_off_10_share"]
    assert calm["gaze_off_10_share"] <= 0.08
    # Lower: hardly ever up, and less often up than neutral.
    assert shy["gaze_off_down_share"] > 2.0 * shy["gaze_off_up_share"]
    assert shy["gaze_off_up_share"] < neutral["gaze_off_up_share"]
    assert shy["gaze_shift_p90_deg"] > neutral["gaze_shift_p90_deg"] > calm["gaze_shift_p90_deg"]


def test_default_style_meets_the_real_talker_bars(features: SpeechFeatures) -> None:
    rows = [real_talker_figures(generate(features, FPS, seed=seed), features, psyberlab=False) for seed in range(3)]
    median = {key: float(np.median([row[key] for row in rows])) for key in rows[0]}
    assert 3.0 <= median["gaze_shift_median_deg"] <= 8.0
    assert median["gaze_shifts_over_10_share"] <= 0.2
    assert median["eye_head_slope_yaw"] <= -0.6 and median["eye_head_slope_pitch"] <= -0.6
    assert 25.0 <= median["blinks_per_min"] <= 40.0
    assert median["blink_interval_cv"] >= 0.8
    assert median["lid_closure_mean"] >= 0.08
    assert median["head_at_rest_share"] <= 0.12
    assert median["head_sd_roll_deg"] >= 2.0
    for axis in ("pitch", "yaw", "roll"):
        assert median[f"head_power_above_1hz_{axis}"] <= 0.28
    # (The lag to loudness needs real speech: the constructed loudness is a 3-Hz sine, whose
    # correlation repeats every 0.33 s. benchmarks/real_talkers.py measures it: -0.13 s.)
