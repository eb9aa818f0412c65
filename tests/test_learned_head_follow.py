"""The head following the sampled gaze (model_runtime.learned.head_follow) and the generator's rest-head targets."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from model_runtime.learned.gaze_events import to_generator_motion
from model_runtime.learned.head_follow import HeadFollow, follow_track, measured_mover, rest_head
from model_runtime.performer.engine import perform
from model_runtime.performer.head import EYE_ONLY_RANGE_DEG, SMALL_SHIFT_SHARE, follow_basis
from model_runtime.performer.presets import load_preset
from model_runtime.training.corpus import take_from_clip
from model_runtime.training.datasets import generator_motion, performer_movers
from tests.test_performer_behaviour import speech_features

FPS = 25.0


def _look_away(frames_each: int = 50) -> np.ndarray:
    """World gaze (frames, 2): the listener, a look away to (0, 30) with small hops about it, the listener again."""
    away = np.array([(0.0, 30.0), (1.5, 31.0), (-1.0, 29.0), (0.5, 30.5)])
    return np.concatenate([np.zeros((frames_each, 2)), np.repeat(away, frames_each // 4, axis=0), np.zeros((frames_each, 2))])


def test_the_head_arrives_after_the_eyes_and_takes_the_excess_over_the_eye_only_range() -> None:
    gaze = _look_away()
    follow = follow_track(gaze, FPS)
    assert np.all(follow[:50] == 0.0)
    assert abs(follow[50, 1]) < 1.0  # the eyes jump first
    settled = follow[50 + 10, 1]  # 0.4 s later
    assert settled == pytest.approx(30.0 - EYE_ONLY_RANGE_DEG + SMALL_SHIFT_SHARE * 30.0, abs=0.5)
    # Hops about the spot are followed only with the small share, not in full.
    hops = follow[62:98, 1]  # the look away is frames 50-97
    assert np.ptp(hops) < 2.5 * SMALL_SHIFT_SHARE * 2.0
    # Back on the listener, the head comes back too.
    assert np.abs(follow[-1]).max() < 0.2
    assert np.all(np.abs(follow[50:98, 0]) < 0.5)  # a level look away turns no pitch


def test_the_follow_is_the_performers_when_a_look_away_rests_on_its_spot() -> None:
    gaze = _look_away()
    spot = np.zeros_like(gaze)
    # The spot is where the look away first came to rest: the first frame that moved no further (51).
    spot[51:98] = (0.0, 30.0)
    np.testing.assert_allclose(follow_track(gaze, FPS), follow_basis(spot, gaze, FPS), atol=1e-9)


@pytest.mark.parametrize("piece", [1, 7, 10, 64])
def test_the_follow_is_the_same_in_any_chunking(piece: int) -> None:
    gaze = np.cumsum(np.random.default_rng(0).normal(scale=3.0, size=(400, 2)) * (np.random.default_rng(1).random((400, 1)) < 0.1), axis=0)
    stream = HeadFollow(FPS)
    parts = np.concatenate([stream(gaze[i : i + piece]) for i in range(0, len(gaze), piece)])
    np.testing.assert_allclose(parts, follow_track(gaze, FPS), atol=1e-12)
    assert HeadFollow(FPS)(np.zeros((0, 2))).shape == (0, 2)


def test_rest_head_takes_exactly_the_follow_out() -> None:
    rng = np.random.default_rng(2)
    gaze = _look_away()
    rest = rng.normal(scale=2.0, size=(len(gaze), 3))
    motion = np.column_stack([rest, gaze])
    motion[:, 0:2] += 0.7 * follow_track(gaze, FPS)
    np.testing.assert_allclose(rest_head(motion, 0.7, FPS)[:, :3], rest, atol=1e-4)
    np.testing.assert_allclose(rest_head(motion, 0.7, FPS)[:, 3:], gaze, atol=1e-5)


def test_training_targets_take_each_performers_measured_follow_out() -> None:
    """Two performers, one who turns the head with the gaze and one who barely does: the measured
    shares are ordered and near the true ones, and their takes' rest heads no longer carry the look away."""
    features = speech_features(seconds=30.0, fps=FPS)
    takes = []
    for name, mover in (("mover", 0.9), ("still", 0.1)):
        style = replace(load_preset("animated_storyteller"), head_mover=mover)
        for seed in (1, 2):
            clip = perform(features, style, seed=seed)
            takes.append(take_from_clip(f"{name}/{seed}", speaker="s", performer=name, split="train", features=features, clip=clip))
    movers = performer_movers(takes)
    assert movers["mover"] == pytest.approx(0.9, abs=0.2) and movers["still"] == pytest.approx(0.1, abs=0.2)
    assert movers["mover"] == measured_mover(takes[0].clip(FPS)) or movers["mover"] == pytest.approx(
        np.mean([measured_mover(t.clip(FPS)) for t in takes[:2]]))
    targets = generator_motion(takes)
    full = to_generator_motion(takes[0].motion)
    follow = follow_track(full[:, 3:5], FPS)
    # The head of the head mover follows its looks away; its rest correlates with them far less.
    r_full = np.corrcoef(full[:, 1], follow[:, 1])[0, 1]
    r_rest = np.corrcoef(targets[0][:, 1], follow[:, 1])[0, 1]
    assert r_full > 0.5 and abs(r_rest) < r_full - 0.3
