"""Loading audio: every format and layout the issue lists, and every kind of bad input.

Test files are made in tmp_path with soundfile, ffmpeg and plain bytes; decoding is real.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile

from model_runtime.audio import MAX_SECONDS, SAMPLE_RATE, compute_features, iter_audio_blocks, load_audio, signal_from_array
from model_runtime.errors import AudioError


def tone(seconds: float, rate: int, freq: float = 220.0, amplitude: float = 0.5, channels: int = 1) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    mono = amplitude * np.sin(2 * np.pi * freq * t)
    return np.repeat(mono[:, None], channels, axis=1) if channels > 1 else mono


def dominant_frequency(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * SAMPLE_RATE / len(samples))


def ffmpeg(source: Path, target: Path) -> Path:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(source), str(target)], check=True)
    return target


@pytest.mark.parametrize(
    ("rate", "channels", "subtype"),
    [(16000, 1, "PCM_16"), (44100, 2, "PCM_24"), (48000, 1, "FLOAT"), (8000, 1, "PCM_U8"), (96000, 1, "PCM_16"), (22050, 6, "PCM_16")],
)
def test_wav_any_rate_depth_and_channel_count(tmp_path: Path, rate: int, channels: int, subtype: str):
    path = tmp_path / f"tone_{rate}_{channels}_{subtype}.wav"
    soundfile.write(path, tone(1.5, rate, channels=channels), rate, subtype=subtype)
    signal = load_audio(path)
    assert signal.sample_rate == SAMPLE_RATE
    assert signal.samples.dtype == np.float32 and signal.samples.ndim == 1
    assert signal.duration == pytest.approx(1.5, abs=1e-3)
    assert dominant_frequency(signal.samples) == pytest.approx(220.0, abs=2.0)
    # The mixdown keeps the level of identical channels; 8-bit quantisation costs a little.
    assert np.sqrt(np.mean(signal.samples[1000:-1000] ** 2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.03)
    assert signal.path == str(path)


def test_resampling_removes_content_above_the_new_nyquist(tmp_path: Path):
    # 11 kHz at 44.1 kHz cannot exist at 16 kHz; naive decimation would fold it to 5 kHz.
    path = tmp_path / "high.wav"
    soundfile.write(path, tone(1.0, 44100, freq=11000.0), 44100)
    signal = load_audio(path)
    assert np.sqrt(np.mean(signal.samples[2000:-2000] ** 2)) < 1e-3


@pytest.mark.parametrize("suffix", [".flac", ".ogg", ".mp3"])
def test_compressed_formats(tmp_path: Path, suffix: str):
    wav = tmp_path / "source.wav"
    soundfile.write(wav, tone(2.0, 44100, channels=2), 44100)
    signal = load_audio(ffmpeg(wav, tmp_path / f"clip{suffix}"))
    # mp3 encoders add priming/padding samples: allow 0.1 s.
    assert signal.duration == pytest.approx(2.0, abs=0.1)
    assert dominant_frequency(signal.samples) == pytest.approx(220.0, abs=2.0)


def test_clipped_audio_works_and_stays_in_range(tmp_path: Path):
    path = tmp_path / "clipped.wav"
    soundfile.write(path, np.clip(tone(1.0, 44100, amplitude=3.0), -1, 1), 44100)
    signal = load_audio(path)
    assert np.abs(signal.samples).max() <= 1.0
    features = compute_features(signal, 30)
    assert features.voiced.mean() > 0.8
    assert np.median(features.f0_hz[features.voiced]) == pytest.approx(220.0, rel=0.02)


def test_all_silence_gives_no_voicing_and_no_speech(tmp_path: Path):
    path = tmp_path / "silence.wav"
    soundfile.write(path, np.zeros(3 * 16000), 16000)
    features = compute_features(load_audio(path), 25)
    assert features.n_frames == 75
    assert not features.voiced.any() and not features.speech.any()
    assert features.utterances == ()
    assert np.all(features.f0_hz == 0) and np.all(features.rms == 0) and np.all(np.isfinite(features.logmel))


def expect_error(path: Path, *words: str) -> AudioError:
    with pytest.raises(AudioError) as caught:
        load_audio(path)
    message = str(caught.value)
    assert str(path) in message
    for word in words:
        assert word in message.lower()
    return caught.value


def test_missing_file(tmp_path: Path):
    expect_error(tmp_path / "nope.wav", "not found")


def test_empty_file(tmp_path: Path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    expect_error(path, "empty")


def test_zero_samples(tmp_path: Path):
    path = tmp_path / "zero.wav"
    soundfile.write(path, np.zeros(0), 16000)
    expect_error(path, "no samples")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_samples(tmp_path: Path, bad: float):
    samples = tone(1.0, 16000)
    samples[8000] = bad
    path = tmp_path / "bad.wav"
    soundfile.write(path, samples, 16000, subtype="FLOAT")
    error = expect_error(path, "nan or infinite", "0.500 s")
    assert error.path == str(path)


def test_nan_in_memory_array():
    samples = tone(1.0, 48000).astype(np.float32)
    samples[100] = np.nan
    with pytest.raises(AudioError, match="<memory>: contains NaN"):
        signal_from_array(samples, 48000)


def test_truncated_header(tmp_path: Path):
    good = tmp_path / "good.wav"
    soundfile.write(good, tone(1.0, 16000), 16000)
    path = tmp_path / "truncated.wav"
    path.write_bytes(good.read_bytes()[:30])
    expect_error(path, "corrupt or truncated")


def test_truncated_compressed_data(tmp_path: Path):
    good = tmp_path / "good.flac"
    soundfile.write(good, tone(3.0, 16000) + 0.01 * np.random.default_rng(0).standard_normal(48000), 16000)
    path = tmp_path / "cut.flac"
    path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    expect_error(path, "corrupt or truncated")


def test_corrupted_header(tmp_path: Path):
    good = tmp_path / "good.wav"
    soundfile.write(good, tone(1.0, 16000), 16000)
    data = bytearray(good.read_bytes())
    data[8:16] = b"JUNKJUNK"  # "WAVEfmt " destroyed
    path = tmp_path / "corrupt.wav"
    path.write_bytes(bytes(data))
    expect_error(path, "corrupt")


def test_text_file_renamed_wav(tmp_path: Path):
    path = tmp_path / "notes.wav"
    path.write_text("These are my notes, not a recording.\n" * 20)
    expect_error(path, "plain text")


def test_unknown_format(tmp_path: Path):
    # Bytes neither libsndfile nor FFmpeg knows, under an extension neither claims.
    path = tmp_path / "clip.xyz"
    path.write_bytes(bytes(range(256)) * 40)
    expect_error(path, "not a readable audio file")


def test_absurd_sample_rate_in_memory():
    with pytest.raises(AudioError, match="sample rate 4000 Hz"):
        signal_from_array(tone(1.0, 4000), 4000)


def test_integer_arrays_and_blender_layout_from_memory():
    pcm = (tone(1.0, 44100, channels=2) * 32767).astype(np.int16)
    from_int = signal_from_array(pcm, 44100)
    from_float = signal_from_array((pcm / 32768.0).astype(np.float32), 44100, path="take.wav")
    assert from_float.path == "take.wav"
    np.testing.assert_allclose(from_int.samples, from_float.samples, atol=1e-6)
    assert from_int.duration == pytest.approx(1.0, abs=1e-3)


def sparse_wav(path: Path, seconds: float, rate: int = 8000) -> Path:
    """A valid 16-bit mono WAV of silence, written as a sparse file (no disk space, instant)."""
    n_bytes = round(seconds * rate) * 2
    header = b"RIFF" + (36 + n_bytes).to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little")
    header += (1).to_bytes(2, "little") + (1).to_bytes(2, "little") + rate.to_bytes(4, "little") + (2 * rate).to_bytes(4, "little")
    header += (2).to_bytes(2, "little") + (16).to_bytes(2, "little") + b"data" + n_bytes.to_bytes(4, "little")
    with path.open("wb") as handle:
        handle.write(header)
        handle.truncate(len(header) + n_bytes)
    return path


def test_longer_than_the_limit_is_refused_up_front(tmp_path: Path):
    path = sparse_wav(tmp_path / "long.wav", MAX_SECONDS + 600)
    start = time.perf_counter()
    expect_error(path, "hours is longer than", "iter_audio_blocks")
    assert time.perf_counter() - start < 1.0  # decided from the header, nothing decoded
    # ...and the same file still streams, block by block.
    first = next(iter(iter_audio_blocks(path)))
    assert first.dtype == np.float32 and len(first) > 0


@pytest.mark.slow
def test_two_hour_file_loads(tmp_path: Path):
    signal = load_audio(sparse_wav(tmp_path / "two_hours.wav", 2 * 3600))
    assert signal.duration == pytest.approx(7200.0, abs=0.01)
    assert signal.samples.dtype == np.float32 and not np.any(signal.samples)
