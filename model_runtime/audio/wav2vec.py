"""Optional learned speech features: wav2vec 2.0 hidden states, one row per animation frame.

Needs ``transformers`` and ``torch`` (not runtime dependencies: imported only when called) and a
model directory on disk (``save_pretrained`` layout). Nothing is ever downloaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from model_runtime.audio.streaming import n_frames_for
from model_runtime.audio.types import SAMPLE_RATE, AudioSignal
from model_runtime.errors import AudioError, GazeError


def wav2vec2_features(signal: AudioSignal, model_dir: str | Path, fps: float, layer: int = -1) -> NDArray[np.float32]:
    """Hidden states of ``layer`` (default the last) as (ceil(duration * fps), hidden_size) float32.

    Row i is the model's output linearly interpolated to time i / fps (the model itself runs at
    16 kHz / product of its convolution strides, 50 Hz for the published models).
    """
    model_dir = Path(model_dir)
    if not (model_dir / "config.json").is_file():
        raise GazeError(f"{model_dir}: not a wav2vec 2.0 model directory (expected config.json and weights saved by save_pretrained)")
    if signal.sample_rate != SAMPLE_RATE:
        raise AudioError(signal.path, f"expected {SAMPLE_RATE} Hz audio, got {signal.sample_rate} Hz")
    try:
        import torch
        from transformers import Wav2Vec2Model
    except ImportError as exc:
        raise GazeError(f"wav2vec 2.0 features need the optional packages torch and transformers ({exc})") from exc
    try:
        model: Any = Wav2Vec2Model.from_pretrained(str(model_dir), local_files_only=True)
    except Exception as exc:  # transformers raises many kinds (pickled weights refused, bad configs ...)
        raise GazeError(f"{model_dir}: could not load a wav2vec 2.0 model ({type(exc).__name__}: {str(exc)[:300]})") from None
    model.eval()
    samples = signal.samples.astype(np.float32)
    # The published models were trained on zero-mean, unit-variance waveforms.
    samples = (samples - samples.mean()) / np.sqrt(samples.var() + 1e-7)
    config = model.config
    receptive, stride = 1, 1
    for kernel, step in zip(config.conv_kernel, config.conv_stride, strict=True):
        receptive += (kernel - 1) * stride
        stride *= step
    if len(samples) < receptive:
        samples = np.pad(samples, (0, receptive - len(samples)))
    with torch.inference_mode():
        output = model(torch.from_numpy(samples)[None, :], output_hidden_states=True)
    hidden = output.hidden_states[layer][0].numpy().astype(np.float64)
    # Output row j covers input samples [j * stride, j * stride + receptive): centred at this time.
    times = (np.arange(hidden.shape[0]) * stride + (receptive - 1) / 2) / SAMPLE_RATE
    frame_times = np.arange(n_frames_for(len(signal.samples), fps)) / fps
    position = np.interp(frame_times, times, np.arange(len(times)))
    lower = np.floor(position).astype(np.int64)
    upper = np.minimum(lower + 1, len(times) - 1)
    weight = (position - lower)[:, None]
    return np.asarray(hidden[lower] * (1.0 - weight) + hidden[upper] * weight, dtype=np.float32)
