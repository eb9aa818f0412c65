"""What the audio front end hands to the generators: decoded audio and per-frame speech features."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

# Every loaded signal is resampled to this rate (Hz) before features are computed.
SAMPLE_RATE = 16000


@dataclass(frozen=True)
class AudioSignal:
    """Mono audio: ``samples`` (n,) float32 in [-1, 1] at ``sample_rate`` Hz; ``path`` for messages."""

    samples: NDArray[np.float32]
    sample_rate: int
    path: str = "<memory>"

    @property
    def duration(self) -> float:
        """Seconds."""
        return len(self.samples) / self.sample_rate


@dataclass(frozen=True)
class Utterance:
    """A stretch of speech between pauses, in seconds from the start of the audio."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class SpeechFeatures:
    """Speech features, one row per animation frame: row ``i`` describes time ``i / fps`` seconds.

    Shapes and units (frames = n_frames):
      f0_hz   (frames,) float64  fundamental frequency in Hz, 0 where unvoiced
      voiced  (frames,) bool     voicing decision
      rms     (frames,) float64  RMS energy of the signal around the frame, linear full-scale (0-1)
      onset   (frames,) float64  onset strength (spectral flux), >= 0, in units of log-mel flux
      logmel  (frames, n_mels) float64  log mel spectrum (natural log of power), n_mels mel bands
      speech  (frames,) bool     speech (True) or pause (False)
    ``utterances`` lists the speech segments in seconds.
    """

    fps: float
    f0_hz: NDArray[np.float64]
    voiced: NDArray[np.bool_]
    rms: NDArray[np.float64]
    onset: NDArray[np.float64]
    logmel: NDArray[np.float64]
    speech: NDArray[np.bool_]
    utterances: tuple[Utterance, ...]

    @property
    def n_frames(self) -> int:
        return int(self.f0_hz.shape[0])

    @property
    def duration(self) -> float:
        return self.n_frames / self.fps
