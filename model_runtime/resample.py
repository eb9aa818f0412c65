"""Frame-rate conversion of motion data that keeps saccades sharp (see MotionClip.resample)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from model_runtime.conventions import BLINKS, LEFT_EYE, RIGHT_EYE

# An eye angle change larger than this between two source frames is a saccade (degrees).
SACCADE_STEP_DEG = 2.0


def resample_clip_data(data: NDArray[np.float64], source_fps: float, target_fps: float) -> NDArray[np.float64]:
    """(frames, channels) at ``source_fps`` to (round(frames * target / source), channels)."""
    n_source = data.shape[0]
    n_target = round(n_source * target_fps / source_fps)
    if n_source == 0 or n_target == 0:
        return np.zeros((0, data.shape[1]))
    # Position of each target frame on the source frame axis.
    position = np.arange(n_target) * (source_fps / target_fps)
    position = np.clip(position, 0.0, n_source - 1)
    lower = np.floor(position).astype(np.int64)
    upper = np.minimum(lower + 1, n_source - 1)
    weight = (position - lower)[:, None]
    out = data[lower] * (1.0 - weight) + data[upper] * weight
    if target_fps > source_fps:
        # Upsampling would ramp a saccade across several new frames: keep it a single jump, at the
        # middle of its source interval, and interpolate fixations linearly as before.
        for eye in (LEFT_EYE, RIGHT_EYE):
            jump = np.abs(data[upper, eye] - data[lower, eye]).max(axis=1) > SACCADE_STEP_DEG
            nearest = np.where(weight[:, 0] < 0.5, lower, upper)
            out[jump, eye] = data[nearest[jump], eye]
    if target_fps < source_fps:
        out[:, BLINKS] = _window_max(data[:, BLINKS], position, source_fps / target_fps)
    result: NDArray[np.float64] = out
    return result


def _window_max(values: NDArray[np.float64], position: NDArray[np.float64], width: float) -> NDArray[np.float64]:
    """Max of ``values`` over source frames within +-width/2 of each position (at least one frame)."""
    n = values.shape[0]
    start = np.clip(np.ceil(position - width / 2.0).astype(np.int64), 0, n - 1)
    stop = np.clip(np.floor(position + width / 2.0).astype(np.int64), 0, n - 1)
    stop = np.maximum(stop, start)
    longest = int((stop - start).max()) + 1
    offsets = np.arange(longest)
    index = np.minimum(start[:, None] + offsets[None, :], stop[:, None])
    result: NDArray[np.float64] = np.asarray(values[index].max(axis=1), dtype=np.float64)
    return result
