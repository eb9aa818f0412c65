"""The procedural performer's behaviour on constructed speech: gaze, head, blinks, limits, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from model_runtime.audio.types import SpeechFeatures, Utterance
from model_runtime.clip import MotionClip
from model_runtime.conventions import EYE_LIMIT_DEG, HEAD_LIMIT_DEG
from model_runtime.errors import GazeError
from model_runtime.evaluation import EvalConfig, evaluate
from model_runtime.evaluation.literature import skewness
from model_runtime.generate import Controls, generate
from model_runtime.performer import PRESET_NAMES, PerformerStyle, load_preset
from model_runtime.performer.blinks import CLOSE_FRACTION, OPEN_FRACTION, blink_shape, sample_blinks
from model_runtime.performer.estimate import world_gaze
from model_runtime.performer.gaze import peak_velocity_deg_s, saccade_duration_s, saccade_profile


def speech_features(seconds: float = 60.0, fps: float = 30.0, seed: int = 0, pauses: bool = True, silent: bool = False) -> SpeechFeatures:
    """Utterances of 1.5-6 s between 0.3-1.5 s pauses, with a wavering F0 and loudness."""
    rng = np.random.default_rng(seed)
    n = round(seconds * fps)
    t = np.arange(n) / fps
    speech = np.zeros(n, dtype=bool)
    utterances = []
    if not silent:
        position = 0.5 if pauses else 0.0
        while position < seconds - 1.0:
            end = min(position + (rng.uniform(1.5, 6.0) if pauses else seconds), seconds - (0.3 if pauses else 0.0))
            utterances.append(Utterance(position, end))
            speech[round(position * fps) : round(end * fps)] = True
            position = end + rng.uniform(0.3, 1.5)
    f0 = np.where(speech, 120 + 30 * np.sin(2 * np.pi * 0.7 * t) + rng.normal(0, 5, n), 0.0)
    rms = np.where(speech, 0.05 * (1.2 + np.sin(2 * np.pi * 3 * t)), 0.001)
    return SpeechFeatures(
        fps=fps, f0_hz=f0, voiced=speech.copy(), rms=rms, onset=np.abs(np.diff(rms, prepend=0.0)),
        logmel=np.zeros((n, 4)), speech=speech, utterances=tuple(utterances),
    )


# Mutual gaze within 5 deg of the listener ("off the listener" in REFERENCES.md "Real talkers"):
# looks away are real talkers' size now (8-15 deg), many inside the 10-deg default radius.
OFF_LISTENER = EvalConfig(mutual_radius_deg=5.0)


def assert_sane(clip: MotionClip) -> None:
    assert np.all(np.isfinite(clip.data))
    assert np.all(np.abs(clip.head) <= HEAD_LIMIT_DEG)
    assert np.all(np.abs(clip.data[:, 3:7]) <= EYE_LIMIT_DEG)
    assert np.all((clip.blinks >= 0.0) & (clip.blinks <= 1.0))


@pytest.fixture(scope="module")
def features() -> SpeechFeatures:
    return speech_features()


def test_same_seed_same_clip_other_seed_other_clip(features: SpeechFeatures) -> None:
    a = generate(features, 30.0, style="neutral", seed=5)
    b = generate(features, 30.0, style="neutral", seed=5)
    c = generate(features, 30.0, style="neutral", seed=6)
    assert np.array_equal(a.data, b.data)
    assert np.mean(np.abs(a.data - c.data)) > 0.5
    assert a.n_frames == features.n_frames and a.fps == 30.0


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_every_preset_stays_in_human_limits(features: SpeechFeatures, name: str) -> None:
    assert_sane(generate(features, 30.0, style=name, seed=1))


def test_presets_look_different(features: SpeechFeatures) -> None:
    """Each pair of presets differs clearly in at least one measured statistic."""
    stats = {}
    for name in PRESET_NAMES:
        m = evaluate(generate(features, 30.0, style=name, seed=0), features, config=OFF_LISTENER)
        stats[name] = np.array([m["mutual_gaze_share_speech"], m["blink_rate_per_min"] / 30.0, m["head_std_yaw_deg"] / 5.0, m["saccade_rate_hz"] / 3.0, m["away_dwell_mean_s"] / 2.0])
    names = list(stats)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert np.max(np.abs(stats[a] - stats[b])) > 0.1, (a, b)


def test_eyes_converge_on_a_near_target_and_not_a_far_one(features: SpeechFeatures) -> None:
    near = generate(features, 30.0, seed=2, controls=Controls(look_at_distance_m=0.4))
    far = generate(features, 30.0, seed=2, controls=Controls(look_at_distance_m=50.0))
    # Left eye yaw below right eye yaw = converging (both yaws positive to the character's left).
    vergence_near = np.median(near.right_eye[:, 1] - near.left_eye[:, 1])
    vergence_far = np.median(far.right_eye[:, 1] - far.left_eye[:, 1])
    assert vergence_near == pytest.approx(2 * np.degrees(np.arctan2(0.0315, 0.4)), rel=0.1)
    assert 0.0 < vergence_far < 0.2


def test_gaze_stays_on_target_while_the_head_moves(features: SpeechFeatures) -> None:
    """VOR: between saccades the world gaze is still though the head keeps moving."""
    clip = generate(features, 30.0, style="animated_storyteller", seed=3)
    gaze_step = np.linalg.norm(np.diff(world_gaze(clip), axis=0), axis=1)
    head_step = np.linalg.norm(np.diff(clip.head[:, :2], axis=0), axis=1)
    fixating = gaze_step < 0.3  # fixational drift and microsaccades move it a little
    assert fixating.mean() > 0.6
    assert np.mean(head_step[fixating]) > 0.05  # the head does move during fixations
    assert evaluate(clip, features)["vor_gain"] == pytest.approx(1.0, abs=0.1)


def test_mutual_gaze_depends_on_speaking_and_pausing(features: SpeechFeatures) -> None:
    style = PerformerStyle(mutual_gaze_speaking=0.45, mutual_gaze_pausing=0.85)
    m = evaluate(generate(features, 30.0, style=style, seed=4), features, config=OFF_LISTENER)
    assert m["mutual_gaze_share_speech"] < m["mutual_gaze_share_pause"] - 0.2
    assert m["aversion_at_utterance_start_share"] >= 0.7
    assert m["look_at_listener_at_utterance_end_share"] >= 0.7


def test_main_sequence() -> None:
    amplitude = np.array([1.0, 5.0, 10.0, 20.0, 40.0])
    duration = saccade_duration_s(amplitude)
    assert np.all(np.diff(duration) > 0)
    # Carpenter: about 2.2 ms/deg + 21 ms; head-free peak velocities 292 deg/s at 10, 398 at 20.
    assert duration[2:4] == pytest.approx(0.0022 * amplitude[2:4] + 0.021, abs=0.012)
    assert 280 <= peak_velocity_deg_s(np.array([10.0]))[0] <= 400
    assert 380 <= peak_velocity_deg_s(np.array([20.0]))[0] <= 520
    # The trajectory's own peak velocity is the main-sequence one.
    t = np.linspace(0.0, 1.0, 10001)
    trajectory = amplitude[3] * saccade_profile(t)
    peak = np.max(np.diff(trajectory)) / (duration[3] * (t[1] - t[0]))
    assert peak == pytest.approx(peak_velocity_deg_s(amplitude[3:4])[0], rel=1e-3)


def test_blink_closes_faster_than_it_opens() -> None:
    phase = np.linspace(0.0, 1.0, 1001)
    shape = blink_shape(phase)
    assert shape.max() == pytest.approx(1.0)
    assert shape[0] == 0.0 and shape[-1] == 0.0
    # Closing (10% to full) 40-47% faster than opening (full to 10%), Sforza et al. 2008.
    above = np.flatnonzero(shape >= 0.1)
    full = np.flatnonzero(shape >= 0.999)
    closing, opening = phase[full[0]] - phase[above[0]], phase[above[-1]] - phase[full[-1]]
    assert 1.35 <= opening / closing <= 1.5
    assert OPEN_FRACTION > CLOSE_FRACTION


def test_blinks_skewed_partial_and_at_the_rate(features: SpeechFeatures) -> None:
    style = load_preset("neutral")
    intervals, peaks = [], []
    for seed in range(6):
        closure = sample_blinks(features, 30.0, style, np.random.default_rng(seed))
        # The lids blink together but not identically (real talkers' lids differ by 0.07 on average).
        assert 0.0 < np.mean(np.abs(closure[:, 0] - closure[:, 1])) < 0.02
        assert np.corrcoef(closure[:, 0], closure[:, 1])[0, 1] > 0.9
        lid = closure[:, 0]
        edges = np.flatnonzero(np.diff((lid > 0.05).astype(int)) == 1)
        assert len(edges) == pytest.approx(style.blink_rate_per_min, abs=1.5)
        intervals += list(np.diff(edges) / 30.0)
        peaks += [lid[s : s + 9].max() for s in edges]  # 0.3 s: the blink, not the next one of a burst
    assert skewness(np.array(intervals)) > 0.5
    assert np.mean(np.array(peaks) < 0.9) == pytest.approx(style.partial_blink_share, abs=0.1)


def test_blink_rate_control_and_still_head(features: SpeechFeatures) -> None:
    clip = generate(features, 30.0, seed=1, controls=Controls(head_intensity=0.0, blink_rate_per_min=40.0))
    assert np.all(clip.head == 0.0)
    assert np.ptp(clip.left_eye[:, 1]) > 2.0  # the eyes still move
    # Onsets above the lids' resting closure (a few hundredths, up to 0.15 looking down).
    onsets = np.flatnonzero(np.diff((clip.blinks[:, 0] > 0.3).astype(int)) == 1)
    assert len(onsets) == pytest.approx(40, abs=3)


def test_blinks_follow_large_gaze_shifts(features: SpeechFeatures) -> None:
    style = PerformerStyle(aversion_amplitude_deg=32.0, mutual_gaze_speaking=0.4)
    m = evaluate(generate(features, 30.0, style=style, seed=2), features)
    assert m["blinks_with_large_shift_share"] >= 0.8


def test_exact_count_keeps_the_rate_whatever_the_gaze_shifts(features: SpeechFeatures) -> None:
    """Many 40-degree gaze shifts: each pulls a blink onto itself, and without ``exact_count`` the
    ones that find no blink free get one on top of the rate; with it the count is the rate's."""
    style = load_preset("neutral")
    duration = features.n_frames / 30.0
    shifts = np.column_stack([np.arange(0.5, duration, 1.0), np.full(int(np.ceil(duration - 0.5)), 40.0)])
    counts = {}
    for exact in (False, True):
        closure = sample_blinks(features, 30.0, style, np.random.default_rng(3), gaze_shifts=shifts, exact_count=exact)
        counts[exact] = int(np.sum(np.diff((closure[:, 0] > 0.05).astype(int)) == 1))
    expected = style.blink_rate_per_min * duration / 60.0
    assert counts[True] == pytest.approx(expected, abs=1.5)
    assert counts[False] > expected + 5


def test_head_follows_large_shifts_only() -> None:
    feats = speech_features(seed=5)
    m = evaluate(generate(feats, 30.0, style=PerformerStyle(aversion_amplitude_deg=30.0, head_mover=0.8), seed=0), feats)
    assert m["head_share_small_median"] < 0.2
    assert m["head_share_large_median"] > 0.25


@pytest.mark.parametrize(
    "case",
    ["silence", "noise", "one_long_utterance", "one_second"],
)
def test_bad_input_gives_sane_motion(case: str) -> None:
    if case == "silence":
        feats = speech_features(silent=True)
    elif case == "noise":
        rng = np.random.default_rng(0)
        base = speech_features(silent=True)
        feats = SpeechFeatures(
            fps=30.0, f0_hz=np.abs(rng.normal(0, 300, base.n_frames)), voiced=rng.random(base.n_frames) < 0.5,
            rms=np.abs(rng.normal(0.1, 0.05, base.n_frames)), onset=np.abs(rng.normal(0, 1, base.n_frames)),
            logmel=rng.normal(0, 1, (base.n_frames, 4)), speech=rng.random(base.n_frames) < 0.5, utterances=(),
        )
    elif case == "one_long_utterance":
        feats = speech_features(pauses=False)
    else:
        feats = speech_features(seconds=1.0)
    for name in PRESET_NAMES:
        clip = generate(feats, 30.0, style=name, seed=0)
        assert_sane(clip)
        assert clip.n_frames == feats.n_frames
    if case != "one_second":
        # Still alive: the eyes move and the lids blink even without speech structure.
        assert np.ptp(world_gaze(clip)[:, 1]) > 1.0
        assert clip.blinks.max() > 0.3


def test_empty_and_tiny_inputs() -> None:
    for seconds in (0.0, 1.0 / 30.0, 0.1):
        clip = generate(speech_features(seconds=seconds), 30.0)
        assert_sane(clip)
        assert clip.n_frames == round(seconds * 30.0)


@pytest.mark.slow
def test_sixty_minutes() -> None:
    feats = speech_features(seconds=3600.0, fps=12.0, seed=9)
    clip = generate(feats, 12.0, style="animated_storyteller", seed=0)
    assert_sane(clip)
    onsets = np.flatnonzero(np.diff((clip.blinks[:, 0] > 0.3).astype(int)) == 1)
    assert 60 * 20 < len(onsets) < 60 * 40


def test_out_of_range_style_is_clamped_or_refused(features: SpeechFeatures) -> None:
    wild = PerformerStyle(head_yaw_deg=500.0, blink_rate_per_min=-3.0, aversion_amplitude_deg=float("nan"), mutual_gaze_speaking=7.0)
    with pytest.raises(GazeError, match="head_yaw_deg"):
        wild.validate()
    clip = generate(features, 30.0, style=wild, seed=0)
    assert_sane(clip)
    assert clip.head[:, 1].std() < 15.0


def test_bad_controls_are_refused(features: SpeechFeatures) -> None:
    for controls in (Controls(head_intensity=float("nan")), Controls(look_at_distance_m=0.0), Controls(blink_rate_per_min=-1.0),
                     Controls(match_statistics="yes")):  # type: ignore[arg-type]
        with pytest.raises(GazeError, match="controls"):
            generate(features, 30.0, controls=controls)
    clip = generate(features, 30.0, controls=Controls(look_at_yaw_deg=60.0, look_at_pitch_deg=-20.0))
    assert_sane(clip)
    assert np.median(world_gaze(clip)[:, 1]) == pytest.approx(60.0, abs=3.0)
