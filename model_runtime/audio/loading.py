"""Decoding audio files (and arrays already in memory) to mono 16 kHz float32.

Files are read block by block, mixed down to mono and resampled with soxr (a proper band-limited
resampler, so nothing above 8 kHz aliases into the speech band). Every problem raises AudioError
naming the file and what is wrong; nothing else escapes for bad input.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile
import soxr
from numpy.typing import NDArray

from model_runtime.audio.types import SAMPLE_RATE, AudioSignal
from model_runtime.errors import AudioError

# Input sample rates accepted (Hz): telephone speech up to studio rates.
MIN_RATE = 8000
MAX_RATE = 192000
# Longest audio load_audio accepts (seconds). At 16 kHz float32 three hours is ~700 MB; anything
# longer must go through iter_audio_blocks + StreamingFeatures, which run in bounded memory.
MAX_SECONDS = 3 * 3600.0
# Block length for decoding and resampling (input frames).
BLOCK_FRAMES = 1 << 16

EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff")


def _describe_unreadable(path: Path, exc: Exception) -> str:
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
    except OSError as error:
        return f"cannot be read ({error.strerror or error})"
    if head and all(32 <= b < 127 or b in b"\t\r\n" for b in head):
        return "not an audio file: it holds plain text"
    if path.suffix.lower() not in EXTENSIONS:
        return f"unsupported audio format {path.suffix or '(no extension)'!r}; expected one of {', '.join(EXTENSIONS)}"
    if head[:4] in (b"RIFF", b"fLaC", b"OggS", b"FORM", b"ID3\x03", b"ID3\x04"):
        return f"corrupt or truncated audio file ({exc})"
    return f"not a readable audio file: unknown or corrupt header ({exc})"


def _open_info(path: Path, limit_length: bool = True) -> soundfile._SoundFileInfo:
    if not path.exists():
        raise AudioError(path, "file not found")
    if not path.is_file():
        raise AudioError(path, "not a file")
    if path.stat().st_size == 0:
        raise AudioError(path, "empty file (0 bytes)")
    try:
        info = soundfile.info(str(path))
    except (soundfile.LibsndfileError, RuntimeError, ValueError, TypeError) as exc:
        raise AudioError(path, _describe_unreadable(path, exc)) from exc
    _check_layout(path, int(info.samplerate), int(info.channels), int(info.frames), limit_length)
    return info


def _check_layout(path: str | Path, rate: int, channels: int, frames: int, limit_length: bool = True) -> None:
    if channels < 1:
        raise AudioError(path, "no audio channels")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise AudioError(path, f"sample rate {rate} Hz is outside the supported {MIN_RATE}-{MAX_RATE} Hz")
    if frames <= 0:
        raise AudioError(path, "no samples (the audio is zero seconds long)")
    if limit_length and frames / rate > MAX_SECONDS:
        raise AudioError(
            path,
            f"{frames / rate / 3600:.1f} hours is longer than the {MAX_SECONDS / 3600:.0f} hours load_audio accepts; "
            "process it in pieces with iter_audio_blocks and StreamingFeatures",
        )


class _ToMono16k:
    """Mixes blocks of (n, channels) audio down to mono and resamples them to 16 kHz, statefully."""

    def __init__(self, path: str | Path, rate: int) -> None:
        self.path = path
        self.rate = rate
        self.seen = 0
        self.stream = None if rate == SAMPLE_RATE else soxr.ResampleStream(rate, SAMPLE_RATE, 1, dtype="float32", quality="HQ")

    def __call__(self, block: NDArray[np.floating], last: bool = False) -> NDArray[np.float32]:
        block = np.asarray(block, dtype=np.float32)
        if block.ndim == 2:
            block = block.mean(axis=1, dtype=np.float32)
        bad = ~np.isfinite(block)
        if bad.any():
            at = (self.seen + int(np.argmax(bad))) / self.rate
            raise AudioError(self.path, f"contains NaN or infinite samples (first at {at:.3f} s)")
        self.seen += len(block)
        out: NDArray[np.float32] = block.copy() if self.stream is None else np.asarray(self.stream.resample_chunk(block, last=last), dtype=np.float32)
        # Resampling clipped audio overshoots a little (Gibbs); keep the documented [-1, 1] range.
        return np.clip(out, -1.0, 1.0, out=out)


def iter_audio_blocks(path: str | Path, block_frames: int = BLOCK_FRAMES) -> Iterator[NDArray[np.float32]]:
    """Decode a file of any length in blocks: yields mono 16 kHz float32 pieces, memory stays bounded.

    Raises AudioError for the same problems as load_audio, except that there is no length limit.
    """
    path = Path(path)
    info = _open_info(path, limit_length=False)
    convert = _ToMono16k(path, int(info.samplerate))
    try:
        with soundfile.SoundFile(str(path)) as handle:
            while True:
                block = handle.read(block_frames, dtype="float32", always_2d=True)
                last = len(block) < block_frames
                yield convert(block, last=last)
                if last:
                    break
    except (soundfile.LibsndfileError, RuntimeError) as exc:
        raise AudioError(path, f"corrupt or truncated audio data ({exc})") from exc
    if convert.seen == 0:
        raise AudioError(path, "no samples could be decoded")


def decoded_length(path: str | Path) -> int:
    """The 16 kHz samples :func:`iter_audio_blocks` yields for ``path``, as the file's header tells
    (exact for wav and flac; compressed formats' headers may be a little off)."""
    info = _open_info(Path(path), limit_length=False)
    return round(int(info.frames) * SAMPLE_RATE / int(info.samplerate))


def load_audio(path: str | Path) -> AudioSignal:
    """Decode a wav/flac/ogg/mp3 (any rate 8-192 kHz, any channel count) to mono 16 kHz float32.

    Refuses audio longer than MAX_SECONDS (3 h) up front; use iter_audio_blocks for longer files.
    """
    path = Path(path)
    _open_info(path)
    pieces = list(iter_audio_blocks(path))
    samples = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    if len(samples) == 0:
        raise AudioError(path, "no samples could be decoded")
    return AudioSignal(samples=samples, sample_rate=SAMPLE_RATE, path=str(path))


def signal_from_array(samples: NDArray[np.generic], sample_rate: int, path: str = "<memory>") -> AudioSignal:
    """The same checks, mixdown and resampling as load_audio, for audio already decoded.

    ``samples``: (n,) or (n, channels); float in [-1, 1] or integer PCM (scaled by its type's range).
    """
    array = np.asarray(samples)
    if array.ndim not in (1, 2):
        raise AudioError(path, f"expected samples shaped (n,) or (n, channels), got {array.shape}")
    if array.dtype.kind in "iu":
        info = np.iinfo(array.dtype)
        array = (array.astype(np.float64) - (info.max + info.min + 1) / 2) / ((info.max - info.min + 1) / 2)
    elif array.dtype.kind != "f":
        raise AudioError(path, f"expected float or integer samples, got {array.dtype}")
    channels = 1 if array.ndim == 1 else array.shape[1]
    _check_layout(path, int(sample_rate), channels, array.shape[0])
    convert = _ToMono16k(path, int(sample_rate))
    pieces = [convert(array[start : start + BLOCK_FRAMES]) for start in range(0, array.shape[0], BLOCK_FRAMES)]
    pieces.append(convert(array[:0], last=True))
    return AudioSignal(samples=np.concatenate(pieces), sample_rate=SAMPLE_RATE, path=path)
