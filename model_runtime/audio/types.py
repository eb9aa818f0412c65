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

    There are ceil(duration * fps) rows. Shapes and units (frames = n_frames; docs/audio.md has more):
      f0_hz   (frames,) float64  fundamental frequency in Hz (60-500 searched), 0 where unvoiced
      voiced  (frames,) bool     voicing decision
      rms     (frames,) float64  RMS of the signal over 40 ms around the frame (Hann-weighted),
                                 linear full scale (0-1; a full-scale sine reads 0.707)
      onset   (frames,) float64  onset strength (spectral flux), >= 0: mean over mel bands of the
                                 rise in ln band power per 10 ms, the largest within the frame's interval
      logmel  (frames, n_mels) float64  ln of mel-band power; the bands together sum to the mean square
      speech  (frames,) bool     speech (True) or pause (False); True exactly inside ``utterances``
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
