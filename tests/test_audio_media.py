"""Audio in the containers FFmpeg decodes (.m4a, .aac, .mp4 with or without video) through PyAV.

Every file is made at test time with the ffmpeg command from a speech recording (espeak-ng) or a
tone; decoding is real and compared with the wav it was made from.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile

from model_runtime.audio import SAMPLE_RATE, compute_features, features_from_file, iter_audio_blocks, load_audio, loading
from model_runtime.errors import AudioError
from tests.test_cli import cli

pytest.importorskip("av", reason="PyAV (the [media] extra) is not installed")

# AAC works in frames of 1024 samples: the encoder pads the end to a whole frame, and a raw ADTS
# stream (.aac) has no container to say how many priming samples to drop at the start.
AAC_FRAME_SECONDS = 1024 / 44100


def run_ffmpeg(*args: str | Path) -> None:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *map(str, args)], check=True)


def encoded(source: Path, target: Path, *options: str) -> Path:
    run_ffmpeg("-i", source, *options, target)
    return target


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory) -> Path:
    """Speech at 44.1 kHz stereo, the layout of dialogue from a DAW."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    folder = tmp_path_factory.mktemp("media")
    voice = folder / "voice.wav"
    subprocess.run(["espeak-ng", "-s", "160", "-w", str(voice), "Hello there. I was thinking, maybe we could go tomorrow?"], check=True, capture_output=True)
    return encoded(voice, folder / "dialogue.wav", "-ar", "44100", "-ac", "2")


def best_lag(reference: np.ndarray, other: np.ndarray, most: int) -> tuple[int, float]:
    """(lag in samples, correlation) of ``other`` against ``reference`` over lags within ``most``."""
    n = min(len(reference), len(other)) - 2 * most
    middle = reference[most : most + n]
    scores = [(float(np.dot(middle, other[most + lag : most + lag + n])), lag) for lag in range(-most, most + 1)]
    lag = max(scores)[1]
    return lag, float(np.corrcoef(middle, other[most + lag : most + lag + n])[0, 1])


def compressed_like(wav: Path, path: Path, lead_frames: int) -> None:
    """The decoded file is the wav's speech: same length (up to AAC framing), time-aligned, same waveform."""
    reference = load_audio(wav)
    signal = load_audio(path)
    assert signal.sample_rate == SAMPLE_RATE and signal.samples.dtype == np.float32 and signal.samples.ndim == 1
    assert signal.path == str(path)
    extra = signal.duration - reference.duration
    assert -0.003 <= extra <= (lead_frames + 1) * AAC_FRAME_SECONDS + 0.003
    lag, correlation = best_lag(reference.samples, signal.samples, most=800)
    assert abs(lag / SAMPLE_RATE - lead_frames * AAC_FRAME_SECONDS) <= 0.002
    # A lag of 1024 samples at 44.1 kHz falls between two samples at 16 kHz: 0.978 for .aac.
    assert correlation > 0.95


@pytest.mark.parametrize(("suffix", "lead_frames"), [(".m4a", 0), (".mp4", 0), (".aac", 1)])
def test_aac_files_decode_like_their_wav(speech_wav: Path, tmp_path: Path, suffix: str, lead_frames: int):
    compressed_like(speech_wav, encoded(speech_wav, tmp_path / f"dialogue{suffix}"), lead_frames)


def test_video_with_a_sound_track(speech_wav: Path, tmp_path: Path):
    movie = tmp_path / "shot.mp4"
    run_ffmpeg("-f", "lavfi", "-i", "color=c=black:s=64x48:r=25:d=5", "-i", speech_wav, "-shortest", "-c:v", "libx264", "-c:a", "aac", movie)
    signal = load_audio(movie)
    reference = load_audio(speech_wav)
    lag, correlation = best_lag(reference.samples, signal.samples, most=800)
    assert abs(lag) <= 32 and correlation > 0.98


def test_avi_and_ogg_video_sound_tracks(speech_wav: Path, tmp_path: Path):
    # RIFF and Ogg headers that are not wav or Vorbis audio: libsndfile refuses them, FFmpeg reads them.
    reference = load_audio(speech_wav)
    for name, codecs in (("shot.avi", ("-c:v", "mpeg4", "-c:a", "pcm_s16le")), ("shot.ogv", ("-c:v", "libtheora", "-c:a", "libvorbis"))):
        movie = tmp_path / name
        run_ffmpeg("-f", "lavfi", "-i", "color=c=black:s=64x48:r=25:d=5", "-i", speech_wav, "-shortest", *codecs, movie)
        lag, correlation = best_lag(reference.samples, load_audio(movie).samples, most=800)
        assert abs(lag) <= 32 and correlation > 0.95, name


def test_other_ffmpeg_formats_decode(tmp_path: Path):
    # Mono 48 kHz Opus in Matroska, a codec and container libsndfile does not read.
    rate = 48000
    t = np.arange(2 * rate) / rate
    wav = tmp_path / "tone.wav"
    soundfile.write(wav, 0.5 * np.sin(2 * np.pi * 220.0 * t), rate)
    signal = load_audio(encoded(wav, tmp_path / "tone.mka", "-c:a", "libopus"))
    assert signal.duration == pytest.approx(2.0, abs=0.03)
    features = compute_features(signal, 25)
    assert np.median(features.f0_hz[features.voiced]) == pytest.approx(220.0, rel=0.02)


def test_length_from_the_header(speech_wav: Path, tmp_path: Path):
    m4a = encoded(speech_wav, tmp_path / "dialogue.m4a")
    assert loading.header_seconds(m4a) == pytest.approx(load_audio(speech_wav).duration, abs=AAC_FRAME_SECONDS)
    assert loading.header_seconds(speech_wav) == pytest.approx(load_audio(speech_wav).duration, abs=1e-4)
    garbage = tmp_path / "garbage.m4a"
    garbage.write_bytes(b"\x00\x01" * 3000)
    assert loading.header_seconds(garbage) is None
    assert loading.header_seconds(tmp_path / "missing.m4a") is None


def test_streaming_gives_the_same_samples(speech_wav: Path, tmp_path: Path):
    path = encoded(speech_wav, tmp_path / "dialogue.m4a")
    blocks = list(iter_audio_blocks(path, block_frames=4096))
    assert len(blocks) > 10 and all(b.dtype == np.float32 for b in blocks)
    np.testing.assert_allclose(np.concatenate(blocks), load_audio(path).samples, atol=1e-6)
    streamed = features_from_file(path, 25)
    whole = compute_features(load_audio(path), 25)
    assert streamed.n_frames == whole.n_frames
    np.testing.assert_array_equal(streamed.voiced, whole.voiced)


def expect_error(path: Path, *words: str) -> str:
    with pytest.raises(AudioError) as caught:
        load_audio(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    for word in words:
        assert word in message.lower()
    return message


def test_truncated_m4a(speech_wav: Path, tmp_path: Path):
    # ffmpeg writes the index (moov) at the end: the cut file has none.
    good = encoded(speech_wav, tmp_path / "good.m4a")
    cut = tmp_path / "cut.m4a"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    expect_error(cut, "corrupt", "truncated")


def test_truncated_m4a_with_the_index_first(speech_wav: Path, tmp_path: Path):
    good = encoded(speech_wav, tmp_path / "good.m4a", "-movflags", "+faststart")
    cut = tmp_path / "cut.m4a"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    expect_error(cut, "corrupt or truncated")
    with pytest.raises(AudioError, match="corrupt or truncated"):
        list(iter_audio_blocks(cut))


def test_garbage_named_m4a(tmp_path: Path):
    path = tmp_path / "noise.m4a"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    expect_error(path, "not a readable audio file")


def test_text_named_m4a(tmp_path: Path):
    path = tmp_path / "notes.m4a"
    path.write_text("These are my notes, not a recording.\n" * 20)
    expect_error(path, "plain text")


def test_video_without_sound(tmp_path: Path):
    movie = tmp_path / "silent_film.mp4"
    run_ffmpeg("-f", "lavfi", "-i", "color=c=black:s=64x48:r=25:d=1", "-c:v", "libx264", movie)
    expect_error(movie, "no audio stream")


def test_without_pyav_the_message_says_what_to_install(speech_wav: Path, tmp_path: Path, monkeypatch):
    path = encoded(speech_wav, tmp_path / "dialogue.m4a")
    monkeypatch.setattr(loading, "_pyav", lambda: None)
    expect_error(path, "unsupported audio format '.m4a'", "pip install av", "convert")


def test_the_command_line_reads_m4a(speech_wav: Path, tmp_path: Path):
    path = encoded(speech_wav, tmp_path / "dialogue.m4a")
    out = tmp_path / "dialogue.npz"
    result = cli("features", path, "--fps", "25", "-o", out)
    assert result.returncode == 0, result.stderr
    assert len(np.load(out)["voiced"]) == pytest.approx(load_audio(speech_wav).duration * 25, abs=2)
