"""Audio augmentation for the synthetic corpus: pitch, tempo, noise and level.

Pitch and tempo go through SoX (a Debian package the build installs) because its WSOLA time
stretch and pitch shift keep speech natural, which a plain resample (changing both at once) does not.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from model_runtime.audio.types import SAMPLE_RATE, AudioSignal
from model_runtime.errors import GazeError


@dataclass(frozen=True)
class Augmentation:
    """pitch in semitones, tempo as a speed factor (1 = unchanged), noise SNR in dB (None = none), level gain in dB."""

    pitch_semitones: float = 0.0
    tempo: float = 1.0
    noise_snr_db: float | None = None
    gain_db: float = 0.0

    @classmethod
    def sample(cls, rng: np.random.Generator) -> Augmentation:
        return cls(
            pitch_semitones=float(rng.uniform(-3.0, 3.0)),
            tempo=float(rng.uniform(0.85, 1.15)),
            noise_snr_db=float(rng.uniform(15.0, 40.0)) if rng.random() < 0.6 else None,
            gain_db=float(rng.uniform(-12.0, 3.0)),
        )

    def describe(self) -> str:
        noise = "none" if self.noise_snr_db is None else f"{self.noise_snr_db:.0f} dB SNR"
        return f"pitch {self.pitch_semitones:+.1f} st, tempo x{self.tempo:.2f}, noise {noise}, level {self.gain_db:+.1f} dB"


def augment(signal: AudioSignal, augmentation: Augmentation, rng: np.random.Generator) -> AudioSignal:
    """A new 16 kHz signal with ``augmentation`` applied (SoX for pitch and tempo, numpy for the rest)."""
    samples = signal.samples.astype(np.float32)
    if augmentation.pitch_semitones != 0.0 or augmentation.tempo != 1.0:
        sox = shutil.which("sox")
        if sox is None:
            raise GazeError("the training corpus needs the `sox` program for pitch and tempo augmentation (Debian package sox)")
        command = [sox, "-q", "-t", "f32", "-r", str(SAMPLE_RATE), "-c", "1", "-", "-t", "f32", "-",
                   "pitch", f"{100.0 * augmentation.pitch_semitones:.1f}", "tempo", "-s", f"{augmentation.tempo:.4f}"]
        result = subprocess.run(command, input=samples.tobytes(), capture_output=True, check=False)
        if result.returncode != 0:
            raise GazeError(f"{signal.path}: sox failed on augmentation ({result.stderr.decode(errors='replace').strip()})")
        samples = np.frombuffer(result.stdout, dtype=np.float32).copy()
    if augmentation.noise_snr_db is not None and samples.size:
        power = float(np.mean(samples.astype(np.float64) ** 2)) + 1e-12
        noise_power = power / 10.0 ** (augmentation.noise_snr_db / 10.0)
        samples = samples + rng.normal(0.0, np.sqrt(noise_power), samples.shape).astype(np.float32)
    samples = samples * np.float32(10.0 ** (augmentation.gain_db / 20.0))
    clipped: NDArray[np.float32] = np.clip(samples, -1.0, 1.0).astype(np.float32)
    return AudioSignal(samples=clipped, sample_rate=SAMPLE_RATE, path=f"{signal.path} [{augmentation.describe()}]")
