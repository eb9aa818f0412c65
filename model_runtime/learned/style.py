"""Style vectors: from a reference take through the style encoder, or a shipped preset's.

A reference take is resampled to the model's frame rate and cut into windows of
``style_window`` frames (4 s by default) half a window apart; the style is the normalised mean of
their vectors. **Fallback for a short take**: a take shorter than one window but at least
:data:`MIN_REFERENCE_SECONDS` long is looped (played again from its start) until it fills one
window, and the result says so in ``note``; a shorter one is an error, since half a second of motion
holds no style worth copying.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from model_runtime.clip import MotionClip
from model_runtime.conventions import ANGLE_CHANNELS, CHANNELS
from model_runtime.errors import GazeError
from model_runtime.learned.head_follow import DEFAULT_HEAD_MOVER
from model_runtime.learned.models import LoadedModel
from model_runtime.learned.steering import StyleTargets, follow_share
from model_runtime.performer.presets import DEFAULT_PRESET

MIN_REFERENCE_SECONDS = 1.0
MAX_WINDOWS = 64  # enough to average out content; bounds the cost for an hour-long take


@dataclass(frozen=True)
class StyleVector:
    """A unit style vector (style_dim,), the statistics the renderer steers to when the style has
    them (:mod:`.steering`), and, when a fallback was used, why. ``head_mover`` is the share of
    gaze shifts the head follows (:mod:`.head_follow`), steered or not."""

    vector: NDArray[np.float32]
    source: str
    note: str = ""
    targets: StyleTargets | None = None
    head_mover: float = DEFAULT_HEAD_MOVER

    @classmethod
    def measured(cls, vector: NDArray[np.float32], source: str, targets: StyleTargets | None, note: str = "") -> StyleVector:
        """A style with its statistics, following the gaze with their head-mover share."""
        return cls(vector=vector, source=source, note=note, targets=targets, head_mover=follow_share(targets))


def _windows(angles: NDArray[np.float32], window: int) -> NDArray[np.float32]:
    starts = np.arange(0, angles.shape[0] - window + 1, max(1, window // 2))
    if starts.size > MAX_WINDOWS:
        starts = starts[np.linspace(0, starts.size - 1, MAX_WINDOWS).round().astype(int)]
    return np.stack([angles[s : s + window] for s in starts])


def encode_motion(model: LoadedModel, angles: NDArray[np.floating]) -> NDArray[np.float32]:
    """Style vectors (windows, style_dim) of motion windows (windows, style_window, 7) in degrees."""
    out: NDArray[np.float32] = model.session.run(None, {"motion": np.asarray(angles, dtype=np.float32)})[0]
    return out


def style_from_take(model: LoadedModel, clip: MotionClip, source: str = "reference take") -> StyleVector:
    """The style of a reference take (see the module doc for the short-take fallback)."""
    config = model.config
    if clip.duration < MIN_REFERENCE_SECONDS:
        raise GazeError(f"{source}: reference take is {clip.duration:.2f} s long; a style needs at least {MIN_REFERENCE_SECONDS:.0f} s of motion "
                        f"({config.style_window / config.fps:.0f} s or more for full quality)")
    resampled = clip.resample(config.fps)
    angles = resampled.data[:, [CHANNELS.index(name) for name in ANGLE_CHANNELS]].astype(np.float32)
    note = ""
    if angles.shape[0] < config.style_window:
        repeats = -(-config.style_window // angles.shape[0])
        angles = np.tile(angles, (repeats, 1))[: config.style_window]
        note = (f"reference take is {clip.duration:.1f} s, shorter than the style window of {config.style_window / config.fps:.1f} s; "
                "it was looped to fill the window, so its style is less certain")
    vectors = encode_motion(model, _windows(angles, config.style_window))
    mean = vectors.mean(axis=0)
    return StyleVector.measured((mean / max(float(np.linalg.norm(mean)), 1e-8)).astype(np.float32), source, StyleTargets.of_clip(resampled), note)


def style_from_preset(model: LoadedModel, name: str) -> StyleVector:
    """A shipped preset's style vector, stored in the model file at training time."""
    presets = model.config.presets
    if name not in presets:
        known = ", ".join(sorted(presets)) or "none"
        raise GazeError(f"{model.path}: no style stored for preset {name!r}; this model knows: {known}")
    return StyleVector.measured(np.asarray(presets[name], dtype=np.float32), f"preset {name}", model.config.preset_statistics.get(name))


def default_style(model: LoadedModel) -> StyleVector:
    """The style used when no style is given (the neutral preset's vector), unsteered, its head
    following the gaze with the neutral preset's head-mover share."""
    vector = np.asarray(model.config.default_style, dtype=np.float32)
    if vector.shape != (model.config.style_dim,):
        vector = np.zeros(model.config.style_dim, dtype=np.float32)
    neutral = model.config.preset_statistics.get(DEFAULT_PRESET)
    return StyleVector(vector=vector, source=f"default (the {DEFAULT_PRESET} preset)", head_mover=follow_share(neutral))
