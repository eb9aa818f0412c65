"""Optional wav2vec 2.0 features from a local model directory (a tiny random model made here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from model_runtime.audio import SAMPLE_RATE, AudioSignal, n_frames_for, wav2vec2_features
from model_runtime.errors import GazeError

# Importing torch and transformers takes several seconds on its own.
needs_model = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    config = transformers.Wav2Vec2Config(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        conv_dim=(16, 16, 16),
        conv_stride=(5, 4, 2),
        conv_kernel=(10, 8, 4),
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
        vocab_size=8,
    )
    folder = tmp_path_factory.mktemp("tiny_wav2vec2")
    transformers.Wav2Vec2Model(config).save_pretrained(folder)
    return folder


@needs_model
def test_one_row_per_frame(tiny_model: Path):
    t = np.arange(round(1.7 * SAMPLE_RATE)) / SAMPLE_RATE
    signal = AudioSignal((0.3 * np.sin(2 * np.pi * 150 * t) * (t > 0.8)).astype(np.float32), SAMPLE_RATE)
    rows = wav2vec2_features(signal, tiny_model, 30)
    assert rows.shape == (n_frames_for(len(signal.samples), 30), 32) == (51, 32)
    assert rows.dtype == np.float32 and np.all(np.isfinite(rows))
    # Loaded weights, not a fresh random init: the same call gives the same numbers...
    np.testing.assert_array_equal(rows, wav2vec2_features(signal, tiny_model, 30))
    # ...and the features follow the audio in time (silence first, a tone after 0.8 s).
    assert np.linalg.norm(rows[5] - rows[15]) < np.linalg.norm(rows[5] - rows[40])
    # Another frame rate resamples the same model output.
    assert wav2vec2_features(signal, tiny_model, 60).shape == (102, 32)


@needs_model
def test_short_audio_and_other_layers(tiny_model: Path):
    signal = AudioSignal(np.zeros(100, np.float32), SAMPLE_RATE)
    assert wav2vec2_features(signal, tiny_model, 24, layer=0).shape == (1, 32)


@needs_model
def test_cli_stores_wav2vec2_rows(tiny_model: Path, tmp_path: Path):
    import soundfile

    from tests.test_cli import cli

    audio = tmp_path / "tone.wav"
    soundfile.write(audio, 0.3 * np.sin(2 * np.pi * 150 * np.arange(24000) / 24000), 24000)
    out = tmp_path / "f.npz"
    result = cli("features", audio, "--fps", "25", "-o", out, "--wav2vec2", tiny_model)
    assert result.returncode == 0, result.stderr
    data = np.load(out)
    assert data["wav2vec2"].shape == (25, 32) and data["f0_hz"].shape == (25,)


def test_missing_model_directory_is_a_clear_error(tmp_path: Path):
    with pytest.raises(GazeError, match=r"not a wav2vec 2\.0 model directory"):
        wav2vec2_features(AudioSignal(np.zeros(16000, np.float32), SAMPLE_RATE), tmp_path / "nothing", 30)


def test_importing_the_runtime_does_not_import_torch():
    code = "import sys, model_runtime, model_runtime.audio; sys.exit('torch' in sys.modules or 'transformers' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
