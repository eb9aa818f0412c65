"""Event detection on motion clips: I-DT fixations, saccades (gaze shifts) and blinks.

All angles are degrees, times seconds, frame indices ints; an interval ``(start, end)`` of frames
is half-open (frame ``end`` is not in it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from model_runtime.clip import MotionClip
from model_runtime.conventions import angles_from_direction, direction_from_angles, head_matrix
from model_runtime.intervals import runs

# I-DT defaults (Salvucci & Goldberg 2000; REFERENCES.md "typical thresholds 0.5-1.0 deg and 100 ms").
IDT_DISPERSION_DEG = 1.0
IDT_MIN_DURATION_S = 0.1
# Saccade (gaze shift) velocity threshold: the classic I-VT value; at 25 fps it is a 1.2 deg jump per frame.
SACCADE_VELOCITY_DEG_S = 30.0
# Blink detection: a blink is a run of closure above BLINK_START whose peak reaches BLINK_MIN_PEAK;
# a peak under BLINK_FULL is a partial blink.
BLINK_START = 0.1
BLINK_MIN_PEAK = 0.3
BLINK_FULL = 0.9


@dataclass(frozen=True)
class Saccade:
    """A gaze shift: frames ``start`` (last frame before the move) to ``end`` (first frame after it)."""

    start: int
    end: int
    amplitude_deg: float
    direction_deg: float  # 0 = towards the character's own left (viewer's right), 90 = up, counter-clockwise
    duration_s: float
    peak_velocity_deg_s: float


@dataclass(frozen=True)
class Blink:
    """One blink; times in seconds from the clip start, closure 0-1."""

    onset_s: float
    end_s: float
    closing_s: float  # from crossing BLINK_START to reaching 90% of the peak
    opening_s: float  # from leaving 90% of the peak to falling below BLINK_START
    peak: float
    partial: bool


def eye_in_head(clip: MotionClip) -> NDArray[np.float64]:
    """(frames, 2) pitch, yaw in degrees of the cyclopean eye (mean direction of both eyes) in the head."""
    direction = direction_from_angles(clip.left_eye[:, 0], clip.left_eye[:, 1]) + direction_from_angles(clip.right_eye[:, 0], clip.right_eye[:, 1])
    pitch, yaw = angles_from_direction(direction)
    return np.stack([pitch, yaw], axis=1)


def world_directions(clip: MotionClip) -> NDArray[np.float64]:
    """(frames, 3) unit cyclopean gaze directions in the character's rest frame (head rotation applied)."""
    eye = direction_from_angles(*eye_in_head(clip).T)
    world = head_matrix(clip.head[:, 0], clip.head[:, 1], clip.head[:, 2]) @ eye[..., None]
    out: NDArray[np.float64] = world[..., 0]
    return out


def gaze_in_world(clip: MotionClip) -> NDArray[np.float64]:
    """(frames, 2) pitch, yaw in degrees of the cyclopean gaze in the world (head rotation applied)."""
    pitch, yaw = angles_from_direction(world_directions(clip))
    return np.stack([pitch, yaw], axis=1)


def min_samples(duration_s: float, fps: float) -> int:
    """Samples that cover ``duration_s`` (at least 2, as a dispersion needs two points)."""
    return max(2, math.ceil(duration_s * fps - 1e-9))


def idt_fixations(
    positions: NDArray[np.float64], fps: float, dispersion: float = IDT_DISPERSION_DEG, min_duration_s: float = IDT_MIN_DURATION_S,
    *, square: bool = False,
) -> list[tuple[int, int]]:
    """Fixations by dispersion-threshold identification (Salvucci & Goldberg 2000).

    ``positions`` (n, 2) in degrees (or any unit matching ``dispersion``); NaN rows are missing data
    and end a fixation. Dispersion is (max x - min x) + (max y - min y). A window of the minimum
    duration whose dispersion is within the threshold starts a fixation, which then grows while the
    dispersion stays under the threshold; otherwise the window slides by one sample. The sample
    that ends a fixation starts no new one (the next window begins after it).
    ``square``: psyberlab's variant instead: the window holds while the range on each axis stays
    within ``dispersion`` (a sample that brings it exactly there still joins), and the sample that
    ends a fixation may start the next.
    Returns half-open (start, end) sample intervals.
    """
    pos = np.asarray(positions, dtype=np.float64)
    n = len(pos)
    k = min_samples(min_duration_s, fps)
    valid = ~np.any(np.isnan(pos), axis=1)

    def spread(low: NDArray[np.float64], high: NDArray[np.float64]) -> float:
        return float(np.max(high - low)) if square else float(np.sum(high - low))

    fixations: list[tuple[int, int]] = []
    start = 0
    while start + k <= n:
        window = pos[start:start + k]
        if not np.all(valid[start:start + k]):
            # Skip past the last missing sample in the window: no fixation can contain it.
            start += int(np.flatnonzero(~valid[start:start + k])[-1]) + 1
            continue
        low, high = window.min(axis=0), window.max(axis=0)
        if spread(low, high) > dispersion:
            start += 1
            continue
        end = start + k
        while end < n and valid[end]:
            new_low, new_high = np.minimum(low, pos[end]), np.maximum(high, pos[end])
            grown = spread(new_low, new_high)
            if grown > dispersion or (grown == dispersion and not square):
                break
            low, high = new_low, new_high
            end += 1
        fixations.append((start, end))
        # The sample that broke the threshold belongs to the move away, as in the window-removal
        # step of Salvucci & Goldberg's pseudocode (and pymovements): the next window starts after it.
        start = end if square else end + 1
    return fixations


def interval_mask(intervals: list[tuple[int, int]], n: int) -> NDArray[np.bool_]:
    """(n,) bool, True inside any of the half-open intervals."""
    mask = np.zeros(n, dtype=bool)
    for start, end in intervals:
        mask[start:end] = True
    return mask


def angular_speed(directions: NDArray[np.float64], fps: float) -> NDArray[np.float64]:
    """(n - 1,) angle in deg/s between consecutive unit directions (n, 3): speed of interval i -> i+1."""
    d = np.asarray(directions, dtype=np.float64)
    if len(d) < 2:
        return np.zeros(0)
    cross = np.linalg.norm(np.cross(d[:-1], d[1:]), axis=1)
    dot = np.sum(d[:-1] * d[1:], axis=1)
    out: NDArray[np.float64] = np.degrees(np.arctan2(cross, dot)) * fps
    return out


def detect_saccades(directions: NDArray[np.float64], fps: float, velocity_threshold: float = SACCADE_VELOCITY_DEG_S) -> list[Saccade]:
    """Gaze shifts by velocity threshold (I-VT) on unit directions (n, 3) sampled at ``fps``.

    Consecutive frame intervals faster than the threshold form one saccade; its amplitude is the
    angle between the direction before and after it, its direction the angle of the (yaw, pitch)
    displacement.
    """
    speed = angular_speed(directions, fps)
    intervals = runs(speed > velocity_threshold)
    if not intervals:
        return []
    pitch, yaw = angles_from_direction(directions)
    # interval i spans frames i -> i + 1, so a run of intervals first .. last - 1 moves the gaze over frames first .. last
    start, end = np.array(intervals).T
    a, b = directions[start], directions[end]
    # Whole arrays at once (one np.cross per saccade cost more than the rest of the detection).
    amplitude = np.degrees(np.arctan2(np.linalg.norm(np.cross(a, b), axis=1), np.sum(a * b, axis=1)))
    direction = np.degrees(np.arctan2(pitch[end] - pitch[start], yaw[end] - yaw[start])) % 360.0
    return [Saccade(first, last, float(amp), float(d), (last - first) / fps, float(speed[first:last].max()))
            for (first, last), amp, d in zip(intervals, amplitude, direction, strict=True)]


def _crossing(times: NDArray[np.float64], values: NDArray[np.float64], i: int, level: float) -> float:
    """Time where the segment between samples i and i+1 crosses ``level`` (linear interpolation)."""
    v0, v1 = values[i], values[i + 1]
    frac = 0.0 if v1 == v0 else (level - v0) / (v1 - v0)
    return float(times[i] + min(max(frac, 0.0), 1.0) * (times[i + 1] - times[i]))


def detect_blinks(closure: NDArray[np.float64], fps: float) -> list[Blink]:
    """Blinks in a closure curve (n,) 0 open to 1 closed (usually the mean of both eyelids).

    Threshold crossings are interpolated between frames, so closing and opening times are not
    rounded to whole frames.
    """
    c = np.asarray(closure, dtype=np.float64)
    times = np.arange(len(c)) / fps
    out: list[Blink] = []
    for start, end in runs(c > BLINK_START):
        peak = float(c[start:end].max())
        if peak < BLINK_MIN_PEAK:
            continue
        high = np.flatnonzero(c[start:end] >= 0.9 * peak) + start
        onset = _crossing(times, c, start - 1, BLINK_START) if start > 0 else float(times[start])
        offset = _crossing(times, c, end - 1, BLINK_START) if end < len(c) else float(times[end - 1])
        top_first = _crossing(times, c, high[0] - 1, 0.9 * peak) if high[0] > 0 else float(times[high[0]])
        top_last = _crossing(times, c, high[-1], 0.9 * peak) if high[-1] + 1 < len(c) else float(times[high[-1]])
        out.append(Blink(onset, offset, top_first - onset, offset - top_last, peak, peak < BLINK_FULL))
    return out


def blink_closure(clip: MotionClip) -> NDArray[np.float64]:
    """(frames,) mean closure of both eyelids."""
    out: NDArray[np.float64] = clip.blinks.mean(axis=1)
    return out
