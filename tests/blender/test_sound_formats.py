"""Sound strips in the formats the sequencer plays (.m4a, .aac, .mp4), decoded by Blender's ``aud``.

The files are made at test time with ffmpeg from an espeak-ng recording; each decoded signal is
compared with the wav it was made from. Nothing about decoding is mocked.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import bpy
import numpy as np
import pytest

from gaze_addon import compat, sound
from model_runtime.audio import SAMPLE_RATE, load_audio
from model_runtime.errors import AudioError
from tests.blender.conftest import flame_rig, generate_ready, keyed_frames, sound_strip

NO_AUD = f"bpy {bpy.app.version_string} has no audio module (aud): the PyPI 4.2 wheel is built without audaspace"
needs_aud = pytest.mark.skipif(compat.audio_module() is None, reason=NO_AUD)
# AAC decodes in frames of 1024 samples: the end runs up to one frame long, and a raw .aac stream
# keeps the encoder's 1024 priming samples at the start (no container says to drop them).
AAC_FRAME = 1024 / 44100


def ffmpeg(*args: str | Path) -> None:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *map(str, args)], check=True)


@pytest.fixture(scope="module")
def media(tmp_path_factory, speech) -> dict[str, Path]:
    """The speech fixture as 44.1 kHz stereo wav, and that wav as .m4a, .aac and a video .mp4."""
    folder = tmp_path_factory.mktemp("formats")
    files = {"wav": folder / "line.wav"}
    ffmpeg("-i", speech, "-ar", "44100", "-ac", "2", files["wav"])
    for suffix in ("m4a", "aac"):
        files[suffix] = folder / f"line.{suffix}"
        ffmpeg("-i", files["wav"], files[suffix])
    files["mp4"] = folder / "shot.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=black:s=64x48:r=25:d=6", "-i", files["wav"], "-shortest", "-c:v", "libx264", "-c:a", "aac", files["mp4"])
    return files


def strip_signal(scene, path: Path, name: str = "Dialogue"):
    strip = sound_strip(scene, path, name=name)
    source = sound.source_from_strip(strip, scene)
    try:
        return sound.load_signal(source)
    finally:
        source.cleanup()


def same_speech(reference: np.ndarray, other: np.ndarray, lead_seconds: float = 0.0) -> None:
    """``other`` is ``reference`` (after ``lead_seconds`` of priming): length, timing and waveform."""
    extra = (len(other) - len(reference)) / SAMPLE_RATE
    assert -0.003 <= extra <= lead_seconds + AAC_FRAME + 0.003
    most = 800
    n = min(len(reference), len(other)) - 2 * most
    middle = reference[most : most + n]
    lag = max(range(-most, most + 1), key=lambda k: float(np.dot(middle, other[most + k : most + k + n])))
    assert abs(lag / SAMPLE_RATE - lead_seconds) <= 0.002
    assert np.corrcoef(middle, other[most + lag : most + lag + n])[0, 1] > 0.95


@needs_aud
@pytest.mark.parametrize(("kind", "lead"), [("m4a", 0.0), ("mp4", 0.0), ("aac", AAC_FRAME)])
def test_strip_decodes_like_its_wav(empty_file, media, kind, lead):
    wav = strip_signal(empty_file, media["wav"], name="Wav")
    assert wav.samples.dtype == np.float32 and wav.sample_rate == SAMPLE_RATE
    # Blender's decode of the wav is the runtime's (same mixdown and resampler; 16-bit input, float32 blocks).
    np.testing.assert_allclose(wav.samples, load_audio(media["wav"]).samples, atol=1e-4)
    same_speech(wav.samples, strip_signal(empty_file, media[kind]).samples, lead)


@needs_aud
def test_length_is_read_without_decoding(empty_file, media):
    wav_seconds = sound.file_seconds(str(media["wav"]))
    assert wav_seconds is not None
    for kind in ("m4a", "mp4"):
        assert sound.file_seconds(str(media[kind])) == pytest.approx(wav_seconds, abs=AAC_FRAME)
    assert sound.file_seconds(str(media["aac"])) is not None  # raw ADTS: FFmpeg's estimate from the bit rate
    with pytest.raises(AudioError, match=r"minutes long; the add-on handles up to 0\.01 minutes"):
        sound.check_length(sound.file_seconds(str(media["m4a"])), "line", limit_minutes=0.01)


@needs_aud
def test_packed_m4a_strip(empty_file, media, tmp_path):
    loose = tmp_path / "packed line.m4a"
    shutil.copy(media["m4a"], loose)
    strip = sound_strip(empty_file, loose)
    strip.sound.pack()
    loose.unlink()
    source = sound.source_from_strip(strip, empty_file)
    assert source.temporary and source.path != str(loose)
    try:
        signal = sound.load_signal(source)
    finally:
        source.cleanup()
    assert not Path(source.path).exists()
    assert source.shown_path.endswith("packed in the .blend")
    # The bytes in the .blend decode exactly as the file they came from.
    np.testing.assert_array_equal(signal.samples, strip_signal(empty_file, media["m4a"], name="Loose").samples)
    same_speech(load_audio(media["wav"]).samples, signal.samples)


def _has_pyav() -> bool:
    from model_runtime.audio import loading

    return loading._pyav() is not None


@needs_aud
def test_generate_from_an_m4a_strip(empty_file, media):
    scene = empty_file
    strip = sound_strip(scene, media["m4a"], frame_start=7)
    obj = flame_rig()
    generate_ready(scene, obj)
    assert bpy.ops.gaze.generate() == {"FINISHED"}
    frames = keyed_frames(obj)
    assert frames[0] == strip.frame_start == 7
    seconds = sound.file_seconds(str(media["wav"]))
    assert seconds is not None and frames[-1] == pytest.approx(7 + seconds * 25 - 1, abs=1.5)


def refused(scene, obj) -> str:
    """Generate must fail with one line and leave the rig without keys."""
    with pytest.raises(RuntimeError) as info:
        bpy.ops.gaze.generate()
    assert scene.gaze.status.startswith("Failed: ")
    assert obj.animation_data is None or not obj.animation_data.nla_tracks
    assert not [a for a in bpy.data.actions if a.name.startswith("Gaze")]
    message = str(info.value).strip()
    return message


@needs_aud
@pytest.mark.parametrize("kind", ["m4a", "wav"])
def test_strip_whose_file_is_gone(empty_file, media, tmp_path, kind):
    gone = tmp_path / f"moved away.{kind}"
    shutil.copy(media[kind], gone)
    strip = sound_strip(empty_file, gone)
    gone.unlink()
    obj = flame_rig()
    generate_ready(empty_file, obj)
    message = refused(empty_file, obj)
    assert f"the sound strip '{strip.name}' is missing" in message and str(gone) in message
    assert "Strip tab > Source" in message and "pack it" in message
    # The same from the decoding step itself (the file vanished after the strip was looked at).
    source = sound.AudioSource(str(gone), "moved away", 1.0, strip=strip.name, shown_path=str(gone))
    with pytest.raises(AudioError, match="is missing"):
        sound.load_signal(source)


def test_undecodable_file_is_refused_in_one_line(empty_file, tmp_path):
    garbage = tmp_path / "broken take.m4a"
    garbage.write_bytes(np.random.default_rng(3).integers(0, 256, 40_000, dtype=np.uint8).tobytes())
    obj = flame_rig()
    generate_ready(empty_file, obj, garbage)
    message = refused(empty_file, obj)
    assert str(garbage) in message and "the audio file cannot be decoded" in message and "export it again as WAV or FLAC" in message
    assert "\n" not in message


@needs_aud
def test_cut_off_m4a_is_refused(empty_file, media, tmp_path):
    # The index first (+faststart), then half the data: FFmpeg decodes the first half without complaint.
    whole = tmp_path / "whole.m4a"
    ffmpeg("-i", media["wav"], "-movflags", "+faststart", whole)
    cut = tmp_path / "cut line.m4a"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(AudioError) as caught:
        sound.load_signal(sound.source_from_file(str(cut), 1.0))
    message = str(caught.value)
    assert message.startswith(f"{cut}: the audio file cannot be decoded (it ends early, a truncated or damaged file: its header says 3.9 s but only ")
    assert message.endswith("; export it again as WAV or FLAC, or pick another file")


def test_silence_only_is_refused(empty_file, tmp_path):
    import soundfile

    quiet = tmp_path / "room tone.wav"
    soundfile.write(quiet, np.zeros(44100 * 2), 44100)
    obj = flame_rig()
    generate_ready(empty_file, obj, quiet)
    message = refused(empty_file, obj)
    assert str(quiet) in message and "holds only silence" in message


def test_without_aud_the_runtime_decodes(empty_file, media):
    """Every version: a wav file decodes; on a Blender without aud an .m4a says why it cannot (or PyAV reads it)."""
    wav = sound.load_signal(sound.source_from_file(str(media["wav"]), 1.0))
    np.testing.assert_allclose(wav.samples, load_audio(media["wav"]).samples, atol=1e-4)
    if compat.audio_module() is not None or _has_pyav():
        same_speech(wav.samples, sound.load_signal(sound.source_from_file(str(media["m4a"]), 1.0)).samples)
    else:
        with pytest.raises(AudioError, match=r"has no audio module the add-on can use for \.m4a files\); export it again as WAV or FLAC"):
            sound.load_signal(sound.source_from_file(str(media["m4a"]), 1.0))
