"""StyGazeTalk's style error: 1 - cos(s_ref, s_pred) of the learned style encoder's embeddings.

Each whole take is encoded with :func:`model_runtime.learned.style.style_from_take` (resampled to the
encoder's rate, windows of ``style_window`` frames half a window apart, normalised mean; a take
between 1 s and one window long is looped to fill it). The two takes are not cut to a common length:
a style belongs to the whole performance, not to frame-by-frame content.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from model_runtime.clip import MotionClip
from model_runtime.errors import GazeError

if TYPE_CHECKING:
    from model_runtime.learned.models import LoadedModel


@dataclass(frozen=True)
class StyleError:
    """``value`` in [0, 2] (0 = same style), NaN when undefined; ``note`` says why, or which fallback was used."""

    value: float
    note: str = ""


def style_error(clip: MotionClip, reference: MotionClip, encoder: LoadedModel) -> StyleError:
    """1 - cos(s_ref, s_clip) of the two takes' style vectors from ``encoder`` (a style_encoder network).

    A take under :data:`model_runtime.learned.style.MIN_REFERENCE_SECONDS` has no style: NaN with the reason.
    """
    from model_runtime.learned.style import style_from_take

    try:
        s_ref = style_from_take(encoder, reference, "reference take")
        s_pred = style_from_take(encoder, clip, "evaluated take")
    except GazeError as exc:
        return StyleError(float("nan"), f"style error undefined: {exc}")
    notes = [f"{s.source}: {s.note}" for s in (s_ref, s_pred) if s.note]
    a, b = s_ref.vector.astype(np.float64), s_pred.vector.astype(np.float64)
    # Renormalised in float64 (the vectors are unit length only to float32 precision), clipped for rounding.
    cosine = float(a @ b) / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-12)
    return StyleError(min(max(1.0 - cosine, 0.0), 2.0), "; ".join(notes))


@lru_cache(maxsize=2)
def _load_encoder(path: Path, mtime_ns: int) -> LoadedModel:
    """One session per file version (the modification time is in the key so a retrained file is re-read)."""
    from model_runtime.learned.models import load_model

    return load_model(path, "style_encoder")


def shipped_style_encoder() -> LoadedModel:
    """The shipped style encoder (``assets/models/style_encoder.onnx``); GazeError naming the file when it is missing."""
    from model_runtime.assets import assets_dir
    from model_runtime.learned.models import STYLE_ENCODER_FILE

    path = assets_dir() / STYLE_ENCODER_FILE
    # A missing file reaches load_model, which raises ModelFileError naming it (errors are not cached).
    return _load_encoder(path, path.stat().st_mtime_ns if path.is_file() else 0)


def shipped_style_error(clip: MotionClip, reference: MotionClip) -> StyleError:
    """:func:`style_error` with the shipped encoder; NaN with a note when there is none (an installation without models)."""
    try:
        encoder = shipped_style_encoder()
    except GazeError as exc:
        return StyleError(float("nan"), f"style error undefined: no style encoder ({exc})")
    return style_error(clip, reference, encoder)
