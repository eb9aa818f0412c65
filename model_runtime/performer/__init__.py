"""The physiological performer: procedural gaze, head and blinks from speech, in a named style.

Submodules: :mod:`.style` (the parameters), :mod:`.presets`, :mod:`.gaze`, :mod:`.head`,
:mod:`.blinks` (the blink sampler every engine uses), :mod:`.engine` (puts them together) and
:mod:`.estimate` (a style from any clip).
"""

from model_runtime.performer.presets import DEFAULT_PRESET, PRESET_NAMES, load_preset
from model_runtime.performer.style import PARAMETERS, PerformerStyle

__all__ = ["DEFAULT_PRESET", "PARAMETERS", "PRESET_NAMES", "PerformerStyle", "load_preset"]
