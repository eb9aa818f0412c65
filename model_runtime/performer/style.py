"""The performer's style: a small vector of interpretable parameters, each with a documented range.

Every parameter is a quantity that can be measured back from a clip (see :mod:`.estimate`), so a
style can be read from a reference take and a generated clip shows the style it was asked for.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Final

from model_runtime.bounded import read_json
from model_runtime.errors import GazeError
from model_runtime.outputs import atomic_output


@dataclass(frozen=True)
class ParameterInfo:
    """Range and meaning of one style parameter; ``share`` marks values that are fractions 0-1."""

    low: float
    high: float
    unit: str
    meaning: str
    share: bool = False


PARAMETERS: Final[dict[str, ParameterInfo]] = {
    "mutual_gaze_speaking": ParameterInfo(0.1, 0.95, "share", "share of speaking time spent looking at the listener", True),
    "mutual_gaze_pausing": ParameterInfo(0.1, 0.98, "share", "share of pause time spent looking at the listener", True),
    "aversion_duration_s": ParameterInfo(0.4, 4.0, "s", "mean length of one look away"),
    "aversion_amplitude_deg": ParameterInfo(8.0, 35.0, "deg", "mean angle between the listener and where a look away lands"),
    "aversion_up_share": ParameterInfo(0.0, 1.0, "share", "share of looks away that go up rather than down", True),
    "aversion_left_share": ParameterInfo(0.0, 1.0, "share", "share of looks away that go to the character's left rather than right", True),
    "saccade_rate_hz": ParameterInfo(0.2, 4.0, "1/s", "small saccades per second within a fixation area (around the listener's face or a look-away spot)"),
    "saccade_amplitude_deg": ParameterInfo(0.4, 4.0, "deg", "mean amplitude of those small saccades"),
    "head_pitch_deg": ParameterInfo(0.0, 12.0, "deg", "standard deviation of speech-driven head pitch (nods, accents, drift)"),
    "head_yaw_deg": ParameterInfo(0.0, 12.0, "deg", "standard deviation of speech-driven head yaw (turns, drift)"),
    "head_roll_deg": ParameterInfo(0.0, 8.0, "deg", "standard deviation of speech-driven head roll (tilts, drift)"),
    "head_mover": ParameterInfo(0.0, 1.0, "share", "share of a gaze shift beyond the eye-only range that the head takes", True),
    "blink_rate_per_min": ParameterInfo(2.0, 60.0, "1/min", "blinks per minute"),
    "blink_duration_s": ParameterInfo(0.12, 0.6, "s", "mean length of a blink, start of closing to end of opening"),
    "partial_blink_share": ParameterInfo(0.0, 0.9, "share", "share of blinks that do not close the lid fully", True),
}


@dataclass(frozen=True)
class PerformerStyle:
    """Style of a performance; field meanings, units and ranges are in :data:`PARAMETERS`.

    Construct with any values; :meth:`clamped` (which the engine applies) brings each into range
    and :meth:`validate` raises :class:`GazeError` naming what is out of range.
    """

    mutual_gaze_speaking: float = 0.66
    mutual_gaze_pausing: float = 0.84
    aversion_duration_s: float = 0.7
    aversion_amplitude_deg: float = 9.5
    aversion_up_share: float = 0.4
    aversion_left_share: float = 0.5
    saccade_rate_hz: float = 2.2
    saccade_amplitude_deg: float = 3.2
    head_pitch_deg: float = 3.3
    head_yaw_deg: float = 3.8
    head_roll_deg: float = 2.6
    head_mover: float = 0.4
    blink_rate_per_min: float = 36.0
    blink_duration_s: float = 0.24
    partial_blink_share: float = 0.45

    def problems(self) -> list[str]:
        """One message per parameter that is not a finite number inside its range."""
        out = []
        for name, info in PARAMETERS.items():
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                out.append(f"{name} must be a finite number, got {value!r}")
            elif not info.low <= value <= info.high:
                out.append(f"{name} = {value:g} is outside {info.low:g}..{info.high:g} {info.unit} ({info.meaning})")
        return out

    def validate(self, source: str = "style") -> PerformerStyle:
        problems = self.problems()
        if problems:
            raise GazeError(f"{source}: " + "; ".join(problems))
        return self

    def clamped(self) -> PerformerStyle:
        """Every parameter moved into its range; a non-finite value becomes the default."""
        default = PerformerStyle()
        values: dict[str, float] = {}
        for name, info in PARAMETERS.items():
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                value = getattr(default, name)
            values[name] = min(info.high, max(info.low, float(value)))
        return replace(self, **values)

    def to_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, values: Mapping[str, object], source: str = "style") -> PerformerStyle:
        """Style from a mapping; unknown keys and non-numbers raise GazeError, missing keys keep defaults."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise GazeError(f"{source}: unknown style parameters {unknown}; known: {sorted(known)}")
        numbers: dict[str, float] = {}
        for key, value in values.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise GazeError(f"{source}: {key} must be a number, got {value!r}")
            numbers[key] = float(value)
        return cls(**numbers)

    def save(self, path: str | Path) -> None:
        """Write a STYLE.json, whole or not at all."""
        path = Path(path)
        problems = [f"{name} is {value!r}" for name, value in self.to_dict().items() if not math.isfinite(value)]
        if problems:
            raise GazeError(f"{path}: cannot write a style with values that are not finite numbers ({'; '.join(problems)})")
        with atomic_output(path) as temporary:
            temporary.write_text(json.dumps({"parameters": self.to_dict()}, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> PerformerStyle:
        """Read a STYLE.json (``{"parameters": {...}}``, as :meth:`save` writes, or a flat mapping)."""
        path = Path(path)
        return cls.from_json(read_json(path), str(path))

    @classmethod
    def from_json(cls, raw: object, source: str) -> PerformerStyle:
        """Style from a parsed STYLE.json document (see :meth:`load`)."""
        if isinstance(raw, dict) and isinstance(raw.get("parameters"), dict):
            raw = raw["parameters"]
        if not isinstance(raw, dict):
            raise GazeError(f"{source}: expected a JSON object of style parameters")
        return cls.from_dict(raw, source=source)
