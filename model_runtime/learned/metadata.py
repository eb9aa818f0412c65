"""What every exported network carries in its ONNX metadata, and the checks on it.

Each model file holds string key/value pairs (``metadata_props``): :data:`FORMAT_KEY` names the
format, :data:`VERSION_KEY` its version (a runtime reads only files of its own major version),
:data:`ROLE_KEY` which network it is, and :data:`CONFIG_KEY` a JSON object with everything the
runtime needs to feed it: frame rate, audio feature names, channel names, window sizes, style and
latent dimensions, and the style vectors of the shipped presets.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from model_runtime.bounded import parse_json
from model_runtime.conventions import ANGLE_CHANNELS, MAX_FPS, MIN_FPS
from model_runtime.errors import FileFormatError, GazeError
from model_runtime.learned.gaze_events import GazeGrid
from model_runtime.learned.steering import StyleTargets
from model_runtime.limits import MAX_MODEL_SIZE

FORMAT = "gaze-motion-learned"
FORMAT_VERSION = "4.0"
FORMAT_KEY = "gaze.format"
VERSION_KEY = "gaze.format_version"
ROLE_KEY = "gaze.role"
CONFIG_KEY = "gaze.config"

Role = Literal["generator", "style_encoder"]


class ModelFileError(GazeError):
    """A model file is missing, not ONNX, or carries metadata this runtime cannot use."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


@dataclass(frozen=True)
class ModelConfig:
    """The shape of the learned engine, shared by both networks and stored in each file.

    fps              frame rate the networks run at (frames per second)
    audio_features   names of the per-frame audio feature columns (:mod:`.features`)
    channels         names of the motion channels the networks read and write (degrees)
    chunk            N: frames the generator predicts per call
    lookahead        L: audio frames after the chunk it may see; its audio window is M = N + L
    latent_dim       size of the per-chunk latent sampled from N(0, I) at inference
    temperature      scale of that latent at inference (chosen on the validation split after training)
    onset_gain       factor on the saccade-onset probabilities at inference (chosen with the temperature)
    hidden, layers   LSTM size
    style_window     frames of motion the style encoder reads (default 4 s)
    style_dim        size of the (unit-length) style vector
    gaze_grid_deg    the world-gaze landing grid: bin size, pitch and yaw half-ranges (degrees)
    presets          style vectors of the shipped presets, by preset name
    preset_statistics  the statistics each preset's renderings have, by preset name, for steering
                     and the head's follow of the gaze (:class:`~model_runtime.learned.steering.StyleTargets`;
                     format 4 generators predict the head's rest, :mod:`~model_runtime.learned.head_follow`)
    default_style    the style vector used when no style is given
    trained          free-form facts about the training run (data, steps), for the model card
    """

    fps: float = 25.0
    audio_features: tuple[str, ...] = ()
    channels: tuple[str, ...] = ANGLE_CHANNELS
    chunk: int = 10
    lookahead: int = 12
    latent_dim: int = 8
    temperature: float = 1.0
    onset_gain: float = 1.0
    hidden: int = 128
    layers: int = 2
    style_window: int = 100
    style_dim: int = 64
    gaze_grid_deg: tuple[float, float, float] = (3.0, 24.0, 48.0)
    presets: dict[str, tuple[float, ...]] = field(default_factory=dict)
    preset_statistics: dict[str, StyleTargets] = field(default_factory=dict)
    default_style: tuple[float, ...] = ()
    trained: dict[str, str] = field(default_factory=dict)

    @cached_property
    def grid(self) -> GazeGrid:
        # Cached: the grid caches its bin centres, and the renderer asks for them every chunk.
        return GazeGrid(*self.gaze_grid_deg)

    @property
    def audio_window(self) -> int:
        """M: audio frames the generator reads per call."""
        return self.chunk + self.lookahead

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "fps": self.fps,
            "audio_features": list(self.audio_features),
            "channels": list(self.channels),
            "chunk": self.chunk,
            "lookahead": self.lookahead,
            "audio_window": self.audio_window,
            "latent_dim": self.latent_dim,
            "temperature": self.temperature,
            "onset_gain": self.onset_gain,
            "hidden": self.hidden,
            "layers": self.layers,
            "style_window": self.style_window,
            "style_dim": self.style_dim,
            "gaze_grid_deg": list(self.gaze_grid_deg),
            "presets": {name: list(vector) for name, vector in self.presets.items()},
            "preset_statistics": {name: targets.to_dict() for name, targets in self.preset_statistics.items()},
            "default_style": list(self.default_style),
            "trained": dict(self.trained),
        }
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str, path: str | Path) -> ModelConfig:
        try:
            data = parse_json(text, Path(path))
            config = cls(
                fps=float(data["fps"]),
                audio_features=tuple(str(n) for n in data["audio_features"]),
                channels=tuple(str(n) for n in data["channels"]),
                chunk=int(data["chunk"]),
                lookahead=int(data["lookahead"]),
                latent_dim=int(data["latent_dim"]),
                temperature=float(data.get("temperature", 1.0)),
                onset_gain=float(data.get("onset_gain", 1.0)),
                hidden=int(data["hidden"]),
                layers=int(data["layers"]),
                style_window=int(data["style_window"]),
                style_dim=int(data["style_dim"]),
                gaze_grid_deg=_grid(data["gaze_grid_deg"]),
                presets={str(k): tuple(float(x) for x in v) for k, v in data.get("presets", {}).items()},
                preset_statistics={str(k): StyleTargets.from_dict(v) for k, v in data.get("preset_statistics", {}).items()},
                default_style=tuple(float(x) for x in data.get("default_style", [])),
                trained={str(k): str(v) for k, v in data.get("trained", {}).items()},
            )
            config.check()
        except FileFormatError as exc:
            raise ModelFileError(path, f"metadata {CONFIG_KEY!r} {exc.problem}") from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ModelFileError(path, f"metadata {CONFIG_KEY!r} is not a valid model configuration ({str(exc)[:200]})") from None
        return config

    def check(self) -> None:
        """ValueError naming the first size or rate that no network could have."""
        if not math.isfinite(self.fps) or not MIN_FPS <= self.fps <= MAX_FPS:
            raise ValueError(f"fps {self.fps:g} is outside {MIN_FPS:g}-{MAX_FPS:g}")
        for name in ("chunk", "latent_dim", "hidden", "layers", "style_window", "style_dim"):
            if not 1 <= getattr(self, name) <= MAX_MODEL_SIZE:
                raise ValueError(f"{name} {getattr(self, name)} is outside 1-{MAX_MODEL_SIZE}")
        if not 0 <= self.lookahead <= MAX_MODEL_SIZE:
            raise ValueError(f"lookahead {self.lookahead} is outside 0-{MAX_MODEL_SIZE}")
        for name in ("temperature", "onset_gain"):
            if not math.isfinite(getattr(self, name)) or getattr(self, name) < 0:
                raise ValueError(f"{name} {getattr(self, name)} is not a finite number of at least 0")
        vectors = {f"preset {name!r}": vector for name, vector in self.presets.items()}
        if self.default_style:
            vectors["default_style"] = self.default_style
        for what, vector in vectors.items():
            if len(vector) != self.style_dim:
                raise ValueError(f"{what} has {len(vector)} values; expected style_dim = {self.style_dim}")


def _grid(values: Any) -> tuple[float, float, float]:
    step, pitch, yaw = (float(v) for v in values)
    if min(step, pitch, yaw) <= 0:
        raise ValueError(f"gaze_grid_deg must be three positive numbers, got {values}")
    return step, pitch, yaw


def metadata_props(role: Role, config: ModelConfig) -> dict[str, str]:
    """The key/value pairs an exporter writes into a model file."""
    return {FORMAT_KEY: FORMAT, VERSION_KEY: FORMAT_VERSION, ROLE_KEY: role, CONFIG_KEY: config.to_json()}


def check_metadata(props: dict[str, str], role: Role, path: str | Path) -> ModelConfig:
    """The configuration in ``props`` if they describe a ``role`` network this runtime can run."""
    if props.get(FORMAT_KEY) != FORMAT:
        found = props.get(FORMAT_KEY)
        raise ModelFileError(
            path,
            f"is an ONNX model but not one of this product's ({FORMAT_KEY} is {found!r}, expected {FORMAT!r}); "
            "use the shipped models or train new ones with `python build.py train`",
        )
    version = props.get(VERSION_KEY, "")
    if version.split(".")[0] != FORMAT_VERSION.split(".", maxsplit=1)[0]:
        raise ModelFileError(path, f"model format version {version!r} cannot be read by this runtime (it reads {FORMAT_VERSION.split('.', maxsplit=1)[0]}.x)")
    if props.get(ROLE_KEY) != role:
        raise ModelFileError(path, f"is a {props.get(ROLE_KEY)!r} model, expected a {role!r} model")
    if CONFIG_KEY not in props:
        raise ModelFileError(path, f"metadata {CONFIG_KEY!r} is missing")
    config = ModelConfig.from_json(props[CONFIG_KEY], path)
    if config.channels != ANGLE_CHANNELS:
        raise ModelFileError(path, f"model channels {list(config.channels)} differ from this runtime's {list(ANGLE_CHANNELS)}")
    return config
