"""Motion metrics of both papers: MAE, velocity error, motion energy error, BAS, diversity, L1div.

Angles in degrees. Velocities are in degrees per 1/25 s (the papers' frame rate) so that values do
not depend on the clip's frame rate. See docs/metrics.md for definitions and references.
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import NDArray

from model_runtime.audio.types import SpeechFeatures
from model_runtime.clip import MotionClip
from model_runtime.conventions import HEAD

ANGLES = slice(0, 7)
PAPER_FPS = 25.0
# BAS (EMAGE): Gaussian width of the alignment kernel, beat window and minimum head speed of a beat.
BAS_SIGMA_S = 0.3
BEAT_WINDOW_S = 0.2
BEAT_MIN_SPEED_DEG_S = 1.0
# Onset peak picking on the normalised onset-strength envelope (librosa-like defaults).
ONSET_WINDOW_S = 0.1
ONSET_DELTA = 0.07


def align(clip: MotionClip, reference: MotionClip) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Both clips' data at the clip's frame rate, cut to the shorter length: two (frames, 9) arrays."""
    ref = reference.resample(clip.fps)
    n = min(clip.n_frames, ref.n_frames)
    return clip.data[:n], ref.data[:n]


def _velocity(angles: NDArray[np.float64], fps: float) -> NDArray[np.float64]:
    """Frame-difference velocities in degrees per 1/25 s."""
    out: NDArray[np.float64] = np.diff(angles, axis=0) * (fps / PAPER_FPS)
    return out


def mae_deg(pred: NDArray[np.float64], ref: NDArray[np.float64]) -> float:
    """Mean absolute angle error (degrees) over frames and the given channels."""
    return float(np.mean(np.abs(pred - ref))) if pred.size else float("nan")


def velocity_error(pred: NDArray[np.float64], ref: NDArray[np.float64], fps: float) -> float:
    """Mean absolute difference of frame velocities (degrees per 1/25 s)."""
    if len(pred) < 2:
        return float("nan")
    return float(np.mean(np.abs(_velocity(pred, fps) - _velocity(ref, fps))))


def motion_energy(angles: NDArray[np.float64], fps: float) -> float:
    """Mean absolute frame velocity (degrees per 1/25 s) over frames and channels."""
    return float(np.mean(np.abs(_velocity(angles, fps)))) if len(angles) >= 2 else float("nan")


def motion_energy_error(pred: NDArray[np.float64], ref: NDArray[np.float64], fps: float) -> float:
    """|energy(pred) - energy(ref)|, energies from :func:`motion_energy`."""
    return abs(motion_energy(pred, fps) - motion_energy(ref, fps))


def l1div(clip: MotionClip) -> float:
    """EMAGE L1div: mean absolute deviation of each angle channel from its own mean (degrees)."""
    angles = clip.data[:, ANGLES]
    return float(np.mean(np.abs(angles - angles.mean(axis=0)))) if clip.n_frames else float("nan")


def diversity(clips: list[MotionClip]) -> float:
    """TalkingEyes diversity: mean over pairs of clips of the mean per-frame L2 distance of the angles (degrees).

    The clips are generations for the same audio (e.g. different seeds), cut to the shortest.
    """
    if len(clips) < 2:
        raise ValueError("diversity needs at least two clips")
    n = min(c.n_frames for c in clips)
    arrays = [c.resample(clips[0].fps).data[:n, ANGLES] for c in clips]
    distances = [float(np.mean(np.linalg.norm(a - b, axis=1))) for a, b in itertools.combinations(arrays, 2)]
    return float(np.mean(distances))


def head_speed(clip: MotionClip) -> NDArray[np.float64]:
    """(frames,) head angular speed in deg/s from central differences of (pitch, yaw, roll)."""
    if clip.n_frames < 2:
        return np.zeros(clip.n_frames)
    out: NDArray[np.float64] = np.linalg.norm(np.gradient(clip.data[:, HEAD], axis=0), axis=1) * clip.fps
    return out


def motion_beats(speed: NDArray[np.float64], fps: float, window_s: float = BEAT_WINDOW_S, min_speed: float = BEAT_MIN_SPEED_DEG_S) -> NDArray[np.float64]:
    """Times (s) of motion beats: strict local minima of ``speed`` within +-window/2 whose speed exceeds ``min_speed``.

    Minima in stillness (speed under ``min_speed``) are not beats, as in EMAGE's implementation.
    """
    order = max(1, round(window_s / 2 * fps))
    x = np.asarray(speed, dtype=np.float64)
    if len(x) < 2 * order + 1:
        return np.zeros(0)
    windows = np.lib.stride_tricks.sliding_window_view(x, 2 * order + 1)
    centre = windows[:, order]
    others = np.delete(windows, order, axis=1)
    is_beat = np.all(centre[:, None] < others, axis=1) & (centre > min_speed)
    out: NDArray[np.float64] = (np.flatnonzero(is_beat) + order) / fps
    return out


def speech_onsets(features: SpeechFeatures, window_s: float = ONSET_WINDOW_S, delta: float = ONSET_DELTA) -> NDArray[np.float64]:
    """Times (s) of audio events: utterance starts and peaks of onset strength inside speech.

    A peak is the maximum of the normalised onset envelope within +-window, at least ``delta``
    above its local mean over the same window; peaks closer than the window to an earlier event
    are dropped.
    """
    env = np.asarray(features.onset, dtype=np.float64)
    top = float(env.max()) if env.size else 0.0
    times = [u.start for u in features.utterances]
    if top > 0:
        env = env / top
        w = max(1, round(window_s * features.fps))
        padded = np.pad(env, w, mode="edge")
        windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * w + 1)
        peaks = features.speech[: len(env)] & (env >= windows.max(axis=1)) & (env >= windows.mean(axis=1) + delta)
        times += [float(i) / features.fps for i in np.flatnonzero(peaks)]
    kept: list[float] = []
    for t in sorted(times):
        if not kept or t - kept[-1] >= window_s:
            kept.append(t)
    return np.array(kept)


def beat_alignment_score(beats_s: NDArray[np.float64], onsets_s: NDArray[np.float64], sigma: float = BAS_SIGMA_S) -> float:
    """Mean over audio onsets of exp(-d^2 / (2 sigma^2)), d the distance (s) to the nearest motion beat.

    0 when there are no beats, NaN when there are no onsets.
    """
    onsets = np.asarray(onsets_s, dtype=np.float64)
    if onsets.size == 0:
        return float("nan")
    beats = np.asarray(beats_s, dtype=np.float64)
    if beats.size == 0:
        return 0.0
    d = np.min(np.abs(onsets[:, None] - beats[None, :]), axis=1)
    return float(np.mean(np.exp(-(d**2) / (2 * sigma**2))))


def bas_with_chance(
    beats_s: NDArray[np.float64], onsets_s: NDArray[np.float64], duration_s: float, *, n_shifts: int = 200, seed: int = 0, sigma: float = BAS_SIGMA_S,
) -> tuple[float, float]:
    """(BAS, chance BAS): the chance level is the mean BAS after random circular shifts of the motion.

    Shifts are uniform over [1 s, duration - 1 s] so no shift keeps the motion near its true timing;
    the beat times wrap around the clip end.
    """
    bas = beat_alignment_score(beats_s, onsets_s, sigma)
    if duration_s <= 2.0:
        return bas, float("nan")
    rng = np.random.default_rng(seed)
    shifts = rng.uniform(1.0, duration_s - 1.0, size=n_shifts)
    beats = np.asarray(beats_s, dtype=np.float64)
    chance = [beat_alignment_score((beats + s) % duration_s, onsets_s, sigma) for s in shifts]
    return bas, float(np.mean(chance))
