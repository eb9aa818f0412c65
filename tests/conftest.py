"""Shared fixtures: paths to ../shared and small clips with known content."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from model_runtime.clip import MotionClip

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GAZE_SHARED", ROOT.parent / "shared"))


def random_clip(fps: float = 30.0, seconds: float = 4.0, seed: int = 0) -> MotionClip:
    """Piecewise-constant gaze (saccades), smooth head, a few blinks: all channels non-trivial."""
    rng = np.random.default_rng(seed)
    n = round(seconds * fps)
    t = np.arange(n) / fps
    steps = np.repeat(rng.normal(0, 8, size=(n // 10 + 1, 2)), 10, axis=0)[:n]
    head = np.stack([3 * np.sin(t), 5 * np.sin(0.7 * t + 1), 2 * np.sin(0.3 * t)], axis=1)
    blink = np.clip(np.sin(2 * np.pi * 0.5 * t) * 3 - 2, 0, 1)
    data = np.column_stack([head, steps, steps + np.array([0.0, 2.0]), blink, blink])
    return MotionClip(fps=fps, data=data, meta={"made_by": "test"})


@pytest.fixture
def clip() -> MotionClip:
    return random_clip()


@pytest.fixture
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared data not found at {SHARED}")
    return SHARED
