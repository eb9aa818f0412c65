"""Loading the two ONNX networks with checks that name the file and what was wrong."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import onnxruntime as ort

from model_runtime.assets import assets_dir
from model_runtime.learned.metadata import ModelConfig, ModelFileError, Role, check_metadata

GENERATOR_FILE = "models/gaze_generator.onnx"
STYLE_ENCODER_FILE = "models/style_encoder.onnx"


@dataclass(frozen=True)
class LoadedModel:
    """An onnxruntime session and the configuration read from its file."""

    path: Path
    session: ort.InferenceSession
    config: ModelConfig


def _options() -> ort.SessionOptions:
    options = ort.SessionOptions()
    # Small networks run one frame-chunk at a time: extra threads cost more than they give.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return options


def load_model(path: str | Path, role: Role) -> LoadedModel:
    """Open ``path`` as a ``role`` network; a missing, non-ONNX or foreign file raises ModelFileError."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(path, f"no such model file (expected the {role} ONNX file)")
    try:
        session = ort.InferenceSession(str(path), sess_options=_options(), providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types for unreadable files
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelFileError(path, f"is not a readable ONNX model ({first_line[:200]})") from None
    config = check_metadata(dict(session.get_modelmeta().custom_metadata_map), role, path)
    return LoadedModel(path=path, session=session, config=config)


@dataclass(frozen=True)
class LearnedModels:
    """Both networks; they must agree on the frame rate, channels and style size."""

    generator: LoadedModel
    style_encoder: LoadedModel

    def __post_init__(self) -> None:
        g, s = self.generator.config, self.style_encoder.config
        if (g.fps, g.channels, g.style_dim) != (s.fps, s.channels, s.style_dim):
            raise ModelFileError(self.style_encoder.path, f"does not match the generator {self.generator.path} (frame rate, channels or style size differ)")

    @property
    def config(self) -> ModelConfig:
        return self.generator.config


def load_models(directory: str | Path | None = None) -> LearnedModels:
    """The generator and style encoder from ``directory`` (holding ``models/...``), default the shipped ones."""
    base = Path(directory) if directory is not None else assets_dir()
    return LearnedModels(load_model(base / GENERATOR_FILE, "generator"), load_model(base / STYLE_ENCODER_FILE, "style_encoder"))


@lru_cache(maxsize=1)
def shipped_models() -> LearnedModels:
    """The shipped networks, loaded once per process."""
    return load_models()
