"""Frame-synchronous features: frame counts, units on signals with known content, streaming."""

from __future__ import annotations

import math
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from model_runtime.audio import (
    SAMPLE_RATE,
    AudioSignal,
    SpeechFeatures,
    StreamingFeatures,
    compute_features,
    load_audio,
    n_frames_for,
    segment_speech,
    signal_from_array,
)
from model_runtime.audio.analysis import ANALYSIS_RATE, BATCH_FRAMES, HOP, WINDOW, analyse_frames
from model_runtime.audio.streaming import concatenate_features
from model_runtime.errors import AudioError


def synthetic_voice(seconds: float, f0: float = 140.0, seed: int = 0) -> np.ndarray:
    """Glottal-pulse-like buzz with syllable-rate amplitude modulation and a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.1 * np.sin(2 * np.pi * 0.5 * t))) / SAMPLE_RATE
    buzz = sum(np.sin(k * phase) / k for k in range(1, 20))
    envelope = np.clip(np.sin(2 * np.pi * 3 * t), 0, None)
    return (0.2 * buzz * envelope + 0.001 * rng.standard_normal(len(t))).astype(np.float32)


def as_signal(samples: np.ndarray) -> AudioSignal:
    return AudioSignal(np.asarray(samples, np.float32), SAMPLE_RATE)


@pytest.mark.parametrize("fps", [24, 25, 29.97, 30000 / 1001, 30, 50, 60, 12.5, 120])
def test_one_row_per_frame_for_any_frame_rate(fps: float):
    signal = as_signal(synthetic_voice(2.345))
    features = compute_features(signal, fps, n_mels=24)
    n = math.ceil(2.345 * fps - 1e-9)
    assert features.n_frames == n == n_frames_for(len(signal.samples), fps)
    assert features.fps == fps
    for name in ("f0_hz", "voiced", "rms", "onset", "speech"):
        assert getattr(features, name).shape == (n,), name
    assert features.logmel.shape == (n, 24)
    assert features.voiced.dtype == np.bool_ and features.speech.dtype == np.bool_
    assert np.all(np.isfinite(features.logmel)) and np.all(features.onset >= 0)
    # Last frame starts inside the audio.
    assert (n - 1) / fps < signal.duration <= n / fps + 1e-9


@pytest.mark.parametrize("f0", [75.0, 110.0, 220.0, 440.0])
def test_pitch_of_harmonic_tones(f0: float):
    t = np.arange(SAMPLE_RATE * 2) / SAMPLE_RATE
    samples = sum(0.3 / k * np.sin(2 * np.pi * k * f0 * t) for k in range(1, 6))
    features = compute_features(as_signal(samples), 30)
    inner = slice(3, -3)
    assert features.voiced[inner].all()
    cents = 1200 * np.abs(np.log2(features.f0_hz[inner] / f0))
    assert cents.max() < 10


def test_units_of_rms_logmel_and_onset():
    t = np.arange(SAMPLE_RATE * 3) / SAMPLE_RATE
    burst = (t >= 1.0) & (t < 2.0)
    samples = np.where(burst, 0.5 * np.sin(2 * np.pi * 1000 * t), 0.0)
    features = compute_features(as_signal(samples), 25)
    times = np.arange(features.n_frames) / 25
    inside = (times > 1.1) & (times < 1.9)
    assert features.rms[inside] == pytest.approx(0.5 / np.sqrt(2), rel=0.01)
    assert np.all(features.rms[times < 0.9] == 0)
    # Bands share the power: their sum is the mean square; the loudest band is the one at 1 kHz.
    assert np.exp(features.logmel[inside]).sum(axis=1) == pytest.approx(0.125, rel=0.02)
    centres = 700 * (10 ** (np.linspace(2595 * np.log10(1 + 20 / 700), 2595 * np.log10(1 + 8000 / 700), 42)[1:-1] / 2595) - 1)
    assert abs(centres[np.argmax(features.logmel[inside].mean(axis=0))] - 1000) < 150
    # Onset strength peaks at the start of the tone, not at its steady middle.
    assert abs(times[np.argmax(features.onset)] - 1.0) <= 1 / 25 + 0.02
    assert features.onset[inside].max() < 0.05 * features.onset.max()


def test_not_16k_is_refused():
    with pytest.raises(AudioError, match="16000 Hz"):
        compute_features(AudioSignal(np.zeros(100, np.float32), 44100, "x.wav"), 30)


def stream(signal: AudioSignal, fps: float, chunk_sizes: list[int] | int) -> SpeechFeatures:
    streamer = StreamingFeatures(fps)
    parts, start = [], 0
    sizes = iter(chunk_sizes) if isinstance(chunk_sizes, list) else None
    while start < len(signal.samples):
        size = next(sizes) if sizes else int(chunk_sizes)  # type: ignore[arg-type]
        parts.append(streamer.push(signal.samples[start : start + size]))
        start += size
    parts.append(streamer.finish())
    return concatenate_features(parts, fps, 40)


def assert_same(a: SpeechFeatures, b: SpeechFeatures) -> None:
    assert a.n_frames == b.n_frames
    for name in ("voiced", "speech", "f0_hz", "rms"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    # The mel filterbank is a matrix product whose BLAS summation order can depend on the batch size.
    np.testing.assert_allclose(a.logmel, b.logmel, rtol=0, atol=1e-9)
    np.testing.assert_allclose(a.onset, b.onset, rtol=0, atol=1e-9)
    assert a.utterances == b.utterances


def test_analysis_does_not_depend_on_how_frames_are_batched():
    samples = synthetic_voice(2.0 * (BATCH_FRAMES + 50) / ANALYSIS_RATE, seed=5)
    frames = np.lib.stride_tricks.sliding_window_view(samples, WINDOW)[::HOP]
    assert len(frames) > 2 * BATCH_FRAMES  # the whole call is split into batches internally
    whole, whole_onset = analyse_frames(frames, 40)
    pieces = [analyse_frames(frames[a:b], 40) for a, b in ((0, 7), (7, BATCH_FRAMES + 3), (BATCH_FRAMES + 3, len(frames)))]
    for name in ("rms", "peak", "f0_hz", "strength"):
        np.testing.assert_array_equal(np.concatenate([getattr(p, name) for p, _ in pieces]), getattr(whole, name), err_msg=name)
    # The mel filterbank is a matrix product whose BLAS summation order can depend on the batch size.
    np.testing.assert_allclose(np.concatenate([p.logmel for p, _ in pieces]), whole.logmel, rtol=0, atol=1e-9)
    np.testing.assert_allclose(np.concatenate([o for _, o in pieces]), whole_onset, rtol=0, atol=1e-9)
    assert np.ptp(whole.f0_hz) > 0 and whole.logmel.shape == (len(frames), 40)


@pytest.mark.parametrize("fps", [29.97, 60])
def test_streaming_in_100ms_chunks_matches_whole_file(shared: Path, fps: float):
    signal = load_audio(shared / "data" / "speech" / "usgov_jfk_1.flac")
    whole = compute_features(signal, fps)
    assert len(whole.utterances) >= 2
    assert_same(stream(signal, fps, SAMPLE_RATE // 10), whole)


def test_streaming_with_ragged_chunks_matches_whole_signal():
    signal = as_signal(synthetic_voice(3.0, seed=3))
    rng = np.random.default_rng(1)
    sizes = [int(s) for s in rng.choice([1, 7, 159, 160, 161, 640, 3000], size=2000)]
    assert_same(stream(signal, 24, sizes), compute_features(signal, 24))


@pytest.mark.parametrize("fps", [24, 60])
def test_streaming_latency_is_bounded(fps: float):
    streamer = StreamingFeatures(fps)
    samples = synthetic_voice(6.0)
    emitted = 0
    for end in range(1600, len(samples) + 1, 1600):
        emitted += streamer.push(samples[end - 1600 : end]).n_frames
        # Every frame whose time is at least `latency` before the audio received so far is out.
        assert emitted >= math.floor((end / SAMPLE_RATE - streamer.latency) * fps) + 1
    assert streamer.latency < 1.5
    assert emitted + streamer.finish().n_frames == 6 * fps


def test_streaming_memory_stays_bounded():
    """Pushing three times as much audio must not raise the memory the stream holds (60 min: see benchmarks/bench_audio.py)."""
    chunk = synthetic_voice(1.0, seed=5)
    streamer = StreamingFeatures(30)
    for _ in range(8):  # warm-up: fill every look-back window (the longest is 5 s)
        streamer.push(chunk)
    tracemalloc.start()
    try:
        sizes = []
        for seconds in (15, 45):
            tracemalloc.reset_peak()
            for _ in range(seconds):
                streamer.push(chunk)
            sizes.append(tracemalloc.get_traced_memory())
    finally:
        tracemalloc.stop()
    (current_short, peak_short), (current_long, peak_long) = sizes
    assert current_long < current_short + 1_000_000
    assert peak_long < peak_short * 1.5 + 1_000_000


def test_segment_speech_bridges_short_pauses_and_drops_short_bursts():
    rate = ANALYSIS_RATE
    n = int(6 * rate)
    level = np.full(n, -70.0)
    voiced = np.zeros(n, bool)

    def speak(start: float, end: float) -> None:
        k = slice(int(start * rate), int(end * rate))
        level[k] = -20.0
        voiced[k] = True

    speak(0.5, 1.5)
    speak(1.65, 2.5)  # 0.15 s pause: bridged
    speak(3.5, 3.6)  # 0.1 s burst: dropped
    speak(4.5, 5.5)
    mask, utterances = segment_speech(level, voiced, duration=6.0)
    assert mask.shape == (n,)
    assert len(utterances) == 2
    assert utterances[0].start == pytest.approx(0.45, abs=0.03) and utterances[0].end == pytest.approx(2.55, abs=0.03)
    assert utterances[1].start == pytest.approx(4.45, abs=0.03) and utterances[1].end == pytest.approx(5.55, abs=0.03)
    assert not mask[int(3.55 * rate)]


def test_speech_mask_agrees_with_utterances(shared: Path):
    features = compute_features(load_audio(shared / "data" / "speech" / "cmuarctic_awb_1.flac"), 24)
    times = np.arange(features.n_frames) / 24
    inside = np.zeros(features.n_frames, bool)
    for u in features.utterances:
        assert 0 <= u.start < u.end <= features.n_frames / 24
        inside |= (times >= u.start - 1e-9) & (times < u.end - 1e-9)
    assert np.mean(inside == features.speech) > 0.99


def test_signal_from_array_matches_load_audio(tmp_path: Path):
    import soundfile

    samples = synthetic_voice(2.0)
    stereo48 = np.repeat(np.interp(np.arange(96000) / 48000, np.arange(len(samples)) / SAMPLE_RATE, samples)[:, None], 2, axis=1)
    path = tmp_path / "x.wav"
    soundfile.write(path, stereo48, 48000, subtype="FLOAT")
    from_file = compute_features(load_audio(path), 30)
    from_memory = compute_features(signal_from_array(stereo48.astype(np.float32), 48000), 30)
    np.testing.assert_allclose(from_file.rms, from_memory.rms, atol=1e-6)
