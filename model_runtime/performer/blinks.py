"""Blink sampler: when blinks happen, how deep they go and the shape of each lid movement.

The product's one blink sampler (the learned engine reuses it). Human reference (REFERENCES.md):
inter-blink intervals right-skewed (mean about 5 s, sd about 3 s); closing 40-47% faster than
opening; about half of spontaneous blinks partial; a blink with almost every gaze shift over
33 deg; speakers blink at pauses.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import NDArray

from model_runtime.audio.types import SpeechFeatures
from model_runtime.performer.sampling import SpreadUniform, gamma_quantile, stochastic_round
from model_runtime.performer.style import PerformerStyle

# Lid time course as fractions of the blink's duration: cosine-eased closing, a short hold at the
# deepest point, cosine-eased opening. Opening takes 0.53 / 0.37 = 1.43x as long as closing
# (closing about 43% faster, Sforza et al. 2008).
CLOSE_FRACTION: Final[float] = 0.37
HOLD_FRACTION: Final[float] = 0.10
OPEN_FRACTION: Final[float] = 1.0 - CLOSE_FRACTION - HOLD_FRACTION
# Area under one blink curve divided by (depth * duration): what style estimation inverts.
AREA_PER_DEPTH_SECOND: Final[float] = CLOSE_FRACTION / 2 + HOLD_FRACTION + OPEN_FRACTION / 2
# Depth of a partial blink is drawn from this range; full blinks close to 1.
PARTIAL_DEPTH: Final[tuple[float, float]] = (0.35, 0.8)
# Log-sd of the lognormal law of inter-blink intervals: CV 0.9, skewness 3; Garcia et al. 2011 found
# CV 0.6 and strong right skew, and the minimum gap and the pull onto pauses even intervals out again.
_INTERVAL_LOG_SD: Final[float] = 0.8
# Gaze shifts this large (deg) nearly always carry a blink (Evinger et al. 1994: 97% over 33 deg).
_SHIFT_BLINK_FULL_DEG: Final[float] = 30.0
_SHIFT_BLINK_START_DEG: Final[float] = 12.0
# Chance that a blink within reach (s) of a speech pause moves into it (Nakano & Kitazawa 2010).
_PAUSE_PULL_CHANCE: Final[float] = 0.8
_PAUSE_REACH_S: Final[float] = 2.0


def blink_shape(phase: NDArray[np.float64]) -> NDArray[np.float64]:
    """Closure 0-1 of a full blink at ``phase`` = time since its start / its duration (0 outside 0-1)."""
    u = np.asarray(phase, dtype=np.float64)
    closing = 0.5 - 0.5 * np.cos(np.pi * np.clip(u / CLOSE_FRACTION, 0.0, 1.0))
    opening = 0.5 + 0.5 * np.cos(np.pi * np.clip((u - CLOSE_FRACTION - HOLD_FRACTION) / OPEN_FRACTION, 0.0, 1.0))
    out: NDArray[np.float64] = np.where(u < CLOSE_FRACTION, closing, opening)
    return np.where((u <= 0.0) | (u >= 1.0), 0.0, out)


def sample_blinks(
    features: SpeechFeatures,
    fps: float,
    style: PerformerStyle,
    rng: np.random.Generator,
    *,
    gaze_shifts: NDArray[np.float64] | None = None,
    rate_per_min: float | None = None,
    exact_count: bool = False,
) -> NDArray[np.float64]:
    """Blink closure (frames, 2) for the left and right lid, 0 open to 1 closed.

    ``features`` gives the frame count and the speech pauses blinks gravitate to;
    ``gaze_shifts`` (k, 2) holds (time in s, amplitude in deg) of gaze shifts, large ones pull a
    blink onto themselves; ``rate_per_min`` overrides the style's rate. The number of blinks is the
    rate times the duration (rounded at random), so every minute shows the style's rate, plus a
    blink of its own for each very large gaze shift that found none free to move onto it (the
    style's rate is the blinks tied to nothing else). With ``exact_count`` those are not added:
    the rate is a take's measured one, which already holds its gaze-evoked blinks.
    """
    n = features.n_frames
    duration = n / fps
    closure = np.zeros((n, 2))
    rate = style.blink_rate_per_min if rate_per_min is None else float(rate_per_min)
    if n == 0 or not math.isfinite(rate) or rate <= 0.0:
        return closure
    mean_length = style.blink_duration_s
    min_gap = max(0.3, 1.5 * mean_length)
    count = min(stochastic_round(rate * duration / 60.0, rng), int(duration / min_gap) - 1)
    if count <= 0:
        return closure
    spread = SpreadUniform(rng)
    intervals = rng.lognormal(0.0, _INTERVAL_LOG_SD, size=count + 1)
    free = duration - (count + 1) * min_gap
    times = np.cumsum(min_gap + intervals * free / intervals.sum())[:count]
    times = _pull_to_events(times, features, fps, gaze_shifts=gaze_shifts, min_gap=min_gap, rng=rng, exact_count=exact_count)
    count = len(times)

    lengths = mean_length * gamma_quantile(spread(count), 8.0)[rng.permutation(count)]
    depth = np.ones(count)
    partial = rng.permutation(count)[: stochastic_round(style.partial_blink_share * count, rng)]
    depth[partial] = PARTIAL_DEPTH[0] + (PARTIAL_DEPTH[1] - PARTIAL_DEPTH[0]) * spread(len(partial))
    peak_offset = CLOSE_FRACTION + HOLD_FRACTION / 2
    for time, length, amount in zip(times, lengths, depth, strict=True):
        # The deepest point lands on a frame so that sampled clips keep the blink's true depth.
        peak_frame = round((time + peak_offset * length) * fps)
        start = peak_frame / fps - peak_offset * length
        first = max(0, math.ceil(start * fps))
        last = min(n, math.floor((start + length) * fps) + 1)
        if last <= first:
            continue
        shape = amount * blink_shape((np.arange(first, last) / fps - start) / length)
        closure[first:last, 0] = np.maximum(closure[first:last, 0], shape)
    closure[:, 1] = closure[:, 0]
    return closure


def _pull_to_events(
    times: NDArray[np.float64],
    features: SpeechFeatures,
    fps: float,
    *,
    gaze_shifts: NDArray[np.float64] | None,
    min_gap: float,
    rng: np.random.Generator,
    exact_count: bool,
) -> NDArray[np.float64]:
    """Move blinks onto large gaze shifts and into speech pauses.

    A gaze shift over :data:`_SHIFT_BLINK_FULL_DEG` with no blink free to move onto it gets a blink
    of its own in place of one that is tied to nothing; when every blink is tied, on top of them
    (not with ``exact_count``).
    """
    times = times.copy()
    anchored = np.zeros(len(times), dtype=bool)

    def move(target: float, reach: float) -> bool:
        """Move the nearest blink within ``reach`` s that can go to ``target`` without crowding another."""
        for index in np.argsort(np.abs(times - target)):
            if abs(times[index] - target) > reach:
                break
            if anchored[index]:
                continue
            others = np.delete(times, index)
            if others.size == 0 or np.min(np.abs(others - target)) >= min_gap:
                times[index] = target
                anchored[index] = True
                return True
        return False

    # Pauses first: a large gaze shift that finds no free blink still gets one (below).
    speech = np.asarray(features.speech, dtype=bool)
    pause_starts = np.flatnonzero(np.diff(speech.astype(np.int8)) == -1) + 1
    for start in pause_starts:
        if rng.random() < _PAUSE_PULL_CHANCE:
            move(start / fps + 0.05 + 0.15 * rng.random(), reach=_PAUSE_REACH_S)
    if gaze_shifts is not None and len(gaze_shifts):
        span = _SHIFT_BLINK_FULL_DEG - _SHIFT_BLINK_START_DEG
        for shift_time, amplitude in np.asarray(gaze_shifts, dtype=np.float64):
            chance = 0.97 * min(1.0, max(0.0, (amplitude - _SHIFT_BLINK_START_DEG) / span))
            target = float(shift_time) - 0.02
            if rng.random() >= chance or move(target, reach=6.0):
                continue
            if amplitude >= _SHIFT_BLINK_FULL_DEG and target >= 0 and np.min(np.abs(times - target), initial=np.inf) >= min_gap:
                # It takes the place of a blink not tied to anything, so the rate holds.
                loose = np.flatnonzero(~anchored)
                if loose.size:
                    drop = int(rng.choice(loose))
                    times, anchored = np.delete(times, drop), np.delete(anchored, drop)
                elif exact_count:
                    continue
                times = np.append(times, target)
                anchored = np.append(anchored, True)
    times.sort()
    return times
