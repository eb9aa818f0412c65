"""Named styles shipped as ``assets/presets/<name>.json`` (``{"name", "description", "parameters"}``)."""

from __future__ import annotations

import json
from typing import Final

from model_runtime.assets import asset_path
from model_runtime.errors import GazeError
from model_runtime.performer.style import PerformerStyle

PRESET_NAMES: Final[tuple[str, ...]] = (
    "neutral",
    "calm_presenter",
    "animated_storyteller",
    "shy_averted",
    "intense_direct",
    "thoughtful",
    "energetic_listener",
)
DEFAULT_PRESET: Final[str] = "neutral"


def load_preset(name: str) -> PerformerStyle:
    """The style of a shipped preset; an unknown name raises GazeError listing the presets."""
    if name not in PRESET_NAMES:
        raise GazeError(f"unknown style preset {name!r}; presets: {', '.join(PRESET_NAMES)}")
    path = asset_path(f"presets/{name}.json")
    return PerformerStyle.load(path).validate(str(path))


def preset_description(name: str) -> str:
    """One line saying what the preset looks like, for menus."""
    load_preset(name)
    raw = json.loads(asset_path(f"presets/{name}.json").read_text(encoding="utf-8"))
    return str(raw.get("description", ""))
