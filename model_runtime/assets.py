"""Where the shipped assets (models, presets, voice) are, in a checkout and in an installed copy.

Looked up in order: the folder named by the environment variable ``GAZE_ASSETS``; ``_assets``
inside this package (how the extension and wheel ship them); ``assets/`` beside the package in a
source checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

from model_runtime.errors import GazeError

_PACKAGE = Path(__file__).resolve().parent


def assets_dir() -> Path:
    candidates = [Path(p) for p in (os.environ.get("GAZE_ASSETS"),) if p]
    candidates += [_PACKAGE / "_assets", _PACKAGE.parent / "assets"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise GazeError(f"the product's assets were not found; looked in {', '.join(map(str, candidates))}")


def asset_path(relative: str) -> Path:
    """Path of a shipped asset, e.g. ``asset_path("presets/calm_presenter.json")``; errors name it."""
    path = assets_dir() / relative
    if not path.exists():
        raise GazeError(f"{path}: shipped asset is missing; the installation may be incomplete")
    return path
