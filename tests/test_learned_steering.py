"""Steering the sampled gaze and head towards a style's statistics (model_runtime.learned.steering)."""

from __future__ import annotations

import numpy as np
import pytest

from model_runtime.clip import MotionClip
from model_runtime.conventions import CHANNELS
from model_runtime.evaluation import evaluate
from model_runtime.evaluation.analysis import EvalConfig
from model_runtime.evaluation.events import world_directions
from model_runtime.intervals import runs
from model_runtime.learned.gaze_events import GAZE_STATES, GazeGrid, GazeState, render_events
from model_runtime.learned.head_follow import rest_head_std
from model_runtime.learned.steering import DEADBAND_DEG, MAX_LANDINGS, Steering, StyleTargets, away_landings, landing_weights
from model_runtime.performer.engine import perform
from model_runtime.performer.estimate import estimate_style
from model_runtime.performer.presets import load_preset
from tests.test_performer_behaviour import speech_features

FPS = 25.0


def _targets(rate: float = 1.0, mutual: float = 0.6, pitch: float = 4.0, yaw: float = 6.0, roll: float = 2.0, aversions: float = 0.3,
             landings: tuple[tuple[float, float], ...] = ()) -> StyleTargets:
    return StyleTargets(saccade_rate_hz=rate, mutual_gaze_share=mutual, aversion_rate_hz=aversions, head_std_pitch_deg=pitch, head_std_yaw_deg=yaw,
                        head_std_roll_deg=roll, away_landings=landings)


def _render(targets: StyleTargets | None, frames: int = 1500, onset: float = 0.05, seed: int = 0) -> tuple[np.ndarray, Steering | None]:
    """World gaze (frames, 2) from flat event outputs: onsets at a constant probability, landings
    anywhere on the grid alike; rendered in chunks of 10 frames as the stream does."""
    grid = GazeGrid()
    rng = np.random.default_rng(seed)
    state = GazeState.rest()
    steering = Steering(targets, FPS) if targets is not None else None
    out = []
    for _ in range(frames // 10):
        probs = np.full((1, 10, GAZE_STATES, grid.size), 1.0 / grid.size)
        hop = np.zeros((1, 10, GAZE_STATES, 2)) + [0.3, 2.0]
        out.append(render_events(np.full((1, 10, GAZE_STATES), onset), probs, hop, state, rng.random((1, 10, 4)), grid, FPS,
                                 None if steering is None else [steering])[0])
    return np.concatenate(out), steering


def _clip(gaze: np.ndarray, head: np.ndarray | None = None) -> MotionClip:
    """A clip whose eyes hold ``gaze`` (frames, 2) in the world over ``head`` (frames, 2) (default still)."""
    n = gaze.shape[0]
    data = np.zeros((n, len(CHANNELS)))
    if head is not None:
        data[:, 0:2] = head
    data[:, 3:5] = data[:, 5:7] = gaze - data[:, 0:2]
    return MotionClip(fps=FPS, data=data)


def test_targets_of_a_take_are_the_evaluations_statistics() -> None:
    features = speech_features(seconds=20.0, fps=FPS)
    clip = perform(features, load_preset("animated_storyteller"), seed=3)
    targets = StyleTargets.of_clip(clip)
    assert targets is not None
    metrics = evaluate(clip, features)
    assert targets.saccade_rate_hz == pytest.approx(metrics["saccade_rate_hz"])
    assert targets.mutual_gaze_share == pytest.approx(metrics["mutual_gaze_share"])
    # Looks away begun: runs of frames off the listener that follow a frame on it.
    mutual = EvalConfig().mutual(world_directions(clip))
    begun = sum(1 for start, _ in runs(~mutual) if start > 0)
    assert begun > 2 and targets.aversion_rate_hz == pytest.approx(begun / clip.duration)
    # The head-mover share is the style estimate's; the head's std is of its rest (without the follow).
    assert targets.head_mover is not None and targets.head_mover == pytest.approx(estimate_style(clip, features).head_mover)
    np.testing.assert_allclose([targets.head_std_pitch_deg, targets.head_std_yaw_deg, targets.head_std_roll_deg], rest_head_std(clip, targets.head_mover))
    assert targets.head_std_yaw_deg < metrics["head_std_yaw_deg"]
    assert targets.head_std_roll_deg == pytest.approx(metrics["head_std_roll_deg"])  # the follow turns no roll
    assert StyleTargets.from_dict(targets.to_dict()) == targets


def _look_away_clip() -> MotionClip:
    """On the listener, then looks away to (-10, 20) deg (down, left), back, and away to (12, -25) (up, right)."""
    spots = [(0.0, 0.0), (-10.0, 20.0), (0.0, 0.0), (12.0, -25.0), (0.0, 0.0)]
    return _clip(np.repeat(np.array(spots), 30, axis=0))


def test_landings_are_where_the_looks_away_come_to_rest() -> None:
    np.testing.assert_allclose(away_landings(_look_away_clip()), [(-10.0, 20.0), (12.0, -25.0)])
    targets = StyleTargets.of_clip(_look_away_clip())
    assert targets is not None and len(targets.away_landings) == 2
    assert StyleTargets.from_dict(targets.to_dict()) == targets
    # A preset pools its renderings' landings, thinned to MAX_LANDINGS.
    pooled = StyleTargets.pooled([targets] * (MAX_LANDINGS // 2 + 5))
    assert len(pooled.away_landings) == MAX_LANDINGS and set(pooled.away_landings) == set(targets.away_landings)
    assert pooled.saccade_rate_hz == pytest.approx(targets.saccade_rate_hz)


def test_landing_weights_favour_the_references_spots_and_keep_the_away_total() -> None:
    grid = GazeGrid()
    weights = landing_weights(((-10.0, 20.0),), grid)
    assert weights is not None and landing_weights((), grid) is None
    near, far = grid.code(np.array([[-10.0, 20.0], [10.0, -20.0]]))
    assert weights[near] > 100 * weights[far]
    assert np.all(weights[grid.listener] == 1.0)
    probs = np.random.default_rng(0).random(grid.size)
    steered = Steering(_targets(), FPS, landing=weights).landing_codes(probs, grid.listener)
    np.testing.assert_allclose(steered[grid.listener], probs[grid.listener])
    assert steered[~grid.listener].sum() == pytest.approx(probs[~grid.listener].sum())


@pytest.mark.parametrize("side", [1.0, -1.0])
def test_looks_away_go_where_the_references_did(side: float) -> None:
    """With landings only on one side (yaw sign ``side``, looking down), the looks away go there;
    from flat probabilities they would go anywhere alike. The mutual-gaze share still follows its target."""
    grid = GazeGrid()
    landings = ((-8.0, side * 20.0), (-12.0, side * 28.0), (-6.0, side * 16.0))
    targets = _targets(landings=landings)
    rng = np.random.default_rng(5)
    state = GazeState.rest()
    steering = Steering(targets, FPS, landing=landing_weights(landings, grid))
    gaze = np.concatenate([render_events(np.full((1, 10, GAZE_STATES), 0.05), np.full((1, 10, GAZE_STATES, grid.size), 1.0 / grid.size),
                                         np.zeros((1, 10, GAZE_STATES, 2)) + [0.3, 2.0], state, rng.random((1, 10, 4)), grid, FPS, [steering])[0]
                           for _ in range(150)])
    away = np.hypot(gaze[:, 0], gaze[:, 1]) > 10.0
    assert away.mean() > 0.1
    assert np.mean(np.sign(gaze[away, 1]) == side) > 0.85 and np.mean(gaze[away, 0] < 0) > 0.85
    free, _ = _render(None, seed=5)
    free_away = np.hypot(free[:, 0], free[:, 1]) > 10.0
    assert 0.2 < np.mean(np.sign(free[free_away, 1]) == side) < 0.8
    measured = StyleTargets.of_clip(_clip(gaze))
    assert measured is not None and measured.mutual_gaze_share == pytest.approx(0.6, abs=0.08)


def test_a_take_of_one_frame_has_no_targets() -> None:
    assert StyleTargets.of_clip(MotionClip(fps=FPS, data=np.zeros((1, len(CHANNELS))))) is None


@pytest.mark.parametrize("rate", [0.6, 2.4])
def test_saccade_rate_follows_the_target(rate: float) -> None:
    gaze, steering = _render(_targets(rate=rate))
    measured = StyleTargets.of_clip(_clip(gaze))
    assert measured is not None and steering is not None
    assert measured.saccade_rate_hz == pytest.approx(rate, rel=0.15)
    # The renderer's own count is what the evaluation detects.
    assert steering.shifts / (steering.frames / FPS) == pytest.approx(measured.saccade_rate_hz, rel=0.05)


def test_unsteered_rate_is_the_models_own() -> None:
    low, _ = _render(None, seed=1)
    measured = StyleTargets.of_clip(_clip(low))
    assert measured is not None
    # About 0.05 x 25 fps less the refractory frames and merged moves: well away from both targets above.
    assert 0.6 * 1.3 < measured.saccade_rate_hz < 2.4 / 1.3


def test_looks_away_begin_as_often_as_the_targets_and_keep_the_mutual_share() -> None:
    """Same mutual-gaze share, looks away twice as often: each look is shorter. (This stand-in
    generator lands anywhere on the grid alike, so most of its saccades go away from the
    listener: a rare look away is the hardest case for the steering.)"""
    measured = {}
    for aversions in (0.2, 0.45):
        gaze, steering = _render(_targets(mutual=0.6, aversions=aversions), frames=3000, seed=4)
        targets = StyleTargets.of_clip(_clip(gaze))
        assert targets is not None and steering is not None
        assert targets.aversion_rate_hz == pytest.approx(aversions, abs=0.08)
        assert targets.mutual_gaze_share == pytest.approx(0.6, abs=0.05)
        assert steering.aversions / (steering.frames / FPS) == pytest.approx(targets.aversion_rate_hz, rel=0.05)
        measured[aversions] = targets.aversion_rate_hz
    assert measured[0.45] > 1.5 * measured[0.2]


@pytest.mark.parametrize("share", [0.25, 0.8])
def test_mutual_gaze_share_follows_the_target(share: float) -> None:
    gaze, _ = _render(_targets(mutual=share), seed=2)
    measured = StyleTargets.of_clip(_clip(gaze))
    assert measured is not None
    assert measured.mutual_gaze_share == pytest.approx(share, abs=0.08)


def _head_and_gaze(frames: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """A head swaying (std about 3.5 deg pitch, 7 yaw, 2 roll) and a gaze that shifts every 20 frames."""
    t = np.arange(frames) / FPS
    head = np.column_stack([5.0 * np.sin(2 * np.pi * 0.13 * t), 10.0 * np.sin(2 * np.pi * 0.07 * t + 1.0), 3.0 * np.sin(2 * np.pi * 0.09 * t + 2.0)])
    gaze = np.repeat(np.random.default_rng(0).normal(scale=8.0, size=(frames // 20 + 1, 2)), 20, axis=0)[:frames]
    return head, gaze


@pytest.mark.parametrize("scale", [0.5, 1.6])
def test_head_std_follows_the_target_and_holds_while_the_gaze_does(scale: float) -> None:
    head, gaze = _head_and_gaze()
    targets = _targets(pitch=scale * head[:, 0].std(), yaw=scale * head[:, 1].std(), roll=scale * head[:, 2].std())
    steering = Steering(targets, FPS)
    shown = np.concatenate([steering.head(head[i : i + 10], gaze[i : i + 10]) for i in range(0, len(head), 10)])
    std = shown[200:].std(axis=0)  # after the running estimate has settled
    np.testing.assert_allclose(std, [targets.head_std_pitch_deg, targets.head_std_yaw_deg, targets.head_std_roll_deg], rtol=0.15)
    # While the gaze holds still the head holds until its aim is DEADBAND_DEG away, then follows:
    # many still frames, and steps no larger than the dead band (plus a frame's move) between shifts.
    still_frames = np.ones(len(head) - 1, dtype=bool)
    still_frames[19::20] = False  # frame i -> i + 1 where the gaze jumps
    step = np.linalg.norm(np.diff(shown, axis=0), axis=1)[200:][still_frames[200:]]
    raw_step = np.linalg.norm(np.diff(head, axis=0), axis=1)[200:][still_frames[200:]]
    assert np.mean(step == 0.0) > 0.5 > np.mean(raw_step == 0.0)
    assert step.max() <= 2.5 * DEADBAND_DEG + scale * raw_step.max()


def test_head_steering_is_the_same_in_any_chunking() -> None:
    head, gaze = _head_and_gaze(300)
    a, b = Steering(_targets(), FPS), Steering(_targets(), FPS)
    whole = a.head(head, gaze)
    parts = np.concatenate([b.head(head[i : i + 7], gaze[i : i + 7]) for i in range(0, 300, 7)])
    np.testing.assert_allclose(whole, parts, atol=1e-12)
