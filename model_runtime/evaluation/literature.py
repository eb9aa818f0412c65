"""Statistics of gaze, head and blink behaviour that the human literature reports (see REFERENCES.md).

Functions take plain arrays and event lists so each can be checked on constructed input. Shapes:
``mask`` and ``speech`` (frames,) bool; ``directions`` (frames, 3) unit vectors; angles degrees.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from model_runtime.audio.types import Utterance
from model_runtime.evaluation.events import Blink, Saccade
from model_runtime.intervals import runs

# Eyes Alive's eight saccade direction bins, counter-clockwise from "right" as seen by the viewer
# (the character's own left, +yaw), each 45 degrees wide and centred on its name.
DIRECTION_BINS: tuple[str, ...] = ("right", "up-right", "up", "up-left", "left", "down-left", "down", "down-right")
# Mutual gaze: within this many degrees of the listener direction (a face at conversational
# distance, about 1 m, spans roughly +-8-10 degrees).
MUTUAL_RADIUS_DEG = 10.0
# Utterances at least this long count as "long" for the aversion statistics (Kendon 1967).
LONG_UTTERANCE_S = 1.0
# Evinger et al. 1994: gaze shifts over 33 degrees carry a blink.
LARGE_SHIFT_DEG = 33.0


def mutual_gaze_mask(directions: NDArray[np.float64], listener: NDArray[np.float64], radius_deg: float = MUTUAL_RADIUS_DEG) -> NDArray[np.bool_]:
    """(frames,) True where the gaze direction is within ``radius_deg`` of the unit ``listener`` direction."""
    cos = np.clip(directions @ (listener / np.linalg.norm(listener)), -1.0, 1.0)
    out: NDArray[np.bool_] = np.degrees(np.arccos(cos)) <= radius_deg
    return out


def share(mask: NDArray[np.bool_], where: NDArray[np.bool_]) -> float:
    """Mean of ``mask`` over the frames selected by ``where``; NaN if none are selected."""
    selected = np.asarray(mask)[np.asarray(where, dtype=bool)]
    return float(selected.mean()) if selected.size else float("nan")


def dwell_durations(mask: NDArray[np.bool_], fps: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Durations (s) of the runs of mutual gaze and of looking away, each run cut by the clip ends included."""
    on = np.array([(b - a) / fps for a, b in runs(mask)])
    off = np.array([(b - a) / fps for a, b in runs(~np.asarray(mask, dtype=bool))])
    return on, off


def _window_share(mask: NDArray[np.bool_], fps: float, start_s: float, end_s: float) -> float:
    a, b = max(0, math.floor(start_s * fps)), min(len(mask), math.ceil(end_s * fps))
    return float(np.mean(mask[a:b])) if b > a else float("nan")


def aversion_at_utterance_starts(mask: NDArray[np.bool_], fps: float, utterances: Sequence[Utterance], window_s: float = 0.5) -> float:
    """Share of long utterances that begin with the speaker looking away (Kendon 1967).

    Looking away: gaze off the listener for at least half of [start - window, start + window].
    """
    shares = [_window_share(mask, fps, u.start - window_s, u.start + window_s) for u in utterances if u.duration >= LONG_UTTERANCE_S]
    values = [s <= 0.5 for s in shares if not math.isnan(s)]
    return float(np.mean(values)) if values else float("nan")


def look_at_listener_at_utterance_ends(mask: NDArray[np.bool_], fps: float, utterances: Sequence[Utterance], window_s: float = 0.5) -> float:
    """Share of long utterances that end with the speaker looking at the listener (gaze on for at least half of the last ``window_s``)."""
    shares = [_window_share(mask, fps, u.end - window_s, u.end) for u in utterances if u.duration >= LONG_UTTERANCE_S]
    values = [s >= 0.5 for s in shares if not math.isnan(s)]
    return float(np.mean(values)) if values else float("nan")


def direction_histogram(saccades: Sequence[Saccade]) -> list[float]:
    """Share of saccades in each of :data:`DIRECTION_BINS` (sums to 1; zeros without saccades)."""
    counts = np.zeros(len(DIRECTION_BINS))
    for s in saccades:
        counts[int(((s.direction_deg + 22.5) % 360.0) // 45.0)] += 1
    total = counts.sum()
    return [float(c / total) if total else 0.0 for c in counts]


def head_share_of_shifts(
    saccades: Sequence[Saccade], gaze_angles: NDArray[np.float64], head: NDArray[np.float64], fps: float, settle_s: float = 0.2,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(amplitudes, head shares) of gaze shifts (Freedman & Sparks 1997).

    ``gaze_angles`` (frames, 2) world gaze pitch, yaw; ``head`` (frames, 3) pitch, yaw, roll. The
    head's contribution is its (pitch, yaw) displacement from the shift's start to ``settle_s``
    after its end (the head is slower than the eyes), projected on the gaze displacement, as a
    fraction of the gaze amplitude.
    """
    amplitudes, shares = [], []
    settle = round(settle_s * fps)
    for s in saccades:
        end = min(len(head) - 1, s.end + settle)
        gaze = gaze_angles[s.end] - gaze_angles[s.start]
        norm = float(np.linalg.norm(gaze))
        if norm <= 0.0:
            continue
        head_move = head[end, :2] - head[s.start, :2]
        amplitudes.append(s.amplitude_deg)
        shares.append(float(np.dot(head_move, gaze) / norm / norm))
    return np.array(amplitudes), np.array(shares)


def vor_gain(eye_velocity: NDArray[np.float64], head_velocity: NDArray[np.float64], steady: NDArray[np.bool_], min_head_deg_s: float = 5.0) -> float:
    """Gain of the vestibulo-ocular reflex: -sum(e.h) / sum(h.h) over steady frames with the head moving.

    ``eye_velocity`` (n, 2) eye-in-head and ``head_velocity`` (n, 2) head (pitch, yaw) in deg/s;
    ``steady`` (n,) marks frames outside gaze shifts. 1 = the eyes cancel head motion, 0 = the eyes
    ride with the head. NaN with fewer than 5 such frames.
    """
    moving = steady & (np.linalg.norm(head_velocity, axis=1) > min_head_deg_s)
    if int(moving.sum()) < 5:
        return float("nan")
    e, h = eye_velocity[moving], head_velocity[moving]
    return float(-np.sum(e * h) / np.sum(h * h))


def skewness(values: NDArray[np.float64]) -> float:
    """Sample skewness (Fisher-Pearson, biased); NaN for fewer than 3 values or no spread."""
    x = np.asarray(values, dtype=np.float64)
    # A spread at rounding level (equal intervals) has no defined skew.
    if x.size < 3 or float(x.std()) <= 1e-9 * max(1.0, abs(float(x.mean()))):
        return float("nan")
    return float(np.mean((x - x.mean()) ** 3) / x.std() ** 3)


def inter_blink_intervals(blinks: Sequence[Blink]) -> NDArray[np.float64]:
    """Onset-to-onset intervals (s) between consecutive blinks."""
    return np.diff([b.onset_s for b in blinks]) if len(blinks) > 1 else np.zeros(0)


def blinks_near_pauses(blinks: Sequence[Blink], speech: NDArray[np.bool_], fps: float, margin_s: float = 0.3) -> tuple[float, float]:
    """(share of blinks starting in a pause or within ``margin_s`` of one, share of clip time that is so near).

    The second value is what blinks placed at random would give (Nakano & Kitazawa 2010 find blinks
    clustering at pauses, i.e. the first value above the second).
    """
    pause = ~np.asarray(speech, dtype=bool)
    margin = round(margin_s * fps)
    near = pause.copy()
    for a, b in runs(pause):
        near[max(0, a - margin):min(len(near), b + margin)] = True
    chance = float(near.mean()) if near.size else float("nan")
    hits = [near[min(len(near) - 1, round(b.onset_s * fps))] for b in blinks] if near.size else []
    return (float(np.mean(hits)) if hits else float("nan")), chance


def blinks_with_large_shifts(saccades: Sequence[Saccade], blinks: Sequence[Blink], fps: float, min_amplitude: float = LARGE_SHIFT_DEG, margin_s: float = 0.2) -> float:
    """Share of gaze shifts of at least ``min_amplitude`` degrees with a blink overlapping the shift (+- ``margin_s``)."""
    large = [s for s in saccades if s.amplitude_deg >= min_amplitude]
    if not large:
        return float("nan")
    hit = [any(b.onset_s <= s.end / fps + margin_s and b.end_s >= s.start / fps - margin_s for b in blinks) for s in large]
    return float(np.mean(hit))


def f0_semitones(f0_hz: NDArray[np.float64]) -> NDArray[np.float64]:
    """F0 in semitones re 100 Hz, unvoiced frames (0 Hz) filled by linear interpolation; zeros if never voiced."""
    f0 = np.asarray(f0_hz, dtype=np.float64)
    voiced = f0 > 0
    if not np.any(voiced):
        return np.zeros_like(f0)
    idx = np.arange(len(f0))
    st = 12.0 * np.log2(f0[voiced] / 100.0)
    out: NDArray[np.float64] = np.interp(idx, idx[voiced], st)
    return out


def lagged_correlation(motion: NDArray[np.float64], prosody: NDArray[np.float64], fps: float, max_lag_s: float = 1.0) -> tuple[float, float]:
    """(peak Pearson r, lag in s) between ``motion`` and ``prosody`` over lags up to ``max_lag_s``.

    A positive lag means the motion follows the prosody. The peak is the lag of largest |r|.
    """
    m, p = np.asarray(motion, dtype=np.float64), np.asarray(prosody, dtype=np.float64)
    n = min(len(m), len(p))
    m, p = m[:n], p[:n]
    best, best_lag = float("nan"), float("nan")
    max_lag = min(round(max_lag_s * fps), n - 3)
    for lag in range(-max_lag, max_lag + 1):
        a, b = (m[lag:], p[:n - lag]) if lag >= 0 else (m[:n + lag], p[-lag:])
        if a.std() == 0.0 or b.std() == 0.0:
            continue
        r = float(np.corrcoef(a, b)[0, 1])
        if math.isnan(best) or abs(r) > abs(best):
            best, best_lag = r, lag / fps
    return best, best_lag
