"""compute_features: the whole-signal entry point of the front end."""

from __future__ import annotations

import numpy as np

from model_runtime.audio.segmentation import SegmentationSettings
from model_runtime.audio.streaming import StreamingFeatures, concatenate_features
from model_runtime.audio.types import SAMPLE_RATE, AudioSignal, SpeechFeatures
from model_runtime.errors import AudioError

# Samples fed to the stream at a time: bounds the frames held per push (the spectra are
# bounded by the analysis's own batches, analysis.BATCH_FRAMES).
BLOCK_SAMPLES = 10 * SAMPLE_RATE


def compute_features(signal: AudioSignal, fps: float, n_mels: int = 40, segmentation: SegmentationSettings | None = None) -> SpeechFeatures:
    """Speech features with one row per animation frame: ceil(duration * fps) rows, row i at i / fps s.

    ``signal`` must be mono at 16 kHz (what load_audio and signal_from_array return).
    See SpeechFeatures for shapes and units.
    """
    if signal.sample_rate != SAMPLE_RATE:
        raise AudioError(signal.path, f"expected {SAMPLE_RATE} Hz audio (use load_audio or signal_from_array), got {signal.sample_rate} Hz")
    if signal.samples.ndim != 1:
        raise AudioError(signal.path, f"expected mono samples shaped (n,), got {signal.samples.shape}")
    bad = ~np.isfinite(signal.samples)
    if bad.any():
        raise AudioError(signal.path, f"contains NaN or infinite samples (first at {np.argmax(bad) / SAMPLE_RATE:.3f} s)")
    stream = StreamingFeatures(fps, n_mels, segmentation)
    parts = [stream.push(signal.samples[start : start + BLOCK_SAMPLES]) for start in range(0, len(signal.samples), BLOCK_SAMPLES)]
    parts.append(stream.finish())
    return concatenate_features(parts, stream.fps, n_mels)
