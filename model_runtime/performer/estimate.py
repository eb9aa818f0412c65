"""Style estimation: measure each style parameter back from any motion clip (e.g. a recorded take).

Each parameter is measured the way the engine produces it: world gaze (head rotation applied to
the mean of the two eyes) gives looks away and small saccades; the head is split into the part
that follows looks away and the speech-driven rest; blinks are counted and measured one by one.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import NDArray

from model_runtime.audio.types import SpeechFeatures
from model_runtime.clip import MotionClip
from model_runtime.conventions import angles_from_direction, direction_from_angles, head_matrix
from model_runtime.errors import GazeError
from model_runtime.intervals import runs
from model_runtime.performer.blinks import AREA_PER_DEPTH_SECOND
from model_runtime.performer.engine import EYE_SEPARATION_M
from model_runtime.performer.gaze import AWAY_THRESHOLD_DEG, MICROSACCADE_MAX_DEG
from model_runtime.performer.head import follow_basis
from model_runtime.performer.style import PerformerStyle

# Shortest take a style can be read from (s): below it there are too few looks away and blinks.
MIN_DURATION_S: Final[float] = 10.0
# Shortest take whose blinks alone are measured (s): a blink or two at the human 10-30 a minute.
MIN_BLINK_SECONDS: Final[float] = 5.0
# Lids whose closure never ranges over more than this hold no blinks.
_MOVING_LIDS: Final[float] = 0.1
# World gaze moving more than this per frame (deg) is a saccade; between saccades it is still
# (in generated clips; see the noise-adaptive threshold in estimate_style).
_SACCADE_STEP_DEG: Final[float] = 0.03
_BLINK_ONSET: Final[float] = 0.05
_FULL_BLINK: Final[float] = 0.9
# Largest standard error of a measured head-mover share that is still reported.
_MOVER_MAX_ERROR: Final[float] = 0.12


def world_gaze(clip: MotionClip) -> NDArray[np.float64]:
    """(frames, 2) pitch, yaw in degrees of the gaze in the character frame.

    The gaze runs from between the eyes to where the two eyes' lines of sight meet (closest
    approach), so vergence does not leak into it while the head turns; where the lines do not
    converge in front of the eyes, the mean of the two eye directions is used.
    """
    left = direction_from_angles(clip.left_eye[:, 0], clip.left_eye[:, 1])
    right = direction_from_angles(clip.right_eye[:, 0], clip.right_eye[:, 1])
    half = np.array([EYE_SEPARATION_M / 2.0, 0.0, 0.0])
    b = np.sum(left * right, axis=1)
    d, e = left @ (2.0 * half), right @ (2.0 * half)
    denom = 1.0 - b**2
    ok = denom > 1e-9
    safe = np.where(ok, denom, 1.0)
    s_left, s_right = (b * e - d) / safe, (e - b * d) / safe
    ok &= (s_left > 0.0) & (s_right > 0.0)
    point = (half + s_left[:, None] * left - half + s_right[:, None] * right) / 2.0
    in_head = np.where(ok[:, None], point, left + right)
    rotation = head_matrix(clip.head[:, 0], clip.head[:, 1], clip.head[:, 2])
    pitch, yaw = angles_from_direction(np.einsum("nij,nj->ni", rotation, in_head))
    return np.column_stack([pitch, yaw])


def listener_direction(gaze: NDArray[np.float64]) -> NDArray[np.float64]:
    """The direction the gaze keeps coming back to: the densest 4-deg patch, refined by its median."""
    bins = np.arange(-60.0, 61.0, 1.0)
    counts, _, _ = np.histogram2d(gaze[:, 0], gaze[:, 1], bins=(bins, bins))
    box = np.cumsum(np.cumsum(np.pad(counts, ((1, 0), (1, 0))), axis=0), axis=1)
    w = 4
    density = box[w:, w:] - box[:-w, w:] - box[w:, :-w] + box[:-w, :-w]
    i, j = np.unravel_index(int(np.argmax(density)), density.shape)
    centre = np.array([bins[i] + w / 2.0, bins[j] + w / 2.0])
    near = np.linalg.norm(gaze - centre, axis=1) < AWAY_THRESHOLD_DEG
    return np.median(gaze[near], axis=0) if np.any(near) else centre


def estimate_style(clip: MotionClip, features: SpeechFeatures | None = None, source: str = "reference take") -> PerformerStyle:
    """The style of ``clip``; ``features`` (of its audio) separate speaking from pausing.

    Without features both mutual-gaze shares are the clip's overall share. A take shorter than
    :data:`MIN_DURATION_S` or without any eye or blink motion raises GazeError naming ``source``.
    Values are clamped into each parameter's range.
    """
    if clip.duration < MIN_DURATION_S:
        raise GazeError(f"{source}: is {clip.duration:.1f} s long; estimating a style needs at least {MIN_DURATION_S:g} s")
    eye_motion = float(np.max(np.ptp(clip.data[:, 3:7], axis=0)))
    if eye_motion < 0.5 and _lid_range(clip) < _MOVING_LIDS:
        raise GazeError(f"{source}: the eyes and lids do not move (all eye and blink channels constant); no style can be read from it")
    default = PerformerStyle()
    fps = clip.fps
    gaze, offset, away, aversions, spot = _looks_away(clip)
    values: dict[str, float] = {}

    overall = float(np.mean(~away))
    speaking = _speech_mask(features, clip.n_frames, fps)
    values["mutual_gaze_speaking"] = float(np.mean(~away[speaking])) if np.any(speaking) else overall
    values["mutual_gaze_pausing"] = float(np.mean(~away[~speaking])) if np.any(~speaking) else overall

    inner = [(s, e) for s, e in aversions if s > 0 and e < clip.n_frames] or aversions
    if aversions:
        centres = np.array([spot[s] for s, _ in aversions])
        values["aversion_duration_s"] = float(np.mean([e - s for s, e in inner])) / fps
        values["aversion_amplitude_deg"] = float(np.mean(np.linalg.norm(centres, axis=1)))
        values["aversion_up_share"] = float(np.mean(centres[:, 0] > 0))
        values["aversion_left_share"] = float(np.mean(centres[:, 1] > 0))

    steps = np.linalg.norm(np.diff(gaze, axis=0), axis=1)
    # Recorded takes jitter between saccades: the threshold rises above their typical step.
    threshold = max(_SACCADE_STEP_DEG, 4.0 * float(np.median(steps)) if steps.size else 0.0)
    # Microsaccades and small refixations (up to MICROSACCADE_MAX_DEG) are fixational, not the style's saccades.
    saccades = [(s, e) for s, e in runs(steps > threshold) if away[s] == away[e] and float(np.linalg.norm(gaze[e] - gaze[s])) > MICROSACCADE_MAX_DEG]
    if saccades:
        amplitudes = [float(np.linalg.norm(gaze[e] - gaze[s])) for s, e in saccades]
        values["saccade_rate_hz"] = len(saccades) / clip.duration
        values["saccade_amplitude_deg"] = float(np.mean(amplitudes))

    head = clip.head - clip.head.mean(axis=0)
    basis = follow_basis(spot, offset, fps)
    mover = _head_mover(head[:, :2], basis, aversions, fps)
    values["head_mover"] = default.head_mover if mover is None else mover
    basis = basis - basis.mean(axis=0)
    rest = head.copy()
    rest[:, :2] -= max(0.0, min(1.0, values["head_mover"])) * basis
    values["head_pitch_deg"], values["head_yaw_deg"], values["head_roll_deg"] = (float(v) for v in rest.std(axis=0))

    values.update(_blink_style(clip))
    return PerformerStyle.from_dict(values, source=source).clamped()


def _looks_away(clip: MotionClip) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_], list[tuple[int, int]], NDArray[np.float64]]:
    """World gaze (frames, 2), its offset from the listener (frames, 2), the frames looking away,
    the looks away as (start, end) runs, and the spot each look away centres on (frames, 2; 0 on
    the listener); all degrees."""
    gaze = world_gaze(clip)
    offset = gaze - listener_direction(gaze)
    away = np.linalg.norm(offset, axis=1) > AWAY_THRESHOLD_DEG
    aversions = runs(away)
    spot = np.zeros_like(offset)
    for s, e in aversions:
        spot[s:e] = np.median(offset[s:e], axis=0)
    return gaze, offset, away, aversions, spot


def head_mover_share(clip: MotionClip) -> float | None:
    """The head-mover share (:data:`~model_runtime.performer.style.PARAMETERS`) of any clip, as
    :func:`estimate_style` measures it; None when its looks away are too small to show it."""
    if clip.n_frames < 2:
        return None
    _, offset, _, aversions, spot = _looks_away(clip)
    return _head_mover(clip.head[:, :2] - clip.head[:, :2].mean(axis=0), follow_basis(spot, offset, clip.fps), aversions, clip.fps)


def _head_mover(head: NDArray[np.float64], basis: NDArray[np.float64], runs: list[tuple[int, int]], fps: float) -> float | None:
    """Head share beyond the eye-only range: head change over each look-away start and end
    regressed on the change the engine's head-follow model predicts for a share of 1.

    Short windows around the shifts keep most of the slow speech-driven head motion out.
    None when the looks away are too small to show the head's share.
    """
    n = head.shape[0]
    settle = round(0.7 * fps)
    edges = np.array([e for run in runs for e in run if e >= 1 and e + settle < n], dtype=np.int64)
    if edges.size == 0:
        return None
    moved = head[edges + settle] - head[edges - 1]
    predicted = basis[edges + settle] - basis[edges - 1]
    energy = float(np.sum(predicted**2))
    if energy < 1.0:
        return None
    share = float(np.sum(moved * predicted) / energy)
    # Looks away mostly within the eye-only range barely move the head: where the speech-driven
    # motion swamps the share (its standard error over 0.12), the clip does not show it.
    residual = moved - share * predicted
    if math.sqrt(float(np.sum(residual**2)) / max(1, residual.size - 1) / energy) > _MOVER_MAX_ERROR:
        return None
    return share


def with_blinks_of(clip: MotionClip, style: PerformerStyle, source: str = "reference take") -> PerformerStyle:
    """``style`` with the blink rate, length and partial share of ``clip``: for a take too short
    for :func:`estimate_style` (its looks away are too few) but at least :data:`MIN_BLINK_SECONDS`
    long. Raises GazeError naming ``source`` when it is shorter or its lids do not move."""
    if clip.duration < MIN_BLINK_SECONDS:
        raise GazeError(f"{source}: is {clip.duration:.1f} s long; measuring its blinks needs at least {MIN_BLINK_SECONDS:g} s")
    if _lid_range(clip) < _MOVING_LIDS:
        raise GazeError(f"{source}: its eyelid channels do not move, so it holds no blinks to measure")
    values = {**style.to_dict(), **_blink_style(clip)}
    return PerformerStyle.from_dict(values, source=source).clamped()


def _lid_range(clip: MotionClip) -> float:
    """The largest range (0-1 closure) either lid channel covers; 0 for an empty clip."""
    return float(np.max(np.ptp(clip.blinks, axis=0))) if clip.n_frames else 0.0


def _blink_style(clip: MotionClip) -> dict[str, float]:
    """Rate, mean duration and partial share of the blinks of the more closed lid track."""
    lid = raw = np.max(clip.blinks, axis=1)
    # The lids' resting closure (slow, a few hundredths) is taken off: the lowest over +-0.4 s.
    reach = max(1, round(0.4 * clip.fps))
    padded = np.concatenate([np.full(reach, lid[0]), lid, np.full(reach, lid[-1])]) if lid.size else lid
    rest = np.lib.stride_tricks.sliding_window_view(padded, 2 * reach + 1).min(axis=1) if lid.size else lid
    lid = np.clip(lid - rest, 0.0, 1.0)
    blinks = [(s, e) for s, e in runs(lid > _BLINK_ONSET) if np.max(lid[s:e]) > 0.2]
    if not blinks:
        return {"blink_rate_per_min": 0.0}
    # Each run covers the blink minus its near-zero tails; widen by a frame each side to get them.
    peaks = np.array([np.max(lid[s:e]) for s, e in blinks])
    areas = np.array([np.sum(lid[max(0, s - 1) : e + 1]) / clip.fps for s, e in blinks])
    return {
        "blink_rate_per_min": 60.0 * len(blinks) / clip.duration,
        "blink_duration_s": float(np.mean(areas / (peaks * AREA_PER_DEPTH_SECOND))),
        # Depth as the lid shows it: a full blink closes it whatever its rest.
        "partial_blink_share": float(np.mean([np.max(raw[s:e]) < _FULL_BLINK for s, e in blinks])),
    }


def _speech_mask(features: SpeechFeatures | None, n: int, fps: float) -> NDArray[np.bool_]:
    """Speech (True) per clip frame, taken from features at any frame rate; all True without them."""
    if features is None:
        return np.ones(n, dtype=bool)
    index = np.minimum(np.floor(np.arange(n) / fps * features.fps + 1e-9).astype(np.int64), max(features.n_frames - 1, 0))
    speech = np.asarray(features.speech, dtype=bool)
    return speech[index] if speech.size else np.zeros(n, dtype=bool)

