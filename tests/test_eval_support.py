"""Constructed inputs for the evaluation tests (no tests here): speech features from a mask, clips from channel arrays."""

from __future__ import annotations

import numpy as np

from model_runtime.audio.types import SpeechFeatures, Utterance
from model_runtime.intervals import runs


def features_from_mask(speech: np.ndarray, fps: float, onset: np.ndarray | None = None, rms: np.ndarray | None = None, f0: np.ndarray | None = None) -> SpeechFeatures:
    """SpeechFeatures whose utterances are the runs of ``speech``; other channels as given or plain."""
    speech = np.asarray(speech, dtype=bool)
    n = len(speech)
    utterances = tuple(Utterance(a / fps, b / fps) for a, b in runs(speech))
    return SpeechFeatures(
        fps=fps,
        f0_hz=np.where(speech, 120.0, 0.0) if f0 is None else f0,
        voiced=speech,
        rms=speech * 0.1 if rms is None else rms,
        onset=np.zeros(n) if onset is None else onset,
        logmel=np.zeros((n, 4)),
        speech=speech,
        utterances=utterances,
    )
