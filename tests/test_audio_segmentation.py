"""Speech segmentation stays put when noise, a music bed or breaths are added to real speech.

Speech: usgov_jfk_1.flac from ../shared/data/speech (public domain; see its MANIFEST.csv).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model_runtime.audio import SAMPLE_RATE, AudioSignal, SpeechFeatures, compute_features, load_audio

FPS = 100.0


@pytest.fixture
def speech(shared: Path) -> np.ndarray:
    return load_audio(shared / "data" / "speech" / "usgov_jfk_1.flac").samples.astype(np.float64)


def features(samples: np.ndarray) -> SpeechFeatures:
    return compute_features(AudioSignal(np.clip(samples, -1, 1).astype(np.float32), SAMPLE_RATE), FPS)


def speech_level(samples: np.ndarray, mask: np.ndarray) -> float:
    frames = np.minimum((np.arange(len(samples)) / SAMPLE_RATE * FPS).astype(int), len(mask) - 1)
    return float(np.sqrt(np.mean(samples[mask[frames]] ** 2)))


def bandpass_noise(n: int, low: float, high: float, seed: int) -> np.ndarray:
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    hz = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    spectrum[(hz < low) | (hz > high)] = 0
    noise = np.fft.irfft(spectrum, n)
    return noise / np.sqrt(np.mean(noise**2))


def music_bed(n: int) -> np.ndarray:
    """Sustained chords (three harmonic notes, changing every 0.8 s) with a soft beat: unit RMS."""
    t = np.arange(n) / SAMPLE_RATE
    roots = np.array([220.0, 196.0, 174.6, 246.9])[(t // 0.8).astype(int) % 4]
    phase = 2 * np.pi * np.cumsum(roots) / SAMPLE_RATE
    chord = sum(np.sin(k * ratio * phase) / k for ratio in (1.0, 1.26, 1.5) for k in range(1, 5))
    beat = 1 + 0.5 * np.exp(-((t % 0.5) / 0.05))
    bed = chord * beat
    return bed / np.sqrt(np.mean(bed**2))


def agreement(a: SpeechFeatures, b: SpeechFeatures) -> float:
    return float(np.mean(a.speech == b.speech))


def test_clean_speech_has_pauses(speech: np.ndarray):
    clean = features(speech)
    assert len(clean.utterances) >= 3
    assert 0.5 < clean.speech.mean() < 0.95


@pytest.mark.parametrize(("snr_db", "min_agreement", "max_extra"), [(20.0, 0.85, 1), (10.0, 0.85, 2)])
def test_robust_to_background_noise(speech: np.ndarray, snr_db: float, min_agreement: float, max_extra: int):
    clean = features(speech)
    level = speech_level(speech, clean.speech)
    noise = bandpass_noise(len(speech), 50, 7900, seed=1) * level * 10 ** (-snr_db / 20)
    noisy = features(speech + noise)
    assert agreement(noisy, clean) >= min_agreement
    # Noise hides the quietest syllables, which may split an utterance.
    assert abs(len(noisy.utterances) - len(clean.utterances)) <= max_extra


def test_robust_to_a_music_bed(speech: np.ndarray):
    clean = features(speech)
    level = speech_level(speech, clean.speech)
    mixed = features(speech + music_bed(len(speech)) * level * 10 ** (-15 / 20))
    assert agreement(mixed, clean) >= 0.85


def test_music_alone_with_no_speech_is_mostly_pause():
    bed = features(0.05 * music_bed(6 * SAMPLE_RATE))
    # A steady bed becomes the noise floor after its first moments.
    assert bed.speech[200:].mean() < 0.2


def test_breaths_in_a_pause_are_not_speech(speech: np.ndarray):
    clean = features(speech)
    level = speech_level(speech, clean.speech)
    pause = np.zeros(2 * SAMPLE_RATE)
    breath_len = int(0.5 * SAMPLE_RATE)
    start = (len(pause) - breath_len) // 2
    # An inhalation: aperiodic 300-3000 Hz noise, 15 dB below the speech.
    pause[start : start + breath_len] = bandpass_noise(breath_len, 300, 3000, seed=2) * np.hanning(breath_len) * level * 10 ** (-15 / 20)
    half = len(speech) // 2
    joined = features(np.concatenate([speech[:half], pause, speech[half:]]))
    breath_time = (half + start + breath_len / 2) / SAMPLE_RATE
    assert not any(u.start <= breath_time <= u.end for u in joined.utterances)
    frame = round(breath_time * FPS)
    assert not joined.speech[frame - 15 : frame + 15].any()
