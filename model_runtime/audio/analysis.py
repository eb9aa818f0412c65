"""Short-time analysis of 16 kHz audio on a fixed 10 ms grid: spectrum, energy and pitch.

Analysis frame ``k`` is centred on sample ``k * HOP`` (time ``k / ANALYSIS_RATE`` seconds) and sees
the WINDOW samples around it (zeros before the start and after the end of the audio). One FFT per
frame serves both the log-mel spectrum and the autocorrelation pitch tracker (Boersma 1993, the
method of Praat's "To Pitch (ac)"), which keeps the whole front end at a few FFTs per 10 ms.
Every function here works on a batch of frames at once; a frame's result depends only on its own
samples, so batches of any size give the same numbers (that is what makes streaming exact).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from model_runtime.audio.types import SAMPLE_RATE

HOP = 160  # samples between analysis frames (10 ms)
ANALYSIS_RATE = SAMPLE_RATE / HOP  # analysis frames per second
WINDOW = 640  # samples per analysis frame (40 ms: three periods of the lowest pitch, as Praat uses)
N_FFT = 1024  # >= WINDOW + longest pitch lag, so the autocorrelation does not wrap around
F0_MIN = 60.0  # Hz, lowest pitch searched (deep male voice)
F0_MAX = 500.0  # Hz, highest pitch searched (child, raised female voice)
# Pitch uses the spectrum below 4 kHz only: its autocorrelation then comes out at 8 kHz lag
# resolution from a half-size inverse FFT; parabolic interpolation restores sub-sample lags.
_PITCH_BINS = N_FFT // 4 + 1
_PITCH_RATE = SAMPLE_RATE / 2
_LAG_MIN = int(np.floor(_PITCH_RATE / F0_MAX))
_LAG_MAX = int(np.ceil(_PITCH_RATE / F0_MIN))
# Praat's octave cost: per octave, favour the higher of two equally periodic candidates, because a
# periodic signal correlates just as well at two, three... periods.
OCTAVE_COST = 0.01
# Log floors: mel power for the reported spectrum; a higher one for onset strength so that the
# flux of faint noise (below about -70 dB full scale) does not read as onsets.
LOGMEL_FLOOR = 1e-10
ONSET_FLOOR = 1e-7
# Frames analysed at a time. A 10 s block's spectra (MBs each) go back to the system when freed
# and are page-faulted in again by the next block: on this project's VM 15 000 faults and 1.7x
# the time per minute of audio. Batches of 256 frames stay small and are reused.
BATCH_FRAMES = 256


@dataclass(frozen=True)
class FrameAnalysis:
    """Per analysis frame (rows = frames): what later stages combine into features.

    logmel (k, n_mels) ln of mel-band power; rms (k,) linear full scale; peak (k,) max |sample|;
    f0_hz (k,) best pitch candidate in Hz (0 if none); strength (k,) its normalised
    autocorrelation (0-1), the evidence for voicing.
    """

    logmel: NDArray[np.float64]
    rms: NDArray[np.float64]
    peak: NDArray[np.float64]
    f0_hz: NDArray[np.float64]
    strength: NDArray[np.float64]


@lru_cache(maxsize=8)
def mel_filterbank(n_mels: int) -> NDArray[np.float64]:
    """(N_FFT // 2 + 1, n_mels) triangular HTK-mel filters from 20 Hz to 8 kHz, peak 1.

    Neighbouring triangles sum to 1 between the outer band centres, so the bands share out the
    frame's power rather than count it twice.
    """
    if n_mels < 1:
        raise ValueError(f"n_mels must be at least 1, got {n_mels}")
    hz = np.fft.rfftfreq(N_FFT, 1.0 / SAMPLE_RATE)
    mel = 2595.0 * np.log10(1.0 + hz / 700.0)
    edges = np.linspace(2595.0 * np.log10(1.0 + 20.0 / 700.0), mel[-1], n_mels + 2)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (mel[None, :] - lower) / (centre - lower)
    falling = (upper - mel[None, :]) / (upper - centre)
    filters = np.ascontiguousarray(np.clip(np.minimum(rising, falling), 0.0, None).T)
    filters.setflags(write=False)
    return filters


@lru_cache(maxsize=1)
def _hann() -> NDArray[np.float64]:
    window = np.hanning(WINDOW + 2)[1:-1]
    window.setflags(write=False)
    return window


@lru_cache(maxsize=1)
def _window_autocorrelation() -> NDArray[np.float64]:
    """Autocorrelation of the analysis window itself, computed exactly as for the signal."""
    spectrum = np.fft.rfft(_hann(), N_FFT)
    power = spectrum.real**2 + spectrum.imag**2
    ac: NDArray[np.float64] = np.fft.irfft(power[:_PITCH_BINS], 2 * (_PITCH_BINS - 1))
    ac = ac / ac[0]
    ac.setflags(write=False)
    return ac


def analyse_frames(frames: NDArray[np.floating], n_mels: int) -> tuple[FrameAnalysis, NDArray[np.float64]]:
    """Analyse (k, WINDOW) frames. Returns the analysis and the (k, n_mels) onset log-power."""
    if len(frames) <= BATCH_FRAMES:
        return _analyse_batch(frames, n_mels)
    parts = [_analyse_batch(frames[start : start + BATCH_FRAMES], n_mels) for start in range(0, len(frames), BATCH_FRAMES)]
    analysis = FrameAnalysis(**{f.name: np.concatenate([getattr(part, f.name) for part, _ in parts]) for f in fields(FrameAnalysis)})
    return analysis, np.concatenate([onset for _, onset in parts])


def _analyse_batch(frames: NDArray[np.floating], n_mels: int) -> tuple[FrameAnalysis, NDArray[np.float64]]:
    if len(frames) == 0:
        empty, mel = np.zeros(0), np.zeros((0, n_mels))
        return FrameAnalysis(logmel=mel, rms=empty, peak=empty, f0_hz=empty, strength=empty), mel
    peak = np.abs(frames).max(axis=1).astype(np.float64)
    x = np.array(frames, dtype=np.float64)
    x -= x.mean(axis=1, keepdims=True)
    x *= _hann()
    spectrum = np.fft.rfft(x, N_FFT, axis=1)
    power = np.abs(spectrum)  # faster than real**2 + imag**2
    power *= power
    window_energy = float(np.sum(_hann() ** 2))
    # Parseval: the one-sided bin powers (inner bins counted twice) sum to N_FFT * sum(xw^2).
    total = 2.0 * power.sum(axis=1) - power[:, 0] - power[:, -1]
    rms = np.sqrt(total / (N_FFT * window_energy))
    # Scale so that the one-sided bin powers add up to the frame's (window-weighted) mean square.
    band_power = power @ mel_filterbank(n_mels)
    band_power *= 1.0 / (N_FFT / 2 * window_energy)
    f0_hz, strength = _pitch(power)
    analysis = FrameAnalysis(logmel=np.log(band_power + LOGMEL_FLOOR), rms=rms, peak=peak, f0_hz=f0_hz, strength=strength)
    return analysis, np.log(band_power + ONSET_FLOOR)


@lru_cache(maxsize=1)
def _octave_bonus() -> NDArray[np.float64]:
    """Score added to each integer-lag candidate: OCTAVE_COST per octave above F0_MIN."""
    lags = np.arange(_LAG_MIN, _LAG_MAX + 1)
    bonus = OCTAVE_COST * np.log2(_PITCH_RATE / lags / F0_MIN)
    bonus.setflags(write=False)
    return bonus


def _pitch(power: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Best pitch candidate per frame: (f0 Hz, normalised autocorrelation at that lag)."""
    ac = np.fft.irfft(power[:, :_PITCH_BINS], 2 * (_PITCH_BINS - 1), axis=1)[:, : _LAG_MAX + 2]
    energy = ac[:, :1]
    # Autocorrelation of the signal = that of the windowed frame / that of the window (Boersma).
    r = np.divide(ac, energy * _window_autocorrelation()[: _LAG_MAX + 2], out=np.zeros_like(ac), where=energy > 0)
    mid = r[:, _LAG_MIN : _LAG_MAX + 1]
    is_peak = (mid > r[:, _LAG_MIN - 1 : _LAG_MAX]) & (mid >= r[:, _LAG_MIN + 1 : _LAG_MAX + 2])
    score = np.where(is_peak, mid + _octave_bonus(), -np.inf)
    best = np.argmax(score, axis=1)
    rows = np.arange(len(r))
    found = np.isfinite(score[rows, best])
    # Parabolic interpolation around the chosen lag gives its sub-sample position and height.
    lag = best + _LAG_MIN
    left, centre, right = r[rows, lag - 1], r[rows, lag], r[rows, lag + 1]
    curvature = left - 2.0 * centre + right
    delta = np.clip(np.divide(0.5 * (left - right), curvature, out=np.zeros_like(centre), where=curvature < 0), -0.5, 0.5)
    height = np.minimum(centre - 0.25 * (left - right) * delta, 1.0)
    f0 = _PITCH_RATE / (lag + delta)
    return np.where(found, f0, 0.0), np.where(found, height, 0.0)
