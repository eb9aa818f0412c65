"""Head motion: speech-driven nods, turns and tilts with slow drift, and following large gaze shifts.

Human reference (REFERENCES.md): head motion follows F0 and loudness (Munhall 2004) and lags
prosody by about 30 ms (we use 60 ms: the head peaks after the accent's own peak); slow head
coordination 0.2-1.1 Hz; gaze shifts under about 15 deg are eye-only and the head takes a share
growing linearly with the amplitude beyond that (Freedman & Sparks 1997); the eyes lead the head.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from model_runtime.audio.types import SpeechFeatures
from model_runtime.performer.style import PerformerStyle

# Gaze shifts up to this amplitude (deg) are made by the eyes alone, but for a token share.
EYE_ONLY_RANGE_DEG: Final[float] = 15.0
# Head movers move the head a little with every shift: this share of it, times the head-mover share.
SMALL_SHIFT_SHARE: Final[float] = 0.2
# Time constant (s) of the head's gamma-shaped step response to a new gaze spot; the eyes jump
# first and the head arrives over about a quarter of a second.
HEAD_FOLLOW_TAU_S: Final[float] = 0.07
# How much of the listener's direction the head turns to face (beyond a small eye-only range).
_FACE_LISTENER_SHARE: Final[float] = 0.85
_FACE_LISTENER_EYE_ONLY_DEG: Final[float] = 10.0
# Real presenters' head moves ahead of the voice (head speed best matches loudness 0.28 s early;
# all 31 real talkers 0.24 s; REFERENCES.md "Real talkers"): the whole line is known, so each
# accent's movement is placed to be at its fastest this long before the accent.
_PROSODY_LEAD_S: Final[float] = 0.15
_ACCENT_RISE_S: Final[float] = 0.26
_ACCENT_FALL_S: Final[float] = 0.5
# Phrase ends get a nod (chin down) ending on the last syllable (Ishi et al. 2014).
_PHRASE_END_NOD: Final[float] = 1.0
_DRIFT_WIDTH_S: Final[float] = 0.55
_DRIFT_WEIGHT: Final[float] = 0.9
# The busy mask fades in and out over this long (s), so damping never steps the head.
_BUSY_FADE_S: Final[float] = 0.4
# The head never turns faster than this (deg/s): real talkers peak at 198-243 deg/s.
MAX_HEAD_SPEED_DEG_S: Final[float] = 200.0
_SHIFT_DAMPING: Final[float] = 0.85


def dead_zone(offset: NDArray[np.float64], range_deg: float) -> NDArray[np.float64]:
    """Offsets (..., 2) shortened by ``range_deg`` (zero inside it), keeping their direction."""
    norm = np.linalg.norm(offset, axis=-1, keepdims=True)
    scale = np.maximum(norm - range_deg, 0.0) / np.maximum(norm, 1e-9)
    out: NDArray[np.float64] = offset * scale
    return out


def follow_kernel(fps: float, tau_s: float = HEAD_FOLLOW_TAU_S) -> NDArray[np.float64]:
    """Causal impulse response (taps,) of the head following a gaze spot with time constant ``tau_s``, summing to 1."""
    t = np.arange(max(1, round(8 * tau_s * fps))) / fps
    kernel = t * np.exp(-t / tau_s)
    if kernel.sum() <= 0.0:
        return np.ones(1)
    out: NDArray[np.float64] = kernel / kernel.sum()
    return out


def follow_basis(spot: NDArray[np.float64], gaze: NDArray[np.float64], fps: float) -> NDArray[np.float64]:
    """Head (pitch, yaw) per frame for a head-mover share of 1, from the gaze offsets from the listener.

    ``spot`` (frames, 2): centre of the current fixation area (look-away spot or 0); its excess
    over the eye-only range is followed in full. ``gaze`` (frames, 2): the gaze itself, followed
    with :data:`SMALL_SHIFT_SHARE`. Both pass through the head's smooth, lagging step response.
    """
    target = dead_zone(spot, EYE_ONLY_RANGE_DEG) + SMALL_SHIFT_SHARE * gaze
    return causal_filter(target, follow_kernel(fps))


def shift_activity(spot: NDArray[np.float64], fps: float) -> NDArray[np.float64]:
    """(frames,) 0-1: 1 from just before the head starts following a gaze shift beyond the
    eye-only range (``spot`` as in :func:`follow_basis`) until it settles."""
    follow = causal_filter(dead_zone(spot, EYE_ONLY_RANGE_DEG), follow_kernel(fps))
    n = follow.shape[0]
    if n < 2:
        return np.zeros(n)
    moving = np.concatenate([[0.0], (np.linalg.norm(np.diff(follow, axis=0), axis=1) > 1e-3).astype(np.float64)])
    before, after = round(0.15 * fps), round(0.3 * fps)
    window = np.ones(before + after + 1)
    # A frame is busy if the head moves within `after` frames before it or `before` frames after it.
    spread = np.convolve(moving, window)[after : after + n]
    out: NDArray[np.float64] = np.minimum(spread, 1.0)
    return out


def causal_filter(signal: NDArray[np.float64], kernel: NDArray[np.float64]) -> NDArray[np.float64]:
    """Each column of ``signal`` (frames, k) convolved causally with ``kernel``; starts from its first value."""
    n = signal.shape[0]
    if n == 0:
        return signal.copy()
    pad = np.vstack([np.repeat(signal[:1], len(kernel) - 1, axis=0), signal])
    out = np.column_stack([np.convolve(pad[:, j], kernel, mode="valid") for j in range(signal.shape[1])])
    return out[:n]


def facing(look_at: NDArray[np.float64]) -> NDArray[np.float64]:
    """Head (pitch, yaw) that turns towards a listener at ``look_at`` (pitch, yaw) degrees."""
    return _FACE_LISTENER_SHARE * dead_zone(look_at, _FACE_LISTENER_EYE_ONLY_DEG)


def prosody_head(
    features: SpeechFeatures, fps: float, style: PerformerStyle, rng: np.random.Generator, busy: NDArray[np.float64] | None = None
) -> NDArray[np.float64]:
    """Speech-driven head (frames, 3) pitch, yaw, roll in degrees, each with the style's sd.

    Accents are local peaks of loudness and pitch rise in speech; each makes a bump lagging it, a
    nod (chin down) in pitch more often than not and a random-signed turn and tilt. A slow random
    drift is added on every axis, so there is motion in pauses and silence too. ``busy`` (frames,)
    0-1 marks where the head is carrying a gaze shift (:func:`shift_activity`); speech-driven
    motion is damped there, as the head's movement then serves the gaze.
    """
    n = features.n_frames
    out = np.zeros((n, 3))
    if n < 2:
        return out
    salience = accent_salience(features)
    peaks = _local_peaks(salience, max(1, round(0.35 * fps)))
    peaks = peaks[salience[peaks] > 0.5]
    impulses = np.zeros((n, 3))
    # Compressed strengths: the loudest accent moves the head more, but not ten times more.
    strength = np.sqrt(salience[peaks])
    impulses[peaks, 0] = -strength * np.where(rng.random(peaks.size) < 0.75, 1.0, -0.5)
    impulses[peaks, 1] = strength * rng.choice((-1.0, 1.0), size=peaks.size)
    impulses[peaks, 2] = strength * rng.choice((-1.0, 1.0), size=peaks.size) * 0.8
    # Phrase ends: a nod whose fastest point falls on the last syllable.
    typical = float(np.median(strength)) if strength.size else 1.0
    for utterance in features.utterances:
        if utterance.end - utterance.start >= 1.0:
            frame = min(n - 1, max(0, round((utterance.end - 0.15) * fps)))
            impulses[frame, 0] -= _PHRASE_END_NOD * typical
    # Each accent: a smooth rise whose fastest point leads the accent, then a slower return.
    rise = np.arange(max(2, round(_ACCENT_RISE_S * fps))) / max(1, round(_ACCENT_RISE_S * fps) - 1)
    fall = np.arange(1, max(2, round(_ACCENT_FALL_S * fps)) + 1) / max(2, round(_ACCENT_FALL_S * fps))
    bump = np.concatenate([0.5 - 0.5 * np.cos(np.pi * rise), 0.5 + 0.5 * np.cos(np.pi * fall)])
    shift = round((-_PROSODY_LEAD_S - _ACCENT_RISE_S / 2.0) * fps)
    accents = np.column_stack([np.convolve(impulses[:, j], bump) for j in range(3)])
    accents = accents[max(0, -shift) : max(0, -shift) + n] if shift < 0 else np.vstack([np.zeros((shift, 3)), accents])[:n]
    if accents.shape[0] < n:
        accents = np.vstack([accents, np.zeros((n - accents.shape[0], 3))])
    # Drift: white noise through a wide Gaussian, about 0.1-0.5 Hz, so the head is never parked.
    sigma = _DRIFT_WIDTH_S * fps
    taps = np.arange(-round(3 * sigma), round(3 * sigma) + 1)
    gauss = np.exp(-0.5 * (taps / sigma) ** 2)
    noise = rng.standard_normal((n + len(taps) - 1, 3))
    drift = np.column_stack([np.convolve(noise[:, j], gauss, mode="valid") for j in range(3)])
    drift /= max(float(np.std(drift)), 1e-9)
    accent_scale = max(float(np.std(accents)), 1e-9)
    mix = accents / accent_scale + _DRIFT_WEIGHT * drift if np.any(accents) else drift
    if busy is not None:
        fade = np.hanning(max(3, round(_BUSY_FADE_S * fps)) + 2)[1:-1]
        half = (fade.size - 1) // 2
        smooth_busy = np.clip(np.convolve(busy, fade / fade.sum())[half : half + n], 0.0, 1.0)
        mix *= (1.0 - _SHIFT_DAMPING * smooth_busy)[:, None]
    mix -= mix.mean(axis=0)
    amplitude = np.array([style.head_pitch_deg, style.head_yaw_deg, style.head_roll_deg])
    scaled: NDArray[np.float64] = mix / np.maximum(mix.std(axis=0), 1e-9) * amplitude
    return scaled


def accent_salience(features: SpeechFeatures) -> NDArray[np.float64]:
    """Per-frame accent strength >= 0: loudness and pitch above the speaker's typical, in speech."""
    speech = np.asarray(features.speech, dtype=bool)
    if not np.any(speech):
        return np.zeros(features.n_frames)
    loud = np.log(np.maximum(np.asarray(features.rms, dtype=np.float64), 1e-5))
    loud_z = (loud - np.median(loud[speech])) / max(float(np.std(loud[speech])), 1e-6)
    f0 = np.asarray(features.f0_hz, dtype=np.float64)
    voiced = np.asarray(features.voiced, dtype=bool) & (f0 > 0)
    pitch_z = np.zeros_like(f0)
    if np.sum(voiced) > 2:
        semitones = 12.0 * np.log2(np.maximum(f0, 1.0))
        pitch_z[voiced] = (semitones[voiced] - np.median(semitones[voiced])) / max(float(np.std(semitones[voiced])), 1e-6)
    raw = (np.maximum(loud_z, 0.0) + 0.7 * np.maximum(pitch_z, 0.0)) * speech
    window = np.hanning(7)
    out: NDArray[np.float64] = np.convolve(raw, window / window.sum(), mode="same")
    return out


def _local_peaks(x: NDArray[np.float64], radius: int) -> NDArray[np.int64]:
    """Indices where ``x`` is the maximum of the window of +-radius frames around it (and > 0)."""
    n = x.size
    padded = np.concatenate([np.full(radius, -np.inf), x, np.full(radius, -np.inf)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * radius + 1)
    is_peak = (windows.max(axis=1) == x) & (x > 0)
    return np.flatnonzero(is_peak[:n]).astype(np.int64)


def limit_speed(head: NDArray[np.float64], fps: float, max_deg_s: float = MAX_HEAD_SPEED_DEG_S) -> NDArray[np.float64]:
    """Head angles (frames, 3) with no frame-to-frame step faster than ``max_deg_s`` (deg/s).

    A slew limiter on the vector of the three angles: where a step is too large it is shortened,
    and the head catches up over the next frames. A safety net: the motion is smooth by construction.
    """
    n = head.shape[0]
    if n < 2:
        return head.copy()
    limit = max_deg_s / fps
    steps = np.linalg.norm(np.diff(head, axis=0), axis=1)
    if float(steps.max()) <= limit:
        return head.copy()
    out = head.copy()
    rows = head.tolist()
    previous = rows[0]
    for t in range(1, n):
        target = rows[t]
        d = [target[0] - previous[0], target[1] - previous[1], target[2] - previous[2]]
        size = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]) ** 0.5
        if size > limit:
            k = limit / size
            previous = [previous[0] + d[0] * k, previous[1] + d[1] * k, previous[2] + d[2] * k]
        else:
            previous = target
        out[t] = previous
    return out
