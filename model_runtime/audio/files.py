"""Features of an audio file of any length, streamed from disk in bounded memory."""

from __future__ import annotations

from pathlib import Path

from model_runtime.audio.loading import iter_audio_blocks
from model_runtime.audio.segmentation import SegmentationSettings
from model_runtime.audio.streaming import StreamingFeatures, concatenate_features
from model_runtime.audio.types import SpeechFeatures


def features_from_file(path: str | Path, fps: float, n_mels: int = 40, segmentation: SegmentationSettings | None = None) -> SpeechFeatures:
    """compute_features(load_audio(path), fps) without holding the decoded audio: no length limit.

    Memory grows only with the output (about n_mels * 8 bytes per animation frame).
    """
    stream = StreamingFeatures(fps, n_mels, segmentation)
    parts = [stream.push(block) for block in iter_audio_blocks(path)]
    parts.append(stream.finish())
    return concatenate_features(parts, stream.fps, n_mels)
