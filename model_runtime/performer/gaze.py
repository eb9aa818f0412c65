"""Where the performer looks: mutual gaze versus looking away, small saccades, the main sequence.

All directions here are world gaze (pitch, yaw) in degrees in the character frame, as offsets in
the (pitch, yaw) plane from the listener's direction. Human reference (REFERENCES.md):

* Looks away start about 0.4 of their length before an utterance starts (Andrist's "cognitive"
  aversion, Kendon: > 70% of long utterances begin looking away) and the speaker is back on the
  listener before the utterance ends (about 2.3 s, or the last third of a short utterance).
* Other looks away ("intimacy" aversions) fill speaking and pausing time until each reaches the
  style's mutual-gaze share; so the share holds on every clip, and dwell times follow from it.
* Within mutual gaze and within a look away, small saccades hop around the fixation spot with
  Eyes Alive's 8-direction distribution, staying within :data:`FACE_RADIUS_DEG`.
* Saccade durations and peak velocities follow the main sequence (:func:`saccade_duration_s`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from model_runtime.audio.types import SpeechFeatures, Utterance
from model_runtime.performer.sampling import SpreadUniform, gamma_quantile, stochastic_round
from model_runtime.performer.style import PerformerStyle

# Small saccades keep the fixation within this radius of its spot (the listener's face at ~1 m).
FACE_RADIUS_DEG: Final[float] = 3.5
# Looks away land at least this far from the listener, so they can be told from face saccades
# (beyond the face area and the 5-deg threshold style estimation uses). Real talkers avert by
# little: presenters' gaze shifts have a median of 4.5 deg and 3% exceed 10 deg; interviewees'
# 6.1 deg with 23% over 10 deg (REFERENCES.md, "Real talkers").
MIN_AVERSION_DEG: Final[float] = 7.0
# Looks away stay within these (deg): beyond them people turn rather than glance; eye-in-head
# saturates near 35 deg (Freedman & Sparks 1997) and vertical rig ranges are small.
MAX_AVERSION_DEG: Final[float] = 45.0
MAX_AVERSION_PITCH_DEG: Final[float] = 22.0
# Gaze further than this from the listener counts as looking away (used by style estimation).
AWAY_THRESHOLD_DEG: Final[float] = 5.0
# Main sequence: peak velocity = V_MAX (1 - exp(-A / C)) (Baloh / Bahill form), fitted to the
# head-free figures in REFERENCES.md (about 340 deg/s at 10 deg, 490 deg/s at 20 deg).
MAIN_SEQUENCE_VMAX_DEG_S: Final[float] = 600.0
MAIN_SEQUENCE_C_DEG: Final[float] = 12.0
# Eyes Alive's saccade directions in 8 bins of 45 deg starting at "right", counter-clockwise.
# Angles are measured in the (yaw-left, pitch-up) plane: 0 = character's right.
_DIRECTION_BINS: Final = np.array([15.7, 6.3, 17.6, 7.5, 16.9, 7.8, 20.4, 7.8]) / 100.0
_MIN_FIXATION_S: Final[float] = 0.12
_BOUNDARY_CLEARANCE_S: Final[float] = 0.15
_AVERSION_GAP_S: Final[float] = 0.35
_RETURN_BEFORE_END_S: Final[float] = 2.3
_START_AVERSION_CHANCE: Final[float] = 0.9
_LONG_UTTERANCE_S: Final[float] = 1.0
# Looks away are scheduled in windows of about this length (s).
_WINDOW_S: Final[float] = 120.0
_DURATION_SHAPE: Final[float] = 6.0
# Fixational eye movements between the planned saccades: microsaccades and small refixations of
# 0.15-0.8 deg (median 0.45) about this often, each pulling back towards the fixation spot, plus a
# slow drift. Real speakers' fixations last a median 170-200 ms with shift sizes whose 10th
# percentile is 0.2-0.3 deg (psyberlab; REFERENCES.md "Real talkers").
MICROSACCADE_RATE_HZ: Final[float] = 1.3
MICROSACCADE_MEDIAN_DEG: Final[float] = 0.45
MICROSACCADE_MAX_DEG: Final[float] = 0.8
_MICROSACCADE_MIN_DEG: Final[float] = 0.15
_MICROSACCADE_RETURN: Final[float] = 0.6
_DRIFT_SD_DEG: Final[float] = 0.3
_DRIFT_WIDTH_S: Final[float] = 0.11


def peak_velocity_deg_s(amplitude_deg: NDArray[np.float64]) -> NDArray[np.float64]:
    """Main-sequence peak velocity (deg/s) of saccades of the given amplitudes (deg)."""
    a = np.asarray(amplitude_deg, dtype=np.float64)
    out: NDArray[np.float64] = MAIN_SEQUENCE_VMAX_DEG_S * (1.0 - np.exp(-a / MAIN_SEQUENCE_C_DEG))
    return out


def saccade_duration_s(amplitude_deg: NDArray[np.float64]) -> NDArray[np.float64]:
    """Duration (s) of a saccade whose cosine velocity profile peaks at the main-sequence velocity.

    A cosine (raised-cosine position) profile of duration T over amplitude A peaks at pi A / (2 T);
    this gives about 2.2 ms/deg + 25 ms over 5-30 deg, as Carpenter's linear fit.
    """
    a = np.maximum(np.asarray(amplitude_deg, dtype=np.float64), 1e-3)
    out: NDArray[np.float64] = np.maximum(np.pi * a / (2.0 * peak_velocity_deg_s(a)), 0.02)
    return out


def saccade_profile(progress: NDArray[np.float64]) -> NDArray[np.float64]:
    """Share of the saccade covered at ``progress`` = time since start / duration (clipped to 0-1)."""
    u = np.clip(progress, 0.0, 1.0)
    out: NDArray[np.float64] = 0.5 - 0.5 * np.cos(np.pi * u)
    return out


@dataclass(frozen=True)
class GazePlan:
    """The gaze of a clip, per frame, as offsets (pitch, yaw) in degrees from the listener.

    gaze     (frames, 2) where the eyes point, saccade trajectories included
    spot     (frames, 2) centre of the current fixation area (0 in mutual gaze), what the head follows
    away     (frames,)   True while looking away
    shifts   (k, 2)      every saccade: start time (s), amplitude (deg)
    """

    gaze: NDArray[np.float64]
    spot: NDArray[np.float64]
    away: NDArray[np.bool_]
    shifts: NDArray[np.float64]


def plan_gaze(features: SpeechFeatures, fps: float, style: PerformerStyle, rng: np.random.Generator, gaze_scale: float = 1.0) -> GazePlan:
    """Sample the gaze of a clip for these speech features and this style."""
    n = features.n_frames
    spread = SpreadUniform(rng)
    bouts = _schedule_aversions(features, fps, style, rng, spread)
    away = np.zeros(n, dtype=bool)
    for start, end in bouts:
        away[start:end] = True

    # Where each look away lands: direction shares spread evenly, angle off the axes 20-70 deg.
    k = len(bouts)
    up = spread(k) < style.aversion_up_share
    left = spread(k) < style.aversion_left_share
    tilt = np.radians(20.0 + 50.0 * rng.random(k))
    excess = max(style.aversion_amplitude_deg - MIN_AVERSION_DEG, 0.1)
    amplitude = np.minimum(MIN_AVERSION_DEG + excess * gamma_quantile(spread(k), 3.0)[rng.permutation(k)], MAX_AVERSION_DEG) * gaze_scale
    pitch = np.clip(amplitude * np.sin(tilt), 0.0, MAX_AVERSION_PITCH_DEG)
    bout_spots = np.column_stack([np.where(up, 1.0, -1.0) * pitch, np.where(left, 1.0, -1.0) * amplitude * np.cos(tilt)])

    # Event list: (frame time, new spot index or -1 for a face saccade).
    event_times: list[float] = []
    event_spot: list[int] = []
    for i, (start, end) in enumerate(bouts):
        event_times += [start / fps, end / fps]
        event_spot += [i, -2]  # -2: back to the listener
    saccade_times = _small_saccade_times(n, fps, style.saccade_rate_hz, bouts, rng)
    event_times += list(saccade_times)
    event_spot += [-1] * len(saccade_times)
    order = np.argsort(np.asarray(event_times), kind="stable")
    times = np.asarray(event_times)[order]
    kinds = np.asarray(event_spot, dtype=np.int64)[order]

    n_small = int(np.sum(kinds == -1))
    hop = style.saccade_amplitude_deg * gaze_scale * gamma_quantile(spread(n_small), 4.0)[rng.permutation(n_small)]
    hop = np.minimum(hop, 2.0 * FACE_RADIUS_DEG)
    bins = rng.choice(8, size=n_small, p=_DIRECTION_BINS)
    angle = np.radians(45.0 * bins + rng.uniform(-22.5, 22.5, size=n_small))

    targets = np.zeros((len(times), 2))
    spots = np.zeros((len(times), 2))
    spot = np.zeros(2)
    offset = np.zeros(2)
    hop_index = 0
    for e, kind in enumerate(kinds):
        if kind >= 0:
            spot, offset = bout_spots[kind], np.zeros(2)
        elif kind == -2:
            spot, offset = np.zeros(2), np.zeros(2)
        else:
            a = hop[hop_index]
            step = a * np.array([math.sin(angle[hop_index]), -math.cos(angle[hop_index])])
            hop_index += 1
            if np.linalg.norm(offset + step) > FACE_RADIUS_DEG:
                # Turn the hop back through the spot so it stays within the face area; only a hop
                # longer than the way across from here is shortened.
                norm = float(np.linalg.norm(offset))
                direction = -offset / norm if norm > 1e-9 else step / a
                step = direction * min(a, norm + FACE_RADIUS_DEG)
            offset = offset + step
        targets[e] = spot + offset
        spots[e] = spot

    gaze, spot_track, shifts = _render(times, targets, spots, n, fps)
    return GazePlan(gaze=gaze, spot=spot_track, away=away, shifts=shifts)


def _render(times: NDArray[np.float64], targets: NDArray[np.float64], spots: NDArray[np.float64], n: int, fps: float) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Per-frame gaze along main-sequence saccades between the event targets."""
    previous = np.vstack([np.zeros((1, 2)), targets[:-1]]) if len(targets) else np.zeros((0, 2))
    amplitude = np.linalg.norm(targets - previous, axis=1)
    duration = saccade_duration_s(amplitude)
    t = np.arange(n) / fps
    index = np.searchsorted(times, t, side="right") - 1
    gaze = np.zeros((n, 2))
    spot = np.zeros((n, 2))
    valid = index >= 0
    i = index[valid]
    progress = saccade_profile((t[valid] - times[i]) / duration[i])
    gaze[valid] = previous[i] + (targets[i] - previous[i]) * progress[:, None]
    spot[valid] = spots[i]
    moved = amplitude > 1e-9
    shifts = np.column_stack([times[moved], amplitude[moved]])
    return gaze, spot, shifts


def _schedule_aversions(features: SpeechFeatures, fps: float, style: PerformerStyle, rng: np.random.Generator, spread: SpreadUniform) -> list[tuple[int, int]]:
    """Looks away as (start frame, end frame) pairs, scheduled window by window.

    Windows of about :data:`_WINDOW_S` end in a pause where there is one, so the work grows
    linearly with the clip's length and each stretch of the clip keeps the style's shares.
    """
    speech = np.asarray(features.speech, dtype=bool)[: features.n_frames]
    n = speech.size
    window = round(_WINDOW_S * fps)
    bouts: list[tuple[int, int]] = []
    start = 0
    while start < n:
        end = min(n, start + window)
        if n - end < window // 2:
            end = n
        else:
            pauses = np.flatnonzero(~speech[end : min(n, end + window // 4)])
            end = end + int(pauses[0]) if pauses.size else end
        t0, t1 = start / fps, end / fps
        utterances = [
            Utterance(max(u.start, t0) - t0, min(u.end, t1) - t0) for u in features.utterances if u.end > t0 and u.start < t1
        ]
        bouts += [(a + start, b + start) for a, b in _schedule_window(speech[start:end], utterances, fps, style, rng, spread)]
        start = end
    return bouts


def _schedule_window(  # noqa: PLR0917 - private helper, called once
    speech: NDArray[np.bool_], utterances: list[Utterance], fps: float, style: PerformerStyle, rng: np.random.Generator, spread: SpreadUniform
) -> list[tuple[int, int]]:
    """Looks away in one window, as (start frame, end frame) pairs at least a gap apart.

    The lengths are drawn first, as many as the two mutual-gaze shares leave time for, and placed
    longest first (long ones need the most room), so the placed lengths keep the style's mean.
    First most long utterances get one as they begin ("cognitive" aversion); the rest go anywhere
    free in the condition (speaking or pausing) furthest below its share.
    """
    n = speech.size
    blocked = np.zeros(n, dtype=bool)
    for utterance in utterances:
        length = utterance.end - utterance.start
        if length >= 1.0:
            hold = min(_RETURN_BEFORE_END_S, length / 4.0)
            blocked[max(0, round((utterance.end - hold) * fps)) : max(0, round(utterance.end * fps))] = True
    taken = np.zeros(n, dtype=bool)
    gap = max(1, round(_AVERSION_GAP_S * fps))
    target = {True: (1.0 - style.mutual_gaze_speaking) * np.sum(speech), False: (1.0 - style.mutual_gaze_pausing) * np.sum(~speech)}
    spent = {True: 0.0, False: 0.0}
    mean_frames = style.aversion_duration_s * fps
    count = stochastic_round((target[True] + target[False]) / mean_frames, rng)
    lengths = np.sort(np.maximum(2, np.round(mean_frames * gamma_quantile(spread(count), _DURATION_SHAPE))).astype(np.int64))[::-1]
    spoken = np.concatenate([[0], np.cumsum(speech)])
    bouts: list[tuple[int, int]] = []

    def place(start: int, length: int) -> None:
        taken[start : start + length] = True
        bouts.append((start, start + length))
        spent[True] += float(spoken[start + length] - spoken[start])
        spent[False] += float(length - (spoken[start + length] - spoken[start]))

    # Long utterances begin looking away: the longest looks away go to the longest utterances,
    # cut short where needed to be back before the utterance's end, while the speaking budget lasts.
    long_ones = sorted((u for u in utterances if u.end - u.start >= _LONG_UTTERANCE_S), key=lambda u: u.start - u.end)
    remaining = list(lengths)
    for utterance in long_ones:
        if not remaining or rng.random() > _START_AVERSION_CHANCE:
            continue
        onset = round(utterance.start * fps)
        lead = round(min(0.15 * remaining[0], 0.25 * fps))
        start = max(0, onset - lead)
        # Not before the previous utterance has ended looking at the listener.
        start += int(np.flatnonzero(blocked[start:onset])[-1]) + 1 if np.any(blocked[start:onset]) else 0
        room = int(np.argmax(np.concatenate([blocked[start:], [True]])))
        length = min(int(remaining[0]), room)
        if length < 0.5 * fps or spent[True] + length - (onset - start) > target[True] or np.any(taken[max(0, start - gap) : start + length + gap]):
            continue
        remaining.pop(0)
        place(start, length)

    # Further looks away fill speaking and pausing up to their shares.
    for length in remaining:
        busy = np.concatenate([[0], np.cumsum(taken)])
        held = np.concatenate([[0], np.cumsum(blocked)])
        starts = np.arange(max(0, n - length + 1))
        lo, hi = np.maximum(starts - gap, 0), np.minimum(starts + length + gap, n)
        free = (busy[hi] - busy[lo] == 0) & (held[starts + length] - held[starts] == 0)
        deficit = {cond: target[cond] - spent[cond] for cond in (True, False)}
        cond = max(deficit, key=lambda c: deficit[c])
        if deficit[cond] < 0.5 * length:
            continue
        # Frames of the other condition a look away starting here would cover: within its budget.
        in_speech = spoken[starts + length] - spoken[starts]
        other = length - in_speech if cond else in_speech
        candidates = np.flatnonzero(free & (speech[starts] == cond) & (other <= max(0.0, deficit[not cond])))
        if candidates.size:
            place(int(rng.choice(candidates)), int(length))
    bouts.sort()
    return bouts


def _small_saccade_times(n: int, fps: float, rate_hz: float, bouts: list[tuple[int, int]], rng: np.random.Generator) -> NDArray[np.float64]:
    """Times (s) of small saccades: rate x duration of them, clear of look-away starts and ends."""
    allowed = np.ones(n, dtype=bool)
    clearance = round(_BOUNDARY_CLEARANCE_S * fps) + 1
    for start, end in bouts:
        for edge in (start, end):
            allowed[max(0, edge - clearance) : edge + clearance] = False
    frames = np.flatnonzero(allowed)
    if frames.size < 2:
        return np.zeros(0)
    min_gap = max(1.0, _MIN_FIXATION_S * fps)
    count = min(stochastic_round(rate_hz * n / fps, rng), int(frames.size / min_gap) - 1)
    if count <= 0:
        return np.zeros(0)
    # Gaps between saccades on the axis of allowed frames: at least one minimum fixation each.
    gaps = rng.exponential(1.0, size=count + 1)
    positions = np.cumsum(min_gap + gaps * (frames.size - 1 - (count + 1) * min_gap) / gaps.sum())[:count]
    out: NDArray[np.float64] = frames[np.clip(np.floor(positions).astype(np.int64), 0, frames.size - 1)] / fps + rng.uniform(0.0, 0.5 / fps, count)
    return out


def fixational_movements(n: int, fps: float, rng: np.random.Generator, scale: float = 1.0) -> NDArray[np.float64]:
    """(frames, 2) small offsets (pitch, yaw) in degrees to add to the planned gaze.

    Microsaccades at random times (:data:`MICROSACCADE_RATE_HZ`), each a step of 0.15-0.8 deg in a
    random direction that also takes back part of the offset so far (so the eyes hover around the
    fixation spot), and a slow drift. ``scale`` (the gaze intensity) scales both.
    """
    out = np.zeros((n, 2))
    if n == 0 or scale <= 0.0:
        return out
    count = stochastic_round(MICROSACCADE_RATE_HZ * n / fps, rng)
    frames = np.sort(rng.integers(0, n, size=count))
    sizes = np.clip(MICROSACCADE_MEDIAN_DEG * rng.lognormal(0.0, 0.5, size=count), _MICROSACCADE_MIN_DEG, MICROSACCADE_MAX_DEG)
    angles = rng.uniform(0.0, 2.0 * np.pi, size=count)
    offset = np.zeros(2)
    levels = np.zeros((count, 2))
    for k in range(count):
        step = sizes[k] * np.array([math.sin(angles[k]), math.cos(angles[k])]) - _MICROSACCADE_RETURN * offset
        norm = float(np.linalg.norm(step))
        if norm > MICROSACCADE_MAX_DEG:
            step *= MICROSACCADE_MAX_DEG / norm
        offset = offset + step
        levels[k] = offset
    index = np.searchsorted(frames, np.arange(n), side="right") - 1
    out[index >= 0] = levels[index[index >= 0]]
    sigma = _DRIFT_WIDTH_S * fps
    taps = np.arange(-round(3 * sigma), round(3 * sigma) + 1)
    gauss = np.exp(-0.5 * (taps / sigma) ** 2)
    noise = rng.standard_normal((n + taps.size - 1, 2))
    drift = np.column_stack([np.convolve(noise[:, j], gauss, mode="valid") for j in range(2)])
    drift *= _DRIFT_SD_DEG / max(float(np.std(drift)), 1e-9) if n > 1 else 0.0
    result: NDArray[np.float64] = (out + drift) * scale
    return result
