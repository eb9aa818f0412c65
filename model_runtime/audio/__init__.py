"""Audio front end: loading, frame-synchronous speech features, speech segmentation."""

from model_runtime.audio.types import SAMPLE_RATE, AudioSignal, SpeechFeatures, Utterance

__all__ = ["SAMPLE_RATE", "AudioSignal", "SpeechFeatures", "Utterance"]
