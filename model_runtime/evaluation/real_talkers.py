"""The real-talker figures: a clip measured exactly as the 31 real talking-head clips were.

Definitions (the shared REFERENCES.md, section "Real talkers"):

* All angle channels are centred on their clip median. Head: 3-frame median, then [1 2 1]/4; eyes:
  3-frame median, interpolated across blinks (frames whose mean closure is at least 0.5).
* Head angular speed: the angle of R_t^T R_(t+1) times fps. "Within 1 deg of rest": all three head
  angles within 1 deg of their median. Spectrum: share of the power above 1 Hz of each angle.
* World gaze: the head rotation applied to the mean direction of both eyes. "Off the listener":
  the angle from the clip's median world gaze. Gaze shifts: runs of frames whose world-gaze speed
  is over 60 deg/s; size = the angle between the mean gaze of the 2 frames before and the 2 after,
  kept when at least 3 deg.
* Eye-in-head on head slope: least-squares slope of the eye-in-head angle (mean of both eyes) on the
  head angle, per axis.
* Blinks: runs of mean closure >= 0.5 lasting at most 0.5 s; interval CV = sd / mean of the
  intervals between blink onsets.
* Lag of head to voice: the lag of the largest cross-correlation of head speed with the loudness
  envelope; negative = the head moves first.
* psyberlab: I-DT on the world gaze resampled to 90 fps with psyberlab's parameters (0.66 deg per
  axis, 100 ms; blink frames are lost data); KS distance of the speaking fixations' durations and of
  the sizes of shifts between fixations at most 100 ms apart, against the shared participants'
  speaking fixations ("Eye Gaze During Conversation", Dembinsky, Watanabe, Dengel & Ishimaru, ETRA
  2024, https://github.com/psyberlab/eye-gaze-during-conversation-dataset, Apache-2.0; read in place
  from the shared data folder, never copied).

Two figures go beyond the definitions, for the head's smoothness on the raw (unfiltered) channels:
the largest single-frame head speed and the number of out-and-back twitches (the head goes at
least 3 deg out and comes back to within a third of that within 3 frames: faster than
real talkers' 99th-percentile speed out and straight back, which smooth bumps never do).

:data:`FIGURES` holds every figure's reference values (presenters, interviewees, all 31) and the
acceptance bar of issue #26, in one place; :func:`real_talker_figures` measures a clip.
"""

from __future__ import annotations

import csv
import functools
import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from model_runtime.audio.types import SpeechFeatures
from model_runtime.clip import MotionClip
from model_runtime.conventions import angles_from_direction, direction_from_angles, head_matrix
from model_runtime.evaluation.distributions import ks_statistic, shared_dir
from model_runtime.evaluation.events import idt_fixations
from model_runtime.intervals import runs

NAN: Final[float] = float("nan")
SHIFT_SPEED_DEG_S: Final[float] = 60.0
SHIFT_MIN_DEG: Final[float] = 3.0
BLINK_CLOSED: Final[float] = 0.5
BLINK_MAX_S: Final[float] = 0.5
REST_DEG: Final[float] = 1.0
PAUSE_MARGIN_S: Final[float] = 0.3
MAX_LAG_S: Final[float] = 1.0
TWITCH_MIN_DEG: Final[float] = 3.0
TWITCH_FRAMES: Final[int] = 3
# psyberlab's own detector: 30 px windows (0.66 deg per axis at 67.5 cm), 100 ms, about 90 Hz.
PSYBERLAB_FPS: Final[float] = 90.0
PSYBERLAB_DISPERSION_DEG: Final[float] = 0.66
PSYBERLAB_MIN_S: Final[float] = 0.1
PSYBERLAB_MAX_GAP_S: Final[float] = 0.1
# The participants whose data is shared (the others are held out).
PSYBERLAB_SHARED: Final[tuple[int, ...]] = tuple(range(14))


@dataclass(frozen=True)
class Figure:
    """One real-talker figure: what it is, the real values and the bar a generated clip must meet.

    ``presenters``, ``interviewees``, ``everyone``: REFERENCES.md's values (NaN where not given);
    ``low``/``high``: the acceptance bar of issue #26 (NaN = no bound on that side).
    """

    meaning: str
    unit: str
    presenters: float = NAN
    interviewees: float = NAN
    everyone: float = NAN
    low: float = NAN
    high: float = NAN

    def passes(self, value: float) -> bool | None:
        """True or False against the bar; None when the figure has no bar or the value is undefined."""
        if math.isnan(self.low) and math.isnan(self.high):
            return None
        if math.isnan(value):
            return False
        return (math.isnan(self.low) or value >= self.low) and (math.isnan(self.high) or value <= self.high)

    def bar(self) -> str:
        if math.isnan(self.low) and math.isnan(self.high):
            return ""
        if math.isnan(self.low):
            return f"<= {self.high:g}"
        if math.isnan(self.high):
            return f">= {self.low:g}"
        return f"{self.low:g} to {self.high:g}"


# Keys are prefixed "rt_" in evaluate()'s output. Shares are fractions 0-1.
FIGURES: Final[dict[str, Figure]] = {
    "head_sd_pitch_deg": Figure("head pitch sd", "deg", 3.6, 3.4, 3.3),
    "head_sd_yaw_deg": Figure("head yaw sd", "deg", 4.0, 7.2, 4.6),
    "head_sd_roll_deg": Figure("head roll sd", "deg", 2.9, 4.1, 3.0, low=2.0),
    "head_speed_median_deg_s": Figure("head speed median", "deg/s", 14, 14, 14),
    "head_speed_p95_deg_s": Figure("head speed p95", "deg/s", 66, 56, 61),
    "head_speed_p99_deg_s": Figure("head speed p99", "deg/s", 112, 98, 105),
    "head_speed_max_deg_s": Figure("head speed max (filtered)", "deg/s", 198, 243, 243, high=250.0),
    "head_raw_speed_max_deg_s": Figure("head speed max, raw frames", "deg/s", high=250.0),
    "head_twitches": Figure("out-and-back head twitches (raw, 3 deg within 3 frames)", "count", high=0.0),
    "head_at_rest_share": Figure("frames with the head within 1 deg of rest", "share", 0.07, 0.06, 0.10, high=0.12),
    "head_power_above_1hz_pitch": Figure("head pitch power above 1 Hz", "share", 0.23, 0.15, 0.24, high=0.28),
    "head_power_above_1hz_yaw": Figure("head yaw power above 1 Hz", "share", 0.21, 0.16, 0.22, high=0.28),
    "head_power_above_1hz_roll": Figure("head roll power above 1 Hz", "share", 0.12, 0.09, 0.14, high=0.28),
    "head_median_hz_pitch": Figure("median frequency of head pitch", "Hz", 0.55, 0.40, 0.55),
    "head_median_hz_yaw": Figure("median frequency of head yaw", "Hz", 0.50, 0.50, 0.55),
    "head_median_hz_roll": Figure("median frequency of head roll", "Hz", 0.45, 0.45, 0.45),
    "head_loudness_lag_s": Figure("lag of head speed to loudness (best r; negative = head first)", "s", -0.28, 0.20, -0.24, low=-0.3, high=0.1),
    "head_loudness_r": Figure("correlation at that lag", "r", 0.34, NAN, 0.24),
    "gaze_shifts_per_min": Figure("gaze shifts >= 3 deg per minute", "1/min", 61, 86, 72),
    "gaze_shift_median_deg": Figure("gaze-shift size median", "deg", 4.5, 6.1, 5.0, low=3.0, high=8.0),
    "gaze_shift_p90_deg": Figure("gaze-shift size p90", "deg", 7.3, 16.5, 10.0),
    "gaze_shifts_over_10_share": Figure("gaze shifts over 10 deg", "share", 0.03, 0.23, 0.10, high=0.20),
    "gaze_shifts_over_15_share": Figure("gaze shifts over 15 deg", "share", 0.003, 0.13, 0.04),
    "gaze_shifts_horizontal_share": Figure("gaze shifts more horizontal than vertical", "share", 0.58, 0.61, 0.60),
    "gaze_off_5_share": Figure("time gaze is > 5 deg off the listener", "share", 0.17, 0.50, 0.25),
    "gaze_off_10_share": Figure("time gaze is > 10 deg off the listener", "share", 0.019, 0.35, 0.09),
    "gaze_off_left_share": Figure("> 5 deg offsets pointing to the character's left", "share", 0.25, 0.38, 0.30),
    "gaze_off_right_share": Figure("> 5 deg offsets pointing to the character's right", "share", 0.24, 0.45, 0.37),
    "gaze_off_up_share": Figure("> 5 deg offsets pointing up", "share", 0.20, 0.07, 0.12),
    "gaze_off_down_share": Figure("> 5 deg offsets pointing down", "share", 0.32, 0.10, 0.21),
    "eye_head_slope_yaw": Figure("eye-in-head on head slope, yaw", "slope", -1.15, -0.33, -0.88, high=-0.6),
    "eye_head_slope_pitch": Figure("eye-in-head on head slope, pitch", "slope", -0.88, NAN, -0.88, high=-0.6),
    "blinks_per_min": Figure("blinks per minute", "1/min", 37, 31, 33, low=25.0, high=40.0),
    "blink_duration_median_s": Figure("blink duration at closure >= 0.5, median", "s", 0.12, 0.16, 0.12),
    "blink_duration_p90_s": Figure("blink duration at closure >= 0.5, p90", "s", 0.17, 0.32, 0.20),
    "blink_interval_cv": Figure("blink interval CV", "ratio", 0.98, 0.74, 0.94, low=0.8),
    "blinks_near_pause_share": Figure("blinks within 0.3 s of a speech pause", "share", 0.47, 0.16, 0.40),
    "blinks_near_pause_chance": Figure("the same by chance (share of time within 0.3 s of a pause)", "share", 0.40, 0.16, 0.34),
    "lid_closure_mean": Figure("mean lid closure, blinks included", "0-1", 0.15, 0.17, 0.15, low=0.08),
    "lid_left_right_mean_abs": Figure("mean abs(left - right) closure", "0-1", 0.07, 0.10, 0.07),
    "psyberlab_ks_fixation_duration": Figure("KS distance of speaking fixation durations to psyberlab", "KS", everyone=0.125, high=0.15),
    "psyberlab_ks_shift_size": Figure("KS distance of speaking shift sizes to psyberlab", "KS", everyone=0.21, high=0.22),
    "psyberlab_fixation_median_s": Figure("speaking fixation duration median (90 fps I-DT)", "s", everyone=0.20),
    "psyberlab_shift_p10_deg": Figure("speaking shift size p10 (fixations <= 100 ms apart)", "deg", everyone=0.26),
}
# Bars that hold for one style only: (figure, preset) -> (low, high).
STYLE_BARS: Final[dict[tuple[str, str], tuple[float, float]]] = {
    ("gaze_off_10_share", "calm_presenter"): (NAN, 0.08),
}


def _median3(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """3-frame running median along axis 0 (the end frames keep their value)."""
    if len(x) < 3:
        return x.copy()
    out = x.copy()
    out[1:-1] = np.median(np.stack([x[:-2], x[1:-1], x[2:]]), axis=0)
    return out


def _smooth121(x: NDArray[np.float64]) -> NDArray[np.float64]:
    if len(x) < 3:
        return x.copy()
    out = x.copy()
    out[1:-1] = 0.25 * x[:-2] + 0.5 * x[1:-1] + 0.25 * x[2:]
    return out


def _centred(x: NDArray[np.float64]) -> NDArray[np.float64]:
    out: NDArray[np.float64] = x - np.median(x, axis=0) if len(x) else x
    return out


def blink_frames(clip: MotionClip) -> NDArray[np.bool_]:
    """(frames,) True where the mean lid closure is at least 0.5."""
    out: NDArray[np.bool_] = clip.blinks.mean(axis=1) >= BLINK_CLOSED
    return out


def prepared(clip: MotionClip) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Head (frames, 3) and mean eye-in-head (frames, 2), centred and filtered as the definitions say."""
    head = _centred(_smooth121(_median3(clip.head.astype(np.float64))))
    eye_dir = direction_from_angles(clip.left_eye[:, 0], clip.left_eye[:, 1]) + direction_from_angles(clip.right_eye[:, 0], clip.right_eye[:, 1])
    eye = np.column_stack(angles_from_direction(eye_dir)) if len(eye_dir) else np.zeros((0, 2))
    eye = _median3(eye)
    closed = blink_frames(clip)
    if np.any(closed) and not np.all(closed):
        idx = np.arange(len(eye))
        for j in range(2):
            eye[closed, j] = np.interp(idx[closed], idx[~closed], eye[~closed, j])
    return head, _centred(eye)


def head_speed(head: NDArray[np.float64], fps: float) -> NDArray[np.float64]:
    """(frames - 1,) angle of R_t^T R_(t+1) times fps, deg/s."""
    if len(head) < 2:
        return np.zeros(0)
    r = head_matrix(head[:, 0], head[:, 1], head[:, 2])
    rel = np.einsum("nji,njk->nik", r[:-1], r[1:])
    cos = np.clip((np.trace(rel, axis1=1, axis2=2) - 1.0) / 2.0, -1.0, 1.0)
    out: NDArray[np.float64] = np.degrees(np.arccos(cos)) * fps
    return out


def twitches(head: NDArray[np.float64], min_deg: float = TWITCH_MIN_DEG, frames: int = TWITCH_FRAMES) -> int:
    """Out-and-back moves: from frame t the head goes at least ``min_deg`` away and is back within a
    third of that by frame t + k (k <= ``frames``). Counted once per starting stretch."""
    n = len(head)
    if n < 3:
        return 0
    r = head_matrix(head[:, 0], head[:, 1], head[:, 2])
    hit = np.zeros(n, dtype=bool)
    for k in range(2, frames + 1):
        if n <= k:
            break
        end = _angle_between(r[:-k], r[k:])
        peak = np.zeros(n - k)
        for m in range(1, k):
            peak = np.maximum(peak, _angle_between(r[: n - k], r[m : n - k + m]))
        hit[: n - k] |= (peak >= min_deg) & (end <= peak / 3.0)
    return len(runs(hit))


def _angle_between(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    rel = np.einsum("nji,njk->nik", a, b)
    out: NDArray[np.float64] = np.degrees(np.arccos(np.clip((np.trace(rel, axis1=1, axis2=2) - 1.0) / 2.0, -1.0, 1.0)))
    return out


def power_above(x: NDArray[np.float64], fps: float, cutoff_hz: float = 1.0) -> tuple[float, float]:
    """(share of the power above ``cutoff_hz``, median frequency in Hz) of a centred signal."""
    if len(x) < 4:
        return NAN, NAN
    spectrum = np.abs(np.fft.rfft(x - x.mean())) ** 2
    freq = np.fft.rfftfreq(len(x), 1.0 / fps)
    spectrum, freq = spectrum[1:], freq[1:]
    total = float(spectrum.sum())
    if total <= 0.0:
        return NAN, NAN
    cumulative = np.cumsum(spectrum) / total
    return float(spectrum[freq > cutoff_hz].sum() / total), float(freq[int(np.searchsorted(cumulative, 0.5))])


def best_lag(motion: NDArray[np.float64], voice: NDArray[np.float64], fps: float, max_lag_s: float = MAX_LAG_S) -> tuple[float, float]:
    """(largest Pearson r, its lag in s) of ``motion`` against ``voice``; a positive lag: motion after voice."""
    n = min(len(motion), len(voice))
    m, v = np.asarray(motion[:n], dtype=np.float64), np.asarray(voice[:n], dtype=np.float64)
    best_r, lag_s = NAN, NAN
    max_lag = min(round(max_lag_s * fps), n - 3)
    for lag in range(-max_lag, max_lag + 1):
        a, b = (m[lag:], v[: n - lag]) if lag >= 0 else (m[: n + lag], v[-lag:])
        if a.std() == 0.0 or b.std() == 0.0:
            continue
        r = float(np.corrcoef(a, b)[0, 1])
        if math.isnan(best_r) or r > best_r:
            best_r, lag_s = r, lag / fps
    return best_r, lag_s


def loudness_envelope(features: SpeechFeatures, n: int) -> NDArray[np.float64]:
    """Loudness per frame (dB of the RMS, floored 60 dB below the loudest), cut or padded to ``n`` frames."""
    rms = np.zeros(n)
    m = min(n, features.n_frames)
    rms[:m] = np.asarray(features.rms, dtype=np.float64)[:m]
    peak = float(rms.max()) if n else 0.0
    if peak <= 0.0:
        return np.zeros(n)
    out: NDArray[np.float64] = 20.0 * np.log10(np.maximum(rms, peak * 1e-3))
    return out


def gaze_shifts(world: NDArray[np.float64], fps: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(sizes in deg, (k, 2) pitch/yaw change) of the gaze shifts of unit world directions (frames, 3)."""
    n = len(world)
    if n < 2:
        return np.zeros(0), np.zeros((0, 2))
    speed = np.degrees(np.arccos(np.clip(np.sum(world[:-1] * world[1:], axis=1), -1.0, 1.0))) * fps
    sizes, deltas = [], []
    for a, b in runs(speed > SHIFT_SPEED_DEG_S):
        # Transition i moves frame i to i + 1: the run moves frame a to frame b.
        before = world[max(0, a - 1) : a + 1].mean(axis=0)
        after = world[b : min(n, b + 2)].mean(axis=0)
        before /= np.linalg.norm(before)
        after /= np.linalg.norm(after)
        size = float(np.degrees(np.arccos(np.clip(before @ after, -1.0, 1.0))))
        if size >= SHIFT_MIN_DEG:
            p0, y0 = angles_from_direction(before)
            p1, y1 = angles_from_direction(after)
            sizes.append(size)
            deltas.append((float(p1 - p0), float(y1 - y0)))
    return np.array(sizes), np.array(deltas).reshape(-1, 2)


def _slope(y: NDArray[np.float64], x: NDArray[np.float64]) -> float:
    x = x - x.mean()
    denominator = float(np.sum(x * x))
    return float(np.sum(x * (y - y.mean())) / denominator) if denominator > 1e-12 else NAN


def _frame_speech(features: SpeechFeatures, n: int) -> NDArray[np.bool_]:
    out = np.zeros(n, dtype=bool)
    m = min(n, features.n_frames)
    out[:m] = np.asarray(features.speech, dtype=bool)[:m]
    return out


@functools.lru_cache(maxsize=2)
def psyberlab_speaking(root: Path | None = None) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(fixation durations in s, shift sizes in deg between fixations <= 100 ms apart) of the shared
    participants while speaking; empty when the data is not available."""
    base = (root or shared_dir() or Path("/nonexistent")) / "data" / "gaze" / "psyberlab"
    durations: list[float] = []
    sizes: list[float] = []
    for participant in PSYBERLAB_SHARED:
        path = base / f"participant_{participant:02d}.csv"
        if not path.exists():
            continue
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                if row["label"] != "SPEAK":
                    continue
                durations.append(float(row["duration_ms"]) / 1000.0)
                if row["saccade_amplitude_deg"] and row["pause_after_ms"] and float(row["pause_after_ms"]) <= 1000.0 * PSYBERLAB_MAX_GAP_S:
                    sizes.append(float(row["saccade_amplitude_deg"]))
    return np.array(durations), np.array(sizes)


def idt_per_axis(positions: NDArray[np.float64], fps: float, dispersion: float, min_duration_s: float) -> list[tuple[int, int]]:
    """I-DT as psyberlab's square window (:func:`~model_runtime.evaluation.events.idt_fixations`, ``square``)."""
    return idt_fixations(positions, fps, dispersion, min_duration_s, square=True)


def fixations_speaking(clip: MotionClip, features: SpeechFeatures) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(durations in s, shift sizes in deg) of the clip's speaking fixations measured as psyberlab's."""
    if clip.n_frames < 2:
        return np.zeros(0), np.zeros(0)
    fast = clip.resample(PSYBERLAB_FPS)
    head = fast.head
    eye = direction_from_angles(fast.left_eye[:, 0], fast.left_eye[:, 1]) + direction_from_angles(fast.right_eye[:, 0], fast.right_eye[:, 1])
    world = np.einsum("nij,nj->ni", head_matrix(head[:, 0], head[:, 1], head[:, 2]), eye)
    world /= np.linalg.norm(world, axis=1, keepdims=True)
    pitch, yaw = angles_from_direction(world)
    positions = np.column_stack([pitch, yaw])
    positions[blink_frames(fast)] = np.nan
    source = np.minimum((np.arange(fast.n_frames) / PSYBERLAB_FPS * clip.fps).astype(np.int64), clip.n_frames - 1)
    speech = _frame_speech(features, clip.n_frames)[source]
    fixations = idt_per_axis(positions, PSYBERLAB_FPS, PSYBERLAB_DISPERSION_DEG, PSYBERLAB_MIN_S)
    kept = [(a, b) for a, b in fixations if speech[(a + b) // 2]]
    durations = np.array([(b - a) / PSYBERLAB_FPS for a, b in kept])
    sizes = []
    centres = {f: world[f[0] : f[1]].mean(axis=0) for f in kept}
    for first, second in itertools.pairwise(fixations):
        if first in centres and second in centres and (second[0] - first[1]) / PSYBERLAB_FPS <= PSYBERLAB_MAX_GAP_S + 1e-9:
            a, b = centres[first], centres[second]
            cos = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
            sizes.append(math.degrees(math.acos(min(1.0, max(-1.0, cos)))))
    return durations, np.array(sizes)


def real_talker_figures(clip: MotionClip, features: SpeechFeatures, *, psyberlab: bool = True) -> dict[str, float]:
    """Every figure of :data:`FIGURES` for ``clip`` (features at the clip's rate); NaN where undefined.

    ``psyberlab=False`` skips the (slower) 90 fps fixation comparison.
    """
    fps, n = clip.fps, clip.n_frames
    out = dict.fromkeys(FIGURES, NAN)
    if n < 4:
        return out
    head, eye = prepared(clip)
    sd = head.std(axis=0)
    out["head_sd_pitch_deg"], out["head_sd_yaw_deg"], out["head_sd_roll_deg"] = (float(v) for v in sd)
    speed = head_speed(head, fps)
    for key, q in (("median", 50), ("p95", 95), ("p99", 99)):
        out[f"head_speed_{key}_deg_s"] = float(np.percentile(speed, q))
    out["head_speed_max_deg_s"] = float(speed.max())
    out["head_raw_speed_max_deg_s"] = float(head_speed(clip.head, fps).max())
    out["head_twitches"] = float(twitches(clip.head))
    out["head_at_rest_share"] = float(np.mean(np.all(np.abs(head) <= REST_DEG, axis=1)))
    for j, axis in enumerate(("pitch", "yaw", "roll")):
        out[f"head_power_above_1hz_{axis}"], out[f"head_median_hz_{axis}"] = power_above(head[:, j], fps)
    # Head speed per frame: the mean of the speeds into and out of the frame.
    frame_speed = np.concatenate([[speed[0]], (speed[:-1] + speed[1:]) / 2.0, [speed[-1]]])
    out["head_loudness_r"], out["head_loudness_lag_s"] = best_lag(frame_speed, loudness_envelope(features, n), fps)

    # World gaze from the filtered channels (eyes interpolated across blinks).
    raw_head = clip.head - np.median(clip.head, axis=0)
    world = np.einsum("nij,nj->ni", head_matrix(*_smooth121(_median3(raw_head)).T), direction_from_angles(eye[:, 0], eye[:, 1]))
    sizes, deltas = gaze_shifts(world, fps)
    out["gaze_shifts_per_min"] = len(sizes) / clip.duration * 60.0
    if sizes.size:
        out["gaze_shift_median_deg"] = float(np.median(sizes))
        out["gaze_shift_p90_deg"] = float(np.percentile(sizes, 90))
        out["gaze_shifts_over_10_share"] = float(np.mean(sizes > 10.0))
        out["gaze_shifts_over_15_share"] = float(np.mean(sizes > 15.0))
        out["gaze_shifts_horizontal_share"] = float(np.mean(np.abs(deltas[:, 1]) > np.abs(deltas[:, 0])))
    pitch, yaw = angles_from_direction(world)
    centre = direction_from_angles(np.array(np.median(pitch)), np.array(np.median(yaw)))
    off = np.degrees(np.arccos(np.clip(world @ centre, -1.0, 1.0)))
    out["gaze_off_5_share"] = float(np.mean(off > 5.0))
    out["gaze_off_10_share"] = float(np.mean(off > 10.0))
    far = off > 5.0
    if np.any(far):
        dp, dy = pitch[far] - np.median(pitch), yaw[far] - np.median(yaw)
        sideways = np.abs(dy) >= np.abs(dp)
        out["gaze_off_left_share"] = float(np.mean(sideways & (dy > 0)))
        out["gaze_off_right_share"] = float(np.mean(sideways & (dy <= 0)))
        out["gaze_off_up_share"] = float(np.mean(~sideways & (dp > 0)))
        out["gaze_off_down_share"] = float(np.mean(~sideways & (dp <= 0)))
    out["eye_head_slope_pitch"] = _slope(eye[:, 0], head[:, 0])
    out["eye_head_slope_yaw"] = _slope(eye[:, 1], head[:, 1])

    out.update(blink_figures(clip, features))
    if psyberlab:
        durations, shift_sizes = fixations_speaking(clip, features)
        ref_durations, ref_sizes = psyberlab_speaking()
        if ref_durations.size and durations.size:
            out["psyberlab_ks_fixation_duration"] = ks_statistic(durations, ref_durations)
            out["psyberlab_fixation_median_s"] = float(np.median(durations))
        if ref_sizes.size and shift_sizes.size:
            out["psyberlab_ks_shift_size"] = ks_statistic(shift_sizes, ref_sizes)
            out["psyberlab_shift_p10_deg"] = float(np.percentile(shift_sizes, 10))
    return out


def blink_figures(clip: MotionClip, features: SpeechFeatures) -> dict[str, float]:
    """The blink and lid figures of :data:`FIGURES`."""
    fps, n = clip.fps, clip.n_frames
    out: dict[str, float] = {}
    blinks = [(a, b) for a, b in runs(blink_frames(clip)) if (b - a) / fps <= BLINK_MAX_S]
    out["blinks_per_min"] = len(blinks) / clip.duration * 60.0 if n else NAN
    lengths = np.array([(b - a) / fps for a, b in blinks])
    out["blink_duration_median_s"] = float(np.median(lengths)) if lengths.size else NAN
    out["blink_duration_p90_s"] = float(np.percentile(lengths, 90)) if lengths.size else NAN
    onsets = np.array([a / fps for a, _ in blinks])
    intervals = np.diff(onsets)
    out["blink_interval_cv"] = float(intervals.std() / intervals.mean()) if intervals.size >= 2 else NAN
    pause = ~_frame_speech(features, n)
    margin = round(PAUSE_MARGIN_S * fps)
    near = np.convolve(pause.astype(np.float64), np.ones(2 * margin + 1), mode="same") > 0 if np.any(pause) else np.zeros(n, dtype=bool)
    out["blinks_near_pause_share"] = float(np.mean([near[a] for a, _ in blinks])) if blinks else NAN
    out["blinks_near_pause_chance"] = float(np.mean(near))
    out["lid_closure_mean"] = float(clip.blinks.mean())
    out["lid_left_right_mean_abs"] = float(np.mean(np.abs(clip.blinks[:, 0] - clip.blinks[:, 1])))
    return out


def bar_for(key: str, style: str | None = None) -> tuple[float, float]:
    """(low, high) bar of a figure, for ``style`` where a style has its own (NaN = no bound)."""
    if style is not None and (key, style) in STYLE_BARS:
        return STYLE_BARS[key, style]
    figure = FIGURES[key]
    return figure.low, figure.high


def passes(key: str, value: float, style: str | None = None) -> bool | None:
    """True / False against the (style's) bar; None where there is no bar."""
    low, high = bar_for(key, style)
    figure = FIGURES[key]
    return Figure(figure.meaning, figure.unit, low=low, high=high).passes(value)


def comparison_lines(figures: dict[str, float], style: str | None = None) -> list[str]:
    """One printable line per figure: value, the real presenters / interviewees / all, the bar and pass."""
    lines = [f"  {'figure':<34} {'value':>9} {'present.':>9} {'interv.':>9} {'all 31':>9}  bar"]
    for key, figure in FIGURES.items():
        value = figures.get(key, NAN)
        low, high = bar_for(key, style)
        bar = Figure(figure.meaning, figure.unit, low=low, high=high).bar()
        verdict = {True: "ok", False: "MISS", None: ""}[passes(key, value, style)]

        def show(v: float) -> str:
            return "" if math.isnan(v) else f"{v:.3g}"

        lines.append(f"  {key:<34} {show(value):>9} {show(figure.presenters):>9} {show(figure.interviewees):>9} {show(figure.everyone):>9}  {bar} {verdict}".rstrip())
    return lines
