"""Named styles shipped as ``assets/presets/<name>.json`` (``{"name", "description", "parameters"}``).

The registry reads them once, at import. A damaged preset file is skipped with a warning and the
others stay available: one bad file must not stop the add-on from enabling.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from model_runtime.assets import asset_path
from model_runtime.bounded import read_json
from model_runtime.errors import GazeError
from model_runtime.performer.style import PerformerStyle

SHIPPED_PRESETS: Final[tuple[str, ...]] = (
    "neutral",
    "calm_presenter",
    "animated_storyteller",
    "shy_averted",
    "intense_direct",
    "thoughtful",
    "energetic_listener",
)
DEFAULT_PRESET: Final[str] = "neutral"


@dataclass(frozen=True)
class Preset:
    style: PerformerStyle
    description: str


def read_preset(path: Path) -> Preset:
    """One preset file; a damaged one raises GazeError naming it."""
    raw = read_json(path)
    style = PerformerStyle.from_json(raw, str(path)).validate(str(path))
    description = raw.get("description", "") if isinstance(raw, dict) else ""
    return Preset(style, description if isinstance(description, str) else "")


def _registry() -> dict[str, Preset]:
    presets: dict[str, Preset] = {}
    for name in SHIPPED_PRESETS:
        try:
            presets[name] = read_preset(asset_path(f"presets/{name}.json"))
        except GazeError as exc:
            warnings.warn(f"style preset {name!r} skipped: {exc}", stacklevel=2)
    return presets


_PRESETS: Final[dict[str, Preset]] = _registry()
# The presets that loaded, in menu order.
PRESET_NAMES: Final[tuple[str, ...]] = tuple(_PRESETS)


def load_preset(name: str) -> PerformerStyle:
    """The style of a shipped preset; an unknown or damaged one raises GazeError listing the presets."""
    if name not in _PRESETS:
        damaged = " (its file is damaged)" if name in SHIPPED_PRESETS else ""
        raise GazeError(f"unknown style preset {name!r}{damaged}; presets: {', '.join(PRESET_NAMES)}")
    return _PRESETS[name].style


def preset_description(name: str) -> str:
    """One line saying what the preset looks like, for menus ("" for a name that is not loaded)."""
    preset = _PRESETS.get(name)
    return preset.description if preset is not None else ""
