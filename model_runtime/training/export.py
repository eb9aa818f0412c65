"""Write the networks to ONNX files that carry their metadata (see :mod:`model_runtime.learned.metadata`)."""

from __future__ import annotations

import warnings
from pathlib import Path

import onnx
import torch

from model_runtime.learned.gaze_events import GENERATOR_MOTION
from model_runtime.learned.metadata import ModelConfig, Role, metadata_props
from model_runtime.training.networks import Generator, StyleEncoder

OPSET = 18
GENERATOR_INPUTS = ("audio", "prev_motion", "style", "z", "h", "c", "first")
GENERATOR_OUTPUTS = ("head", "onset", "landing", "hop", "h_out", "c_out")


def generator_example(config: ModelConfig, batch: int = 1) -> tuple[torch.Tensor, ...]:
    """Inputs of one generator call, in :data:`GENERATOR_INPUTS` order."""
    return (
        torch.zeros(batch, config.audio_window, len(config.audio_features)),
        torch.zeros(batch, config.chunk, len(GENERATOR_MOTION)),
        torch.zeros(batch, config.style_dim),
        torch.zeros(batch, config.latent_dim),
        torch.zeros(config.layers, batch, config.hidden),
        torch.zeros(config.layers, batch, config.hidden),
        torch.ones(batch, 1),
    )


def _export(model: torch.nn.Module, args: tuple[torch.Tensor, ...], path: Path, *, inputs: tuple[str, ...], outputs: tuple[str, ...],
            dynamic: dict[str, dict[int, str]] | None, role: Role, config: ModelConfig) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    model.eval()
    with warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of torch.export; it is used because it
        # maps nn.LSTM straight to the ONNX LSTM operator and exports in a fraction of a second.
        warnings.simplefilter("ignore")
        torch.onnx.export(model, args, str(path), dynamo=False, input_names=list(inputs), output_names=list(outputs),
                          dynamic_axes=dynamic, opset_version=OPSET)
    proto = onnx.load(str(path))
    for key, value in metadata_props(role, config).items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))


def export_generator(model: Generator, config: ModelConfig, path: Path) -> None:
    _export(model, generator_example(config), path, inputs=GENERATOR_INPUTS, outputs=GENERATOR_OUTPUTS, dynamic=None, role="generator", config=config)


def export_style_encoder(model: StyleEncoder, config: ModelConfig, path: Path) -> None:
    example = (torch.zeros(2, config.style_window, len(config.channels)),)
    _export(model, example, path, inputs=("motion",), outputs=("style",), dynamic={"motion": {0: "batch"}, "style": {0: "batch"}}, role="style_encoder", config=config)


def export_untrained(out_dir: Path, config: ModelConfig, seed: int = 0) -> None:
    """Randomly initialised networks as ``out_dir/models/*.onnx``: lets the runtime be checked without training."""
    from model_runtime.learned.models import GENERATOR_FILE, STYLE_ENCODER_FILE

    torch.manual_seed(seed)
    export_generator(Generator(config), config, out_dir / GENERATOR_FILE)
    export_style_encoder(StyleEncoder(config), config, out_dir / STYLE_ENCODER_FILE)
