"""Generated motion against human reference ranges, on real speech (../shared/data/speech).

A representative subset keeps CI fast: the 7 clips below (the longest of each source, 17-49 s,
English, French, Spanish, Portuguese; about 4 minutes of speech), every preset, seeds 0 and 1.
The statistics come from model_runtime.evaluation; the ranges from its HUMAN_RANGES
(../shared/REFERENCES.md). Per preset, the median of each statistic over the 14 clips must lie
in the human range; per-clip values are noisier (a 20-s clip has a handful of blinks), so only
the robust ones are held clip by clip.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from model_runtime.audio import compute_features, load_audio
from model_runtime.evaluation import EvalConfig, evaluate
from model_runtime.evaluation.reference_ranges import HUMAN_RANGES
from model_runtime.generate import generate
from model_runtime.performer import PRESET_NAMES
from tests.conftest import SHARED

CLIPS = (
    "ljspeech_lj_1.flac",
    "usgov_gwbush_1.flac",
    "ljspeech_lj_3.flac",
    "fleurs_fr_1.flac",
    "fleurs_es_2.flac",
    "fleurs_pt_1.flac",
    "librispeech_3436_1.flac",
)
SEEDS = (0, 1)
# Styles that address a camera rather than a partner: real presenters rarely look away (gaze more
# than 10 deg off the camera 1.9% of the time, REFERENCES.md "Real talkers"), so Kendon's
# conversational utterance-start aversions do not apply to them.
PRESENTERS = ("calm_presenter", "intense_direct")
CONVERSATION_ONLY = ("aversion_at_utterance_start_share", "mutual_gaze_share_pause", "mutual_dwell_mean_s")
# Mutual gaze = within 5 deg of the listener, as "off the listener" in REFERENCES.md "Real talkers":
# looks away are now real talkers' size (8-15 deg for most presets), many inside the 10-deg default.
OFF_LISTENER = EvalConfig(mutual_radius_deg=5.0)
# Statistics that must hold on every clip, not only in the median.
PER_CLIP = ("vor_gain", "blink_close_open_ratio", "look_at_listener_at_utterance_end_share", "fixation_duration_median_s", "head_std_roll_deg")


@pytest.fixture(scope="module")
def metrics() -> dict[str, list[dict[str, object]]]:
    if not SHARED.is_dir():
        pytest.skip(f"shared data not found at {SHARED}")
    out: dict[str, list[dict[str, object]]] = {name: [] for name in PRESET_NAMES}
    for clip_name in CLIPS:
        features = compute_features(load_audio(SHARED / "data" / "speech" / clip_name), 30.0)
        for name in PRESET_NAMES:
            for seed in SEEDS:
                out[name].append(evaluate(generate(features, 30.0, style=name, seed=seed), features, config=OFF_LISTENER))
    return out


def values(rows: list[dict[str, object]], key: str) -> np.ndarray:
    found = [float(v) for row in rows if isinstance(v := row.get(key), (int, float)) and not math.isnan(float(v))]
    return np.array(found)


@pytest.mark.slow
@pytest.mark.parametrize("name", PRESET_NAMES)
def test_preset_medians_in_human_ranges(metrics: dict[str, list[dict[str, object]]], name: str) -> None:
    outside = {}
    for key, (low, high) in HUMAN_RANGES.items():
        if name in PRESENTERS and key in CONVERSATION_ONLY:
            continue
        found = values(metrics[name], key)
        if found.size and not low <= float(np.median(found)) <= high:
            outside[key] = (round(float(np.median(found)), 3), (low, high))
    assert not outside, outside
    # Every statistic the issue names was measured at least on some clips.
    for key in ("blink_rate_per_min", "blink_ibi_skewness", "blink_close_open_ratio", "saccade_amplitude_median_deg",
                "mutual_gaze_share_speech", "mutual_gaze_share_pause", "aversion_at_utterance_start_share",
                "head_share_small_median", "vor_gain"):
        assert values(metrics[name], key).size >= len(CLIPS), key
    # More eye contact while pausing than while speaking (Argyle & Cook: 41% vs 75%).
    assert np.median(values(metrics[name], "mutual_gaze_share_pause")) > np.median(values(metrics[name], "mutual_gaze_share_speech"))
    # Head speed follows loudness (Munhall et al. 2004), and small-saccade amplitudes resemble the
    # speaking fixation data in ../shared/data/gaze/psyberlab (Kolmogorov-Smirnov distance).
    assert np.median(values(metrics[name], "head_rms_xcorr")) > 0.15
    # (psyberlab is face-to-face conversation: presenters' shifts are smaller, REFERENCES.md "Real talkers".)
    if name not in PRESENTERS:
        assert np.median(values(metrics[name], "ks_saccade_amplitude_psyberlab_speak")) < 0.4
    # Blinks lean towards speech pauses (Nakano & Kitazawa 2010), but only a little: real talkers 40%
    # within 0.3 s of a pause against 34% by chance, presenters 47% against 40%, interviewees 16%
    # against 16% (REFERENCES.md "Real talkers"). At least as often as chance, then.
    assert np.median(values(metrics[name], "blinks_near_pause_share")) >= np.median(values(metrics[name], "blinks_near_pause_chance")) - 0.02


@pytest.mark.slow
def test_robust_statistics_hold_on_every_clip(metrics: dict[str, list[dict[str, object]]]) -> None:
    for key in PER_CLIP:
        low, high = HUMAN_RANGES[key]
        for name in PRESET_NAMES:
            found = values(metrics[name], key)
            assert np.all((found >= low) & (found <= high)), (name, key, found.round(3))


@pytest.mark.slow
def test_head_share_grows_with_shift_amplitude(metrics: dict[str, list[dict[str, object]]]) -> None:
    """Freedman & Sparks: eye-only small shifts, a growing head share for large ones."""
    small = np.concatenate([values(metrics[n], "head_share_small_median") for n in PRESET_NAMES])
    large = np.concatenate([values(metrics[n], "head_share_large_median") for n in PRESET_NAMES])
    # Shifts of 25 deg and more are rare now that looks away are real talkers' size (8-15 deg for
    # most presets): only the wide-glancing styles make them.
    assert large.size >= 4
    assert np.median(large) > np.median(small) + 0.1
