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
PARTIAL_DEPTH: Final[tuple[float, float]] = (0.45, 0.85)
# Log-sd of the lognormal law of inter-blink intervals between bursts. Real talkers blink in bursts
# (interval CV 0.98 for presenters, REFERENCES.md "Real talkers"): a share of blinks follow another
# within a short gap; the minimum gap and the pull onto pauses even the other intervals out again.
_INTERVAL_LOG_SD: Final[float] = 1.0
BURST_SHARE: Final[float] = 0.35
_BURST_GAP_S: Final[tuple[float, float]] = (0.1, 0.6)
# Left and right lids differ a little in each blink's depth (sd, share of the depth) and timing (s);
# real talkers' lids differ by 0.07 on average (REFERENCES.md "Real talkers").
_DEPTH_ASYMMETRY: Final[float] = 0.08
_TIMING_ASYMMETRY_S: Final[float] = 0.005
# Gaze shifts this large (deg) nearly always carry a blink (Evinger et al. 1994: 97% over 33 deg).
_SHIFT_BLINK_FULL_DEG: Final[float] = 30.0
_SHIFT_BLINK_START_DEG: Final[float] = 12.0
# Chance that a blink within reach (s) of a speech pause moves into it (Nakano & Kitazawa 2010).
# Real talkers' blinks lean only a little towards pauses: 40% within 0.3 s of one against 34% by
# chance (presenters 47% against 40%; REFERENCES.md "Real talkers").
_PAUSE_PULL_CHANCE: Final[float] = 0.6
_PAUSE_REACH_S: Final[float] = 1.0
# Resting lid closure between blinks (0 = wide open): the lids rest a little lowered, drift slowly
# and lower further as the gaze goes down (staying under the 0.1 where evaluation starts a blink);
# real talkers' mean closure is 0.15 with blinks
# included, generated blinks alone give about 0.05. The lids open fully over the clip's last frames.
LID_REST: Final[float] = 0.05
_LID_DRIFT: Final[float] = 0.012
_LID_PER_DEG_DOWN: Final[float] = 0.002
LID_REST_MAX: Final[float] = 0.09
_LID_SIDE_SD: Final[float] = 0.025
_LID_END_S: Final[float] = 0.3


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
    followers = stochastic_round(BURST_SHARE * count, rng) if count >= 3 else 0
    leaders = count - followers
    intervals = rng.lognormal(0.0, _INTERVAL_LOG_SD, size=leaders + 1)
    free = duration - (count + 1) * min_gap
    times = np.cumsum(min_gap + intervals * free / intervals.sum())[:leaders]
    times = _pull_to_events(times, features, fps, gaze_shifts=gaze_shifts, min_gap=min_gap, rng=rng, exact_count=exact_count)
    times = _add_bursts(times, followers, min_gap, rng)
    count = len(times)

    lengths = mean_length * gamma_quantile(spread(count), 8.0)[rng.permutation(count)]
    depth = np.ones(count)
    partial = rng.permutation(count)[: stochastic_round(style.partial_blink_share * count, rng)]
    depth[partial] = PARTIAL_DEPTH[0] + (PARTIAL_DEPTH[1] - PARTIAL_DEPTH[0]) * spread(len(partial))
    peak_offset = CLOSE_FRACTION + HOLD_FRACTION / 2
    side_depth = np.clip(depth[:, None] * (1.0 + _DEPTH_ASYMMETRY * rng.standard_normal((count, 2))), 0.0, 1.0)
    side_depth[depth >= 1.0, int(rng.integers(2))] = 1.0  # a full blink closes at least one lid fully
    side_depth[depth < 1.0] = np.minimum(side_depth[depth < 1.0], PARTIAL_DEPTH[1] + 0.03)  # and a partial one neither
    side_shift = _TIMING_ASYMMETRY_S * rng.standard_normal((count, 2))
    for k, (time, length) in enumerate(zip(times, lengths, strict=True)):
        # The deepest point lands on a frame so that sampled clips keep the blink's true depth.
        peak_frame = round((time + peak_offset * length) * fps)
        start = peak_frame / fps - peak_offset * length
        if start + length > duration - 1.0 / fps:
            continue  # every clip ends with the lids open
        for side in range(2):
            begin = start + (side_shift[k, side] if side_depth[k, side] < 1.0 or depth[k] < 1.0 else 0.0)
            first = max(0, math.ceil(begin * fps))
            last = min(n, math.floor((begin + length) * fps) + 1)
            if last <= first:
                continue
            shape = side_depth[k, side] * blink_shape((np.arange(first, last) / fps - begin) / length)
            closure[first:last, side] = np.maximum(closure[first:last, side], shape)
    return closure


def _add_bursts(times: NDArray[np.float64], followers: int, min_gap: float, rng: np.random.Generator) -> NDArray[np.float64]:
    """``times`` plus up to ``followers`` blinks, each a short gap after a blink, where it crowds none."""
    if followers <= 0 or times.size == 0:
        return times
    out = list(times)
    added = 0
    for leader in rng.permutation(times):
        if added == followers:
            break
        follower = float(leader) + min_gap + rng.uniform(*_BURST_GAP_S)
        if min(abs(follower - t) for t in out) >= min_gap:
            out.append(follower)
            added += 1
    return np.sort(np.array(out))


def lid_rest(n: int, fps: float, rng: np.random.Generator, gaze_pitch_deg: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
    """(frames, 2) resting closure of the left and right lid between blinks (:data:`LID_REST`).

    A slow drift around the rest, a lid lowered further by gaze below the horizon
    (``gaze_pitch_deg``, world gaze, < 0 down), a small fixed difference between the sides, and
    both lids wide open (0) at the clip's end.
    """
    if n == 0:
        return np.zeros((0, 2))
    sigma = 2.0 * fps
    taps = np.arange(-round(3 * sigma), round(3 * sigma) + 1)
    gauss = np.exp(-0.5 * (taps / sigma) ** 2)
    noise = np.convolve(rng.standard_normal(n + taps.size - 1), gauss, mode="valid")
    drift = noise / max(float(np.std(noise)), 1e-9) if n > 1 else np.zeros(n)
    rest = LID_REST + _LID_DRIFT * drift
    if gaze_pitch_deg is not None:
        rest = rest + _LID_PER_DEG_DOWN * np.maximum(-np.asarray(gaze_pitch_deg, dtype=np.float64)[:n], 0.0)
    sides = rest[:, None] + _LID_SIDE_SD * rng.standard_normal(2)[None, :]
    fade = np.clip((n - 1 - np.arange(n)) / max(1.0, _LID_END_S * fps), 0.0, 1.0)
    out: NDArray[np.float64] = np.clip(sides, 0.0, LID_REST_MAX) * fade[:, None]
    return out


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
