"""Event detection on constructed motion with known answers: fixations, saccades, blinks."""

from __future__ import annotations

import numpy as np
import pytest

from model_runtime.clip import MotionClip
from model_runtime.evaluation import events
from model_runtime.evaluation.events import detect_blinks, detect_saccades, idt_fixations, world_directions

FPS = 25.0


def eyes(n: int, pitch: np.ndarray | float = 0.0, yaw: np.ndarray | float = 0.0, **channels: np.ndarray) -> MotionClip:
    p = np.broadcast_to(np.asarray(pitch, dtype=float), (n,))
    y = np.broadcast_to(np.asarray(yaw, dtype=float), (n,))
    return MotionClip.from_channels(FPS, n, left_eye_pitch=p, left_eye_yaw=y, right_eye_pitch=p, right_eye_yaw=y, **channels)


def step(n: int, at: int, size: float) -> np.ndarray:
    return np.where(np.arange(n) >= at, size, 0.0)


def test_pure_10_degree_step_is_one_saccade():
    clip = eyes(100, yaw=step(100, 50, 10.0))
    (s,) = detect_saccades(world_directions(clip), FPS)
    assert s.amplitude_deg == pytest.approx(10.0, abs=1e-9)
    assert s.direction_deg == pytest.approx(0.0, abs=1e-9)  # towards +yaw, the viewer's right
    assert (s.start, s.end) == (49, 50)
    assert s.duration_s == pytest.approx(1 / FPS)
    assert s.peak_velocity_deg_s == pytest.approx(250.0, rel=1e-9)


@pytest.mark.parametrize(("pitch", "yaw", "direction"), [(10.0, 0.0, 90.0), (-10.0, 0.0, 270.0), (0.0, -10.0, 180.0), (7.0, 7.0, 45.0)])
def test_saccade_direction(pitch, yaw, direction):
    clip = eyes(60, pitch=step(60, 30, pitch), yaw=step(60, 30, yaw))
    (s,) = detect_saccades(world_directions(clip), FPS)
    assert s.direction_deg == pytest.approx(direction, abs=0.5)


def test_head_turn_with_counter_rotating_eyes_is_no_gaze_shift():
    n = 100
    head = np.linspace(0, 30, n)  # 7.5 deg per frame would be a shift if the eyes did not compensate
    clip = eyes(n, yaw=-head, head_yaw=head)
    assert detect_saccades(world_directions(clip), FPS) == []
    assert np.allclose(events.gaze_in_world(clip), 0.0, atol=1e-9)


def test_world_gaze_adds_head_and_eye_yaw():
    clip = eyes(10, yaw=10.0, head_yaw=np.full(10, 20.0))
    assert np.allclose(events.gaze_in_world(clip)[:, 1], 30.0)
    assert np.allclose(events.eye_in_head(clip)[:, 1], 10.0)


def test_idt_on_a_step():
    positions = np.zeros((100, 2))
    positions[50:, 0] = 5.0
    assert idt_fixations(positions, 100.0, dispersion=1.0, min_duration_s=0.1) == [(0, 50), (51, 100)]


def test_idt_noise_below_threshold_is_one_fixation_and_gaps_split_it():
    rng = np.random.default_rng(0)
    positions = rng.uniform(0, 0.2, size=(300, 2))
    assert idt_fixations(positions, 100.0, 1.0, 0.1) == [(0, 300)]
    positions[150] = np.nan
    assert idt_fixations(positions, 100.0, 1.0, 0.1) == [(0, 150), (151, 300)]


def test_idt_drops_fixations_shorter_than_minimum():
    positions = np.zeros((40, 2))
    positions[::2, 0] = 5.0  # jumps every sample: never a fixation
    positions[10:15] = 0.0  # 5 samples = 50 ms at 100 Hz, below 100 ms
    assert idt_fixations(positions, 100.0, 1.0, 0.1) == []


def blink_shape(fps: float, close_s: float, open_s: float, peak: float = 1.0) -> np.ndarray:
    up = np.linspace(0, peak, round(close_s * fps) + 1)
    down = np.linspace(peak, 0, round(open_s * fps) + 1)[1:]
    return np.concatenate([up, down])


def test_ten_blinks_per_minute_with_known_timing():
    fps = 50.0
    closure = np.zeros(round(60 * fps))
    shape = blink_shape(fps, 0.1, 0.2)
    onsets = np.arange(10) * 6.0 + 1.0
    for t in onsets:
        i = round(t * fps)
        closure[i:i + len(shape)] = shape
    found = detect_blinks(closure, fps)
    assert len(found) == 10
    # Linear ramps: crossing 0.1 and 0.9 are interpolated exactly.
    for b, t in zip(found, onsets, strict=True):
        assert b.onset_s == pytest.approx(t + 0.01)
        assert b.closing_s == pytest.approx(0.08)
        assert b.opening_s == pytest.approx(0.16)
        assert b.peak == pytest.approx(1.0)
        assert not b.partial


def test_partial_blink_and_flutter_below_minimum():
    fps = 50.0
    closure = np.zeros(200)
    closure[20:31] = blink_shape(fps, 0.1, 0.1, peak=0.5)
    closure[100:111] = blink_shape(fps, 0.1, 0.1, peak=0.2)  # under BLINK_MIN_PEAK: not a blink
    (b,) = detect_blinks(closure, fps)
    assert b.partial and b.peak == pytest.approx(0.5)


def test_blink_at_clip_start_and_end_is_kept():
    closure = np.zeros(50)
    closure[:3] = [1.0, 0.6, 0.0]
    closure[-2:] = [0.5, 1.0]
    found = detect_blinks(closure, FPS)
    assert len(found) == 2
    assert found[0].onset_s == 0.0
