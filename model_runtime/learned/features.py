"""The generator's per-frame audio input, built from the audio front end's speech features.

One row per frame, columns named by :func:`feature_names`: the log mel spectrum, then pitch,
voicing, loudness, onset strength and the speech/pause decision. Training and run time both build
it here, so the two can never disagree; the networks normalise it themselves.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from model_runtime.audio.types import SpeechFeatures

PROSODY = ("log2_f0_over_100hz", "voiced", "log10_rms", "onset", "speech")


def feature_names(n_mels: int) -> tuple[str, ...]:
    return tuple(f"logmel_{i}" for i in range(n_mels)) + PROSODY


def audio_matrix(features: SpeechFeatures) -> NDArray[np.float32]:
    """(frames, n_mels + 5) float32 in :func:`feature_names` order.

    Pitch is log2(f0 / 100 Hz) on voiced frames and 0 elsewhere (octaves around a typical voice);
    loudness is log10 of the RMS floored at 1e-5 (-100 dBFS) so silence stays finite.
    """
    f0 = np.asarray(features.f0_hz, dtype=np.float64)
    voiced = np.asarray(features.voiced, dtype=bool) & (f0 > 0)
    log_f0 = np.where(voiced, np.log2(np.where(voiced, f0, 100.0) / 100.0), 0.0)
    logmel = np.asarray(features.logmel)
    n_mels = logmel.shape[1]
    # Filled column by column in float32 (the same values as casting a float64 table), so long audio
    # costs one float32 table, not three float64 copies.
    matrix = np.empty((len(f0), n_mels + len(PROSODY)), dtype=np.float32)
    matrix[:, :n_mels] = logmel
    matrix[:, n_mels] = log_f0
    matrix[:, n_mels + 1] = voiced
    matrix[:, n_mels + 2] = np.log10(np.maximum(np.asarray(features.rms, dtype=np.float64), 1e-5))
    matrix[:, n_mels + 3] = features.onset
    matrix[:, n_mels + 4] = features.speech
    return np.nan_to_num(matrix, nan=0.0, posinf=0.0, neginf=0.0, copy=False)


def resample_features(features: SpeechFeatures, fps: float) -> SpeechFeatures:
    """``features`` at another frame rate: continuous columns interpolated linearly in time, flags by
    the nearest frame; used only when the caller computed features at a rate other than the model's."""
    if features.fps == fps:
        return features
    n = round(features.n_frames * fps / features.fps)
    source = np.arange(features.n_frames) / features.fps
    target = np.arange(n) / fps
    nearest = np.clip(np.rint(target * features.fps).astype(int), 0, max(0, features.n_frames - 1))

    def linear(column: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.interp(target, source, column) if features.n_frames else np.zeros(n)

    return SpeechFeatures(
        fps=fps,
        f0_hz=np.where(features.voiced[nearest], features.f0_hz[nearest], 0.0) if features.n_frames else np.zeros(n),
        voiced=features.voiced[nearest] if features.n_frames else np.zeros(n, dtype=bool),
        rms=linear(features.rms),
        onset=linear(features.onset),
        logmel=np.stack([linear(features.logmel[:, i]) for i in range(features.logmel.shape[1])], axis=1) if features.n_frames else np.zeros((n, features.logmel.shape[1])),
        speech=features.speech[nearest] if features.n_frames else np.zeros(n, dtype=bool),
        utterances=features.utterances,
    )
