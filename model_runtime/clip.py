"""The motion clip: one take of head, eye and blink motion at a fixed frame rate."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from model_runtime.conventions import BLINKS, CHANNELS, MAX_FPS, MIN_FPS, snap_fps

__all__ = ["CHANNELS", "MotionClip"]


@dataclass(frozen=True)
class MotionClip:
    """A take: ``data`` is (frames, 9) float64 in :data:`CHANNELS` order.

    Angles are degrees (see :mod:`model_runtime.conventions` for signs), blinks 0 (open) to 1
    (closed). Frame ``i`` is at time ``i / fps`` seconds from the clip start.
    """

    fps: float
    data: NDArray[np.float64]
    meta: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        data = np.asarray(self.data, dtype=np.float64)
        if data.ndim != 2 or data.shape[1] != len(CHANNELS):
            raise ValueError(f"motion data must have shape (frames, {len(CHANNELS)}), got {data.shape}")
        if not math.isfinite(self.fps) or not MIN_FPS <= self.fps <= MAX_FPS:
            raise ValueError(f"frame rate must be between {MIN_FPS} and {MAX_FPS} fps, got {self.fps}")
        if not np.all(np.isfinite(data)):
            raise ValueError("motion data contains NaN or infinite values")
        data.setflags(write=False)
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "fps", snap_fps(float(self.fps)))

    @classmethod
    def from_channels(cls, fps: float, frames: int, meta: dict[str, str] | None = None, **channels: NDArray[np.float64]) -> MotionClip:
        """Build a clip from named channel arrays of length ``frames``; missing channels are zero."""
        unknown = set(channels) - set(CHANNELS)
        if unknown:
            raise ValueError(f"unknown channels {sorted(unknown)}; expected some of {list(CHANNELS)}")
        data = np.zeros((frames, len(CHANNELS)))
        for name, values in channels.items():
            data[:, CHANNELS.index(name)] = values
        return cls(fps=fps, data=data, meta=dict(meta or {}))

    @property
    def n_frames(self) -> int:
        return int(self.data.shape[0])

    @property
    def duration(self) -> float:
        """Length in seconds (frames / fps)."""
        return self.n_frames / self.fps

    @property
    def times(self) -> NDArray[np.float64]:
        """Time of each frame in seconds, shape (frames,)."""
        return np.arange(self.n_frames) / self.fps

    def channel(self, name: str) -> NDArray[np.float64]:
        """One channel by name, shape (frames,)."""
        try:
            return self.data[:, CHANNELS.index(name)]
        except ValueError:
            raise KeyError(f"unknown channel {name!r}; channels are {list(CHANNELS)}") from None

    @property
    def head(self) -> NDArray[np.float64]:
        """(frames, 3): pitch, yaw, roll in degrees."""
        return self.data[:, 0:3]

    @property
    def left_eye(self) -> NDArray[np.float64]:
        """(frames, 2): pitch, yaw in degrees, eye-in-head."""
        return self.data[:, 3:5]

    @property
    def right_eye(self) -> NDArray[np.float64]:
        """(frames, 2): pitch, yaw in degrees, eye-in-head."""
        return self.data[:, 5:7]

    @property
    def blinks(self) -> NDArray[np.float64]:
        """(frames, 2): left, right closure, 0 open to 1 closed."""
        return self.data[:, BLINKS]

    def with_data(self, data: NDArray[np.float64], **meta: str) -> MotionClip:
        """A copy with new data (same fps) and extra metadata."""
        return MotionClip(fps=self.fps, data=data, meta={**self.meta, **meta})

    def slice_seconds(self, start: float, end: float) -> MotionClip:
        """Frames whose time lies in [start, end) seconds."""
        first = max(0, math.ceil(start * self.fps - 1e-9))
        last = min(self.n_frames, math.ceil(end * self.fps - 1e-9))
        return self.with_data(self.data[first:max(first, last)])

    def resample(self, fps: float) -> MotionClip:
        """The clip at another frame rate, keeping saccades sharp and blinks visible.

        Angles are interpolated linearly between the two nearest source frames only, so a jump
        between two source frames stays within one target frame: no anti-alias filter, which would
        smear a saccade across many frames. When the rate goes down, blink closure takes the maximum
        over the source frames each target frame covers, so a short blink cannot fall between
        samples. The duration is kept: the new frame count is round(duration * fps).
        """
        from model_runtime.resample import resample_clip_data

        target = snap_fps(float(fps))
        if not math.isfinite(target) or not MIN_FPS <= target <= MAX_FPS:
            raise ValueError(f"frame rate must be between {MIN_FPS} and {MAX_FPS} fps, got {fps}")
        if target == self.fps:
            return self
        data = resample_clip_data(self.data, self.fps, target)
        return MotionClip(fps=target, data=data, meta=dict(self.meta))

    def summary(self) -> dict[str, object]:
        """Frames, rate, duration and per-channel min / max / mean / std, for ``info`` and reports."""
        channels: dict[str, dict[str, float]] = {}
        for i, name in enumerate(CHANNELS):
            column = self.data[:, i]
            empty = column.size == 0
            channels[name] = {
                "min": 0.0 if empty else float(column.min()),
                "max": 0.0 if empty else float(column.max()),
                "mean": 0.0 if empty else float(column.mean()),
                "std": 0.0 if empty else float(column.std()),
            }
        return {
            "frames": self.n_frames,
            "fps": self.fps,
            "duration_s": self.duration,
            "channels": channels,
            "meta": dict(self.meta),
        }
