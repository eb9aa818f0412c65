"""Gaze as events: training labels from a gaze track, the landing grid, and the sampler/renderer."""

from __future__ import annotations

import numpy as np
import pytest

from model_runtime.learned.gaze_events import (
    GAZE_STATES,
    MIN_FIXATION_S,
    RENDER_SPEED_DEG_S,
    GazeGrid,
    GazeState,
    gaze_state,
    landing_probabilities,
    render_events,
    saccade_events,
    to_angles,
    to_generator_motion,
)

FPS = 25.0


def test_events_found_at_each_saccade_with_its_landing_point() -> None:
    gaze = np.zeros((60, 2))
    gaze[10:] = [0.0, 12.0]  # a one-frame jump at frame 10
    gaze[30] = [-5.0, 6.0]  # a two-frame move starting at 30, landing at 31
    gaze[31:] = [-10.0, 0.0]
    gaze[45:] += np.linspace(0.0, 0.3, 15)[:, None]  # slow drift: not a saccade
    onset, landing = saccade_events(gaze, FPS)
    assert np.flatnonzero(onset).tolist() == [10, 30]
    np.testing.assert_allclose(landing[10], [0.0, 12.0])
    np.testing.assert_allclose(landing[30], [-10.0, 0.0])
    assert np.isnan(landing[~onset]).all()


def test_grid_codes_round_trip_through_their_centres() -> None:
    grid = GazeGrid(step_deg=3.0, pitch_max_deg=24.0, yaw_max_deg=48.0)
    centres = grid.centres
    assert centres.shape == (grid.size, 2) == (16 * 32, 2)
    np.testing.assert_array_equal(grid.code(centres), np.arange(grid.size))
    # Points beyond the grid go to its edge instead of wrapping round.
    assert grid.code(np.array([[90.0, -90.0]]))[0] == (grid.n_pitch - 1) * grid.n_yaw


def test_generator_layout_round_trip() -> None:
    rng = np.random.default_rng(0)
    angles = rng.normal(scale=10, size=(20, 7)).astype(np.float32)
    angles[:, 5:7] = angles[:, 3:5]  # one gaze direction for both eyes, as the runtime writes
    back = to_angles(to_generator_motion(angles))
    np.testing.assert_allclose(back, angles, atol=1e-4)
    world = to_generator_motion(angles)[:, 3:5]
    np.testing.assert_allclose(world, angles[:, 0:2] + angles[:, 3:5], atol=1e-4)


def _same_in_every_state(x: np.ndarray) -> np.ndarray:
    """(B, N, ...) -> (B, N, S, ...): the same event outputs for every gaze state."""
    return np.repeat(x[:, :, None], GAZE_STATES, axis=2)


def _run(onset: float, target: np.ndarray, frames: int, seed: int = 0) -> np.ndarray:
    grid = GazeGrid()
    probs = np.zeros((1, frames, grid.size))
    probs[0, :, grid.code(target)[0]] = 1.0
    noise = np.random.default_rng(seed).random((1, frames, 4))
    hop = np.zeros((1, frames, 2)) + [0.0, 1.0]
    return render_events(np.full((1, frames, GAZE_STATES), onset), _same_in_every_state(probs), _same_in_every_state(hop), GazeState.rest(), noise, grid, FPS)[0]


def test_no_onsets_hold_the_gaze_still() -> None:
    gaze = _run(0.0, np.array([[0.0, 30.0]]), 40)
    assert np.abs(gaze).max() == 0.0


def test_sure_onsets_respect_the_shortest_fixation_and_land_in_the_bin() -> None:
    target = np.array([[-7.5, 28.5]])  # a bin centre
    gaze = _run(1.0, target, 12)
    # The first frame starts a saccade; a 29 deg move takes a few frames at the render speed.
    step = RENDER_SPEED_DEG_S / FPS
    assert np.linalg.norm(gaze[0]) == pytest.approx(step, rel=1e-6)
    assert np.abs(gaze[-1] - target[0]).max() <= GazeGrid().step_deg / 2
    onset, _ = saccade_events(np.vstack([[0.0, 0.0], gaze]), FPS)
    starts = np.flatnonzero(onset)
    assert len(starts) >= 1 and np.all(np.diff(starts) >= MIN_FIXATION_S * FPS)


def test_onset_probability_sets_the_saccade_rate() -> None:
    grid = GazeGrid()
    frames, p = 5000, 0.05
    rng = np.random.default_rng(1)
    probs = np.full((1, frames, grid.size), 1.0 / grid.size)
    hop = np.zeros((1, frames, 2)) + [0.5, 2.0]
    gaze = render_events(np.full((1, frames, GAZE_STATES), p), _same_in_every_state(probs), _same_in_every_state(hop), GazeState.rest(),
                         rng.random((1, frames, 4)), grid, FPS)[0]
    onset, _ = saccade_events(np.vstack([[0.0, 0.0], gaze]), FPS)
    # A Bernoulli draw per frame after each shortest fixation: p / (1 + p * (gap - 1)) onsets per frame.
    gap = np.ceil(MIN_FIXATION_S * FPS)
    expected = p / (1 + p * (gap - 1)) * frames
    assert abs(onset.sum() - expected) < 0.15 * expected


def test_hops_land_near_the_gaze_and_global_codes_anywhere() -> None:
    grid = GazeGrid()
    uniform = np.full((2, grid.size), 1.0 / grid.size)
    gaze = np.array([[10.0, -20.0], [10.0, -20.0]])
    probs = landing_probabilities(uniform, np.array([[1.0, 2.0], [0.0, 2.0]]), gaze, grid)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    near = np.linalg.norm(grid.centres - gaze[0], axis=1) < 6.0
    assert probs[0, near].sum() > 0.95
    np.testing.assert_allclose(probs[1], uniform[1])


def test_events_follow_the_gaze_state_the_gaze_is_in() -> None:
    """On the listener the gaze looks away at once; away, it uses the away outputs: here it never
    starts another saccade, so it stays where it looked."""
    grid = GazeGrid()
    frames = 40
    target = np.array([[0.0, 28.5]])
    probs = np.zeros((1, frames, GAZE_STATES, grid.size))
    probs[0, :, :, grid.code(target)[0]] = 1.0
    onset = np.zeros((1, frames, GAZE_STATES))
    onset[..., 0] = 1.0  # on the listener: a saccade every chance; away: none
    hop = np.zeros((1, frames, GAZE_STATES, 2)) + [0.0, 1.0]
    gaze = render_events(onset, probs, hop, GazeState.rest(), np.random.default_rng(0).random((1, frames, 4)), grid, FPS)[0]
    assert gaze_state(gaze[-1]) == 1 and gaze_state(np.zeros(2)) == 0
    np.testing.assert_allclose(gaze[10:], np.repeat(gaze[-1:], frames - 10, axis=0))
    onsets, _ = saccade_events(np.vstack([[0.0, 0.0], gaze]), FPS)
    assert onsets.sum() == 1
    # The same outputs with the states swapped: the gaze never leaves the listener.
    still = render_events(onset[..., ::-1], probs, hop, GazeState.rest(), np.random.default_rng(0).random((1, frames, 4)), grid, FPS)[0]
    assert np.abs(still).max() == 0.0
