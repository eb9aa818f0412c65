"""Audio front end: loading, frame-synchronous speech features, speech segmentation.

Importing this package needs numpy, soundfile and soxr only; wav2vec 2.0 features (transformers,
torch) load their libraries when called.
"""

from model_runtime.audio.features import compute_features
from model_runtime.audio.files import features_from_file
from model_runtime.audio.loading import MAX_SECONDS, iter_audio_blocks, load_audio, signal_from_array
from model_runtime.audio.segmentation import SegmentationSettings, Segmenter, segment_speech
from model_runtime.audio.streaming import StreamingFeatures, n_frames_for
from model_runtime.audio.types import SAMPLE_RATE, AudioSignal, SpeechFeatures, Utterance
from model_runtime.audio.wav2vec import wav2vec2_features

__all__ = [
    "MAX_SECONDS",
    "SAMPLE_RATE",
    "AudioSignal",
    "SegmentationSettings",
    "Segmenter",
    "SpeechFeatures",
    "StreamingFeatures",
    "Utterance",
    "compute_features",
    "features_from_file",
    "iter_audio_blocks",
    "load_audio",
    "n_frames_for",
    "segment_speech",
    "signal_from_array",
    "wav2vec2_features",
]
