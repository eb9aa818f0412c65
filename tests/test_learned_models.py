"""Loading model files: a missing, non-ONNX, foreign or wrong-version file is a clear error."""

from __future__ import annotations

import json
from pathlib import Path

import onnx
import pytest

from model_runtime.learned.features import feature_names
from model_runtime.learned.metadata import CONFIG_KEY, FORMAT_KEY, FORMAT_VERSION, VERSION_KEY, ModelConfig, ModelFileError
from model_runtime.learned.models import GENERATOR_FILE, STYLE_ENCODER_FILE, load_model, load_models
from model_runtime.learned.steering import StyleTargets

CONFIG = ModelConfig(audio_features=feature_names(40), hidden=16, layers=1, style_dim=8, latent_dim=2,
                     preset_statistics={"neutral": StyleTargets(saccade_rate_hz=1.5, mutual_gaze_share=0.6, aversion_rate_hz=0.3, head_std_pitch_deg=3.0,
                                                                head_std_yaw_deg=5.0, head_std_roll_deg=1.5, head_mover=0.55,
                                                                away_landings=((-8.0, 15.5), (4.0, -20.25)))})
MAJOR = FORMAT_VERSION.split(".", maxsplit=1)[0]


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from model_runtime.training.export import export_untrained

    out: Path = tmp_path_factory.mktemp("tiny")
    export_untrained(out, CONFIG)
    return out


def _with_metadata(source: Path, target: Path, **changes: str | None) -> Path:
    proto = onnx.load(str(source))
    props = {p.key: p.value for p in proto.metadata_props}
    for key, value in changes.items():
        real = {"format": FORMAT_KEY, "version": VERSION_KEY, "config": CONFIG_KEY}[key]
        if value is None:
            props.pop(real, None)
        else:
            props[real] = value
    del proto.metadata_props[:]
    for key, value in props.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(proto, str(target))
    return target


def test_round_trip_of_the_configuration(tiny_dir: Path) -> None:
    models = load_models(tiny_dir)
    assert models.config.chunk == CONFIG.chunk and models.config.audio_features == CONFIG.audio_features
    assert models.style_encoder.config.style_dim == 8
    assert models.config.preset_statistics == CONFIG.preset_statistics


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="no such model file"):
        load_model(tmp_path / "nope.onnx", "generator")


@pytest.mark.parametrize("content", [b"", b"hello, I am text\n", b"\x08\x01\x12\x04junk" * 20])
def test_not_onnx(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "model.onnx"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match="not a readable ONNX model") as info:
        load_model(path, "generator")
    assert str(path) in str(info.value)


def test_foreign_onnx_model(tiny_dir: Path, tmp_path: Path) -> None:
    path = _with_metadata(tiny_dir / GENERATOR_FILE, tmp_path / "foreign.onnx", format=None)
    with pytest.raises(ModelFileError, match="not one of this product's"):
        load_model(path, "generator")


def test_wrong_version(tiny_dir: Path, tmp_path: Path) -> None:
    older = f"{int(MAJOR) - 1}.0"
    path = _with_metadata(tiny_dir / GENERATOR_FILE, tmp_path / "older.onnx", version=older)
    with pytest.raises(ModelFileError, match=f"version '{older}'"):
        load_model(path, "generator")


def test_minor_version_is_accepted(tiny_dir: Path, tmp_path: Path) -> None:
    path = _with_metadata(tiny_dir / GENERATOR_FILE, tmp_path / "minor.onnx", version=f"{MAJOR}.7")
    assert load_model(path, "generator").config.hidden == 16


def test_wrong_role(tiny_dir: Path) -> None:
    with pytest.raises(ModelFileError, match="is a 'style_encoder' model, expected a 'generator'"):
        load_model(tiny_dir / STYLE_ENCODER_FILE, "generator")


@pytest.mark.parametrize("config", ["{not json", json.dumps({"fps": 25}), json.dumps({**json.loads(CONFIG.to_json()), "channels": ["a", "b"]})])
def test_bad_configuration(tiny_dir: Path, tmp_path: Path, config: str) -> None:
    path = _with_metadata(tiny_dir / GENERATOR_FILE, tmp_path / "bad.onnx", config=config)
    with pytest.raises(ModelFileError, match=r"configuration|channels"):
        load_model(path, "generator")


def test_shipped_models_load() -> None:
    models = load_models()
    assert models.config.fps == 25.0
    assert len(models.config.presets) >= 7
    size = sum(p.path.stat().st_size for p in (models.generator, models.style_encoder))
    assert size < 20_000_000
