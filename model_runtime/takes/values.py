"""The values a take may hold, checked on read and on write (ranges in :mod:`model_runtime.limits`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from model_runtime.conventions import BLINKS, CHANNELS, HEAD, LEFT_EYE, MAX_FPS, MIN_FPS, RIGHT_EYE
from model_runtime.errors import TakeFormatError
from model_runtime.limits import BLINK_TOLERANCE, EYE_RANGE_DEG, HEAD_RANGE_DEG, MAX_TAKE_FRAMES, MAX_TAKE_SECONDS

_RANGES: tuple[tuple[slice, float, float, str], ...] = (
    (HEAD, -HEAD_RANGE_DEG, HEAD_RANGE_DEG, "deg"),
    (LEFT_EYE, -EYE_RANGE_DEG, EYE_RANGE_DEG, "deg"),
    (RIGHT_EYE, -EYE_RANGE_DEG, EYE_RANGE_DEG, "deg"),
    (BLINKS, -BLINK_TOLERANCE, 1.0 + BLINK_TOLERANCE, "closure"),
)


def checked_motion(path: Path, data: NDArray[np.float64], where: Callable[[int], str] = lambda frame: f"frame {frame}") -> NDArray[np.float64]:
    """(frames, 9) motion with finite angles in range and blinks in 0-1 (capture noise clipped).

    ``where(frame)`` says where a frame is in the file (a line, a frame index) for the message.
    """
    for columns, low, high, unit in _RANGES:
        block = data[:, columns]
        bad = ~np.isfinite(block) | (block < low) | (block > high)
        if bad.any():
            frame, offset = (int(i) for i in np.argwhere(bad)[0])
            channel = CHANNELS[columns.start + offset]
            value = float(block[frame, offset])
            expected = "0-1" if unit == "closure" else f"within +-{high:g} deg"
            raise TakeFormatError(path, f"{channel} is {value:g}; expected a finite value {expected}", where(frame))
    data[:, BLINKS] = np.clip(data[:, BLINKS], 0.0, 1.0)
    return data


def check_length(path: Path, frames: int, fps: float, where: str | None = None) -> None:
    """A take of ``frames`` at ``fps`` is within the rate and length limits."""
    if not math.isfinite(fps) or not MIN_FPS <= fps <= MAX_FPS:
        raise TakeFormatError(path, f"frame rate {fps:g} is outside {MIN_FPS:g}-{MAX_FPS:g} fps", where)
    if frames > MAX_TAKE_FRAMES or frames / fps > MAX_TAKE_SECONDS:
        raise TakeFormatError(path, f"has {frames} frames at {fps:g} fps; expected a take of at most {MAX_TAKE_SECONDS:g} s and {MAX_TAKE_FRAMES} frames", where)
