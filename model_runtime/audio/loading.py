"""Decoding audio files (and arrays already in memory) to mono 16 kHz float32.

Files are read block by block, mixed down to mono and resampled with soxr (a proper band-limited
resampler, so nothing above 8 kHz aliases into the speech band). libsndfile (soundfile) reads wav,
flac, ogg, mp3 and aiff; whatever it cannot open (.m4a/.aac/.mp4 and the other containers FFmpeg
decodes) goes through PyAV, an optional dependency (``pip install gaze-motion-runtime[media]``).
Every problem raises AudioError naming the file and what is wrong; nothing else escapes for bad input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import NoReturn

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

# Read by libsndfile (soundfile), always available.
EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff")
# Read through PyAV (FFmpeg) when it is installed; any other container FFmpeg decodes works too.
FFMPEG_EXTENSIONS = (".m4a", ".aac", ".mp4", ".mov", ".m4v", ".mkv", ".mka", ".webm", ".avi", ".opus", ".wma", ".ac3")


def _libsndfile_owns(head: bytes) -> bool:
    """A wav, flac or aiff header: if libsndfile cannot read it, it is broken, not of another format.

    RIFF also holds .avi, and Ogg also holds video and codecs libsndfile lacks: those go on to PyAV.
    """
    return head[:4] in (b"fLaC", b"FORM", b"RF64") or (head[:4] == b"RIFF" and head[8:12] != b"AVI ")


def _pyav() -> ModuleType | None:
    """The ``av`` module (PyAV: FFmpeg's decoders), None where it is not installed."""
    try:
        import av
    except ImportError:
        return None
    return av


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(512)
    except OSError as error:
        raise AudioError(path, f"cannot be read ({error.strerror or error})") from error


def _is_text(head: bytes) -> bool:
    return bool(head) and all(32 <= b < 127 or b in b"\t\r\n" for b in head)


def _describe_unreadable(path: Path, head: bytes, exc: Exception) -> str:
    if _is_text(head):
        return "not an audio file: it holds plain text"
    suffix = path.suffix.lower()
    if suffix in FFMPEG_EXTENSIONS and not _libsndfile_owns(head):
        return (
            f"unsupported audio format {suffix!r} without PyAV: install it (pip install av, or gaze-motion-runtime[media]) or convert the file to wav or flac"
        )
    if suffix not in EXTENSIONS:
        return f"unsupported audio format {path.suffix or '(no extension)'!r}; expected one of {', '.join(EXTENSIONS)}"
    if head[:4] in (b"RIFF", b"fLaC", b"OggS", b"FORM", b"ID3\x03", b"ID3\x04"):
        return f"corrupt or truncated audio file ({exc})"
    return f"not a readable audio file: unknown or corrupt header ({exc})"


Blocks = Callable[[int], Iterator[NDArray[np.float32]]]


@dataclass(frozen=True)
class _Opened:
    """A file whose header was read: its layout, and a way to decode it as (n, channels) blocks."""

    rate: int
    channels: int
    frames: int | None  # None: the header does not say (raw ADTS streams and the like)
    blocks: Blocks


def _soundfile_blocks(path: Path) -> Blocks:
    def blocks(block_frames: int) -> Iterator[NDArray[np.float32]]:
        try:
            with soundfile.SoundFile(str(path)) as handle:
                while True:
                    block = handle.read(block_frames, dtype="float32", always_2d=True)
                    if len(block):
                        yield block
                    if len(block) < block_frames:
                        break
        except (soundfile.LibsndfileError, RuntimeError) as exc:
            raise AudioError(path, f"corrupt or truncated audio data ({exc})") from exc

    return blocks


def _open_with_pyav(av: ModuleType, path: Path) -> _Opened:
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise AudioError(path, "no audio stream in this file (a video without sound?)")
            stream = container.streams.audio[0]
            rate = int(stream.rate or stream.codec_context.sample_rate or 0)
            channels = int(stream.codec_context.layout.nb_channels)
            if stream.duration and stream.time_base:
                seconds: float | None = float(stream.duration * stream.time_base)
            elif container.duration:
                seconds = container.duration / av.time_base
            else:
                seconds = None
    except av.FFmpegError as exc:
        raise AudioError(path, f"not a readable audio file: corrupt, truncated or of a format FFmpeg does not know ({exc})") from exc
    frames = None if seconds is None else max(round(seconds * rate), 1)
    return _Opened(rate, channels, frames, _pyav_blocks(av, path))


def _pyav_blocks(av: ModuleType, path: Path) -> Blocks:
    def blocks(block_frames: int) -> Iterator[NDArray[np.float32]]:
        pending: list[NDArray[np.float32]] = []
        count = 0
        try:
            with av.open(str(path)) as container:
                stream = container.streams.audio[0]
                # Planar float at the stream's own rate and layout: FFmpeg only converts sample
                # format (and a layout that changes mid-stream); soxr does the resampling.
                convert = av.AudioResampler(format="fltp", layout=stream.codec_context.layout, rate=stream.rate or stream.codec_context.sample_rate)
                for frame in container.decode(stream):
                    for out in convert.resample(frame):
                        pending.append(np.asarray(out.to_ndarray(), dtype=np.float32).T)
                        count += len(pending[-1])
                    if count >= block_frames:
                        yield np.concatenate(pending)
                        pending, count = [], 0
                for out in convert.resample(None):
                    pending.append(np.asarray(out.to_ndarray(), dtype=np.float32).T)
        except av.FFmpegError as exc:
            raise AudioError(path, f"corrupt or truncated audio data ({exc})") from exc
        if pending:
            yield np.concatenate(pending)

    return blocks


def _open(path: Path, limit_length: bool = True) -> _Opened:
    if not path.exists():
        raise AudioError(path, "file not found")
    if not path.is_file():
        raise AudioError(path, "not a file")
    if path.stat().st_size == 0:
        raise AudioError(path, "empty file (0 bytes)")
    try:
        info = soundfile.info(str(path))
    except (soundfile.LibsndfileError, RuntimeError, ValueError, TypeError) as exc:
        head = _head(path)
        av = _pyav()
        if av is None or _is_text(head) or _libsndfile_owns(head):
            raise AudioError(path, _describe_unreadable(path, head, exc)) from exc
        opened = _open_with_pyav(av, path)
    else:
        opened = _Opened(int(info.samplerate), int(info.channels), int(info.frames), _soundfile_blocks(path))
    _check_layout(path, opened.rate, opened.channels, opened.frames, limit_length)
    return opened


def _check_layout(path: str | Path, rate: int, channels: int, frames: int | None, limit_length: bool = True) -> None:
    if channels < 1:
        raise AudioError(path, "no audio channels")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise AudioError(path, f"sample rate {rate} Hz is outside the supported {MIN_RATE}-{MAX_RATE} Hz")
    if frames is None:
        return
    if frames <= 0:
        raise AudioError(path, "no samples (the audio is zero seconds long)")
    if limit_length and frames / rate > MAX_SECONDS:
        _too_long(path, frames / rate)


def _too_long(path: str | Path, seconds: float) -> NoReturn:
    raise AudioError(
        path,
        f"{seconds / 3600:.1f} hours is longer than the {MAX_SECONDS / 3600:.0f} hours load_audio accepts; "
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


def _mono_blocks(path: Path, opened: _Opened, block_frames: int) -> Iterator[NDArray[np.float32]]:
    convert = _ToMono16k(path, opened.rate)
    previous: NDArray[np.float32] | None = None
    for block in opened.blocks(block_frames):
        if previous is not None:
            yield convert(previous)
        previous = block
    yield convert(previous if previous is not None else np.zeros((0, opened.channels), np.float32), last=True)
    if convert.seen == 0:
        raise AudioError(path, "no samples could be decoded")


def iter_audio_blocks(path: str | Path, block_frames: int = BLOCK_FRAMES) -> Iterator[NDArray[np.float32]]:
    """Decode a file of any length in blocks: yields mono 16 kHz float32 pieces, memory stays bounded.

    Works for every format load_audio reads (PyAV's formats too). Raises AudioError for the same
    problems as load_audio, except that there is no length limit.
    """
    path = Path(path)
    yield from _mono_blocks(path, _open(path, limit_length=False), block_frames)


def decoded_length(path: str | Path) -> int:
    """The 16 kHz samples :func:`iter_audio_blocks` yields for ``path``: from the file's header where
    it says (exact for wav and flac; compressed formats' headers may be a little off), else counted
    by decoding in blocks (bounded memory)."""
    opened = _open(Path(path), limit_length=False)
    if opened.frames is not None:
        return round(int(opened.frames) * SAMPLE_RATE / int(opened.rate))
    return sum(len(piece) for piece in iter_audio_blocks(path))


def header_seconds(path: str | Path) -> float | None:
    """The file's length from its header, nothing decoded; None where it cannot be read or does not say.

    For checking a length limit before decoding (load_audio says why a file cannot be read).
    """
    try:
        opened = _open(Path(path), limit_length=False)
    except AudioError:
        return None
    return None if opened.frames is None else opened.frames / opened.rate


def load_audio(path: str | Path) -> AudioSignal:
    """Decode an audio file (any rate 8-192 kHz, any channel count) to mono 16 kHz float32.

    wav/flac/ogg/mp3/aiff through libsndfile; .m4a/.aac/.mp4 and other FFmpeg formats through
    PyAV where it is installed. Refuses audio longer than MAX_SECONDS (3 h): up front from the
    header, or while decoding where the header does not say; use iter_audio_blocks for longer files.
    """
    path = Path(path)
    pieces: list[NDArray[np.float32]] = []
    total = 0
    for piece in _mono_blocks(path, _open(path), BLOCK_FRAMES):
        pieces.append(piece)
        total += len(piece)
        if total > MAX_SECONDS * SAMPLE_RATE:
            _too_long(path, total / SAMPLE_RATE)
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
