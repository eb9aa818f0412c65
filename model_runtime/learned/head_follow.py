"""The head following the gaze, added by the runtime to the generator's head.

Most of a performer's head motion around looks away is the head carrying the gaze: beyond an
eye-only range the head takes a share of each shift (the head-mover share, Freedman & Sparks 1997;
REFERENCES.md), arriving a few frames after the eyes. The generator predicts a chunk's head in the
same call that gives the chunk's gaze-event probabilities, before the gaze is sampled, so it cannot
take part in the chunk's own shifts. So the two are split:

- the generator predicts the *rest* of the head (speech-driven nods, turns, tilts and drift);
  training takes the follow below, times the performer's head-mover share, out of the takes' heads;
- the runtime adds ``mover`` x the follow of the world gaze it has just sampled, causally, frame
  by frame, so streamed and whole-file generation stay identical.

The follow is the procedural performer's (:func:`model_runtime.performer.head.follow_basis`): the
excess of the look-away spot over :data:`~model_runtime.performer.head.EYE_ONLY_RANGE_DEG` plus a
small share of the gaze itself, through the head's lagging step response. A look-away spot is
where a look away first comes to rest, kept while the gaze hops about it, so small saccades are
not followed in full. All angles are world gaze in the generator's layout (listener at 0, 0), in
degrees.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import NDArray

from model_runtime.clip import MotionClip
from model_runtime.conventions import ANGLE_CHANNELS
from model_runtime.evaluation.events import SACCADE_VELOCITY_DEG_S
from model_runtime.learned.gaze_events import GAZE, HEAD_PITCH_YAW, to_generator_motion
from model_runtime.performer.estimate import head_mover_share
from model_runtime.performer.gaze import AWAY_THRESHOLD_DEG
from model_runtime.performer.head import EYE_ONLY_RANGE_DEG, SMALL_SHIFT_SHARE, follow_kernel
from model_runtime.performer.style import PARAMETERS, PerformerStyle

# The share used when a style has none measured (the performer's default).
DEFAULT_HEAD_MOVER: Final[float] = PerformerStyle().head_mover
# A look away has landed on a new spot when it comes to rest this far (deg) from the last one.
NEW_SPOT_DEG: Final[float] = 6.0


class HeadFollow:
    """The follow (for a head-mover share of 1) of a world gaze track given chunk by chunk."""

    def __init__(self, fps: float) -> None:
        self._kernel = follow_kernel(fps)
        self._still_deg = SACCADE_VELOCITY_DEG_S / fps  # a frame moving less has come to rest
        self._history: NDArray[np.float64] | None = None  # the last len(kernel) - 1 targets (k - 1, 2)
        self._last: tuple[float, float] | None = None
        self._spot: tuple[float, float] | None = None

    def __call__(self, gaze: NDArray[np.floating]) -> NDArray[np.float64]:
        """(n, 2) head pitch, yaw degrees for the next ``gaze`` (n, 2) frames."""
        rows = np.asarray(gaze, dtype=np.float64).reshape(-1, 2)
        if rows.shape[0] == 0:
            return np.zeros((0, 2))
        spots = np.zeros_like(rows)
        last, spot = self._last, self._spot
        for i, (pitch, yaw) in enumerate(rows.tolist()):
            resting = last is None or math.hypot(pitch - last[0], yaw - last[1]) <= self._still_deg
            if math.hypot(pitch, yaw) <= AWAY_THRESHOLD_DEG:
                spot = None
            elif resting and (spot is None or math.hypot(pitch - spot[0], yaw - spot[1]) > NEW_SPOT_DEG):
                spot = (pitch, yaw)
            if spot is not None:
                spots[i] = spot
            last = (pitch, yaw)
        self._last, self._spot = last, spot
        norm = np.linalg.norm(spots, axis=1, keepdims=True)
        targets = spots * np.maximum(norm - EYE_ONLY_RANGE_DEG, 0.0) / np.maximum(norm, 1e-9) + SMALL_SHIFT_SHARE * rows
        taps = len(self._kernel)
        # The filter starts from its first value, as the performer's causal_filter does.
        history = np.repeat(targets[:1], taps - 1, axis=0) if self._history is None else self._history
        padded = np.vstack([history, targets])
        self._history = padded[len(padded) - (taps - 1) :] if taps > 1 else np.zeros((0, 2))
        return np.column_stack([np.convolve(padded[:, j], self._kernel, mode="valid") for j in range(2)])


def follow_track(gaze: NDArray[np.floating], fps: float) -> NDArray[np.float64]:
    """(frames, 2) the follow (share 1) of a whole world gaze track (frames, 2), as the runtime adds it."""
    return HeadFollow(fps)(gaze)


def rest_head(motion: NDArray[np.floating], mover: float, fps: float) -> NDArray[np.float32]:
    """Generator-layout motion (frames, 5: head, world gaze) with ``mover`` x the follow taken out of the head."""
    out = np.array(motion, dtype=np.float64)
    out[:, HEAD_PITCH_YAW] -= mover * follow_track(out[:, GAZE], fps)
    return out.astype(np.float32)


def measured_mover(clip: MotionClip) -> float | None:
    """The head-mover share of a take (:func:`~model_runtime.performer.estimate.head_mover_share`)
    within its documented range; None when its looks away are too small to show it."""
    share = head_mover_share(clip)
    if share is None or not math.isfinite(share):
        return None
    info = PARAMETERS["head_mover"]
    return min(info.high, max(info.low, share))


def rest_head_std(clip: MotionClip, mover: float) -> NDArray[np.float64]:
    """(3,) pitch, yaw, roll standard deviation (deg) of a clip's head without ``mover`` x its follow."""
    rest = rest_head(to_generator_motion(clip.data[:, : len(ANGLE_CHANNELS)]), mover, clip.fps)
    std: NDArray[np.float64] = rest[:, :3].astype(np.float64).std(axis=0)
    return std
