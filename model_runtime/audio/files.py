"""Features of an audio file of any length, streamed from disk in bounded memory."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from model_runtime.audio.features import BLOCK_SAMPLES
from model_runtime.audio.loading import decoded_length, iter_audio_blocks
from model_runtime.audio.segmentation import SegmentationSettings
from model_runtime.audio.streaming import StreamingFeatures, concatenate_features, n_frames_for
from model_runtime.audio.types import SAMPLE_RATE, SpeechFeatures, Utterance

_FIELDS = ("f0_hz", "voiced", "rms", "onset", "logmel", "speech")
_MOST_PREALLOCATED = 24 * 3600 * SAMPLE_RATE  # samples: a day; a longer file joins the rest at the end


def features_from_file(
    path: str | Path, fps: float, n_mels: int = 40, segmentation: SegmentationSettings | None = None, *, keep_logmel: bool = True
) -> SpeechFeatures:
    """compute_features(load_audio(path), fps) without holding the decoded audio: no length limit.

    The same features, frame for frame: the stream gets the same blocks as compute_features
    pushes. Memory grows only with the output (about n_mels * 8 bytes per animation frame): rows
    go straight into arrays sized from the file's header, not into pieces joined at the end.
    ``keep_logmel=False`` returns an empty (frames, 0) logmel for callers that never read it (the
    onsets still come from n_mels bands), which saves most of that memory.
    """
    stream = StreamingFeatures(fps, n_mels, segmentation)
    kept_mels = n_mels if keep_logmel else 0
    # Pages of the arrays are touched only as rows arrive, so an overstated header costs address space, not memory.
    rows = _Rows(n_frames_for(min(decoded_length(path), _MOST_PREALLOCATED), fps) + 2, kept_mels)
    for block in _blocks_of(iter_audio_blocks(path), BLOCK_SAMPLES):
        rows.add(stream.push(block), kept_mels)
    rows.add(stream.finish(), kept_mels)
    return rows.features(stream.fps, kept_mels)


class _Rows:
    """Feature rows filled in place; a header that undercounts only costs a join at the end."""

    def __init__(self, capacity: int, n_mels: int) -> None:
        empty = SpeechFeatures(
            fps=1.0, f0_hz=np.zeros(capacity), voiced=np.zeros(capacity, np.bool_), rms=np.zeros(capacity),
            onset=np.zeros(capacity), logmel=np.zeros((capacity, n_mels)), speech=np.zeros(capacity, np.bool_), utterances=(),
        )  # fmt: skip
        self._buffers = {name: getattr(empty, name) for name in _FIELDS}
        self._filled = 0
        self._overflow: list[SpeechFeatures] = []
        self._utterances: list[Utterance] = []

    def add(self, part: SpeechFeatures, kept_mels: int) -> None:
        part = replace(part, logmel=part.logmel[:, :kept_mels])
        self._utterances += part.utterances
        room = len(self._buffers["f0_hz"]) - self._filled
        if self._overflow or part.n_frames > room:
            self._overflow.append(part)
            return
        for name in _FIELDS:
            self._buffers[name][self._filled : self._filled + part.n_frames] = getattr(part, name)
        self._filled += part.n_frames

    def features(self, fps: float, n_mels: int) -> SpeechFeatures:
        head = {name: buffer[: self._filled] for name, buffer in self._buffers.items()}
        if self._overflow:
            rest = concatenate_features(self._overflow, fps, n_mels)
            head = {name: np.concatenate([head[name], getattr(rest, name)]) for name in _FIELDS}
        return SpeechFeatures(fps=fps, utterances=tuple(self._utterances), **head)


def _blocks_of(pieces: Iterable[NDArray[np.float32]], size: int) -> Iterator[NDArray[np.float32]]:
    """The samples of ``pieces`` in blocks of exactly ``size`` (the last one shorter)."""
    pending: list[NDArray[np.float32]] = []
    held = 0
    for piece in pieces:
        pending.append(piece)
        held += len(piece)
        while held >= size:
            joined = np.concatenate(pending)
            yield joined[:size]
            pending, held = [joined[size:]], len(joined) - size
    if held:
        yield np.concatenate(pending)
