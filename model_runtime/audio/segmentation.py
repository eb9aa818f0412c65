"""Speech/pause segmentation on the 10 ms analysis grid, as a stream with a bounded look-ahead.

A frame is speech when it is (1) loud against the background: above a noise floor tracked as the
quietest level of the last few seconds, so steady noise, hum or a music bed raises the floor
instead of reading as speech; (2) not far below the recent loudest level, so room tone in a quiet
pause is not speech; and (3) within reach of voiced frames, so breaths, clicks and noise bursts
(loud but aperiodic) are not speech while the unvoiced consonants next to vowels are. The frame
decisions are then cleaned: pauses shorter than ``min_pause`` are bridged and bursts shorter than
``min_utterance`` dropped (a morphological closing then opening), and what is left is padded at
both edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from model_runtime.audio.analysis import ANALYSIS_RATE
from model_runtime.audio.sliding import RowQueue, SlidingWindow, take_aligned
from model_runtime.audio.types import Utterance


@dataclass(frozen=True)
class SegmentationSettings:
    """Times in seconds, levels in dB (of mean square, relative to full scale)."""

    min_pause: float = 0.3  # shorter silences inside speech are not pauses (before edge padding)
    min_utterance: float = 0.2  # shorter bursts are not utterances (before edge padding)
    edge_padding: float = 0.05  # then speech is extended by this much at each edge (soft onsets, releases)
    voicing_reach: float = 0.2  # speech needs a voiced frame at most this far away
    margin_db: float = 6.0  # above the noise floor
    range_db: float = 40.0  # at most this far below the loudest level of the last peak_window
    absolute_db: float = -65.0  # never speech below this
    smoothing: float = 0.05  # level smoothed over this span before the comparisons
    floor_window: float = 3.0  # noise floor: quietest smoothed level over this much past audio
    peak_window: float = 5.0  # loudest smoothed level over this much past audio...
    peak_lookahead: float = 0.5  # ...and this much to come (so an utterance's first syllable counts)

    def lookahead(self, rate: float = ANALYSIS_RATE) -> float:
        """Seconds of audio the segmenter needs beyond a frame before it decides that frame."""
        frames = _half(self.smoothing, rate) + max(_frames(self.peak_lookahead, rate), _frames(self.voicing_reach, rate))
        frames += _frames(self.edge_padding, rate) + 2 * _half(self.min_pause, rate) + 2 * _half(self.min_utterance, rate)
        return frames / rate


def _frames(seconds: float, rate: float) -> int:
    return max(0, round(seconds * rate))


def _half(seconds: float, rate: float) -> int:
    """Half-width of a closing/opening window that removes runs shorter than ``seconds``."""
    return max(0, round(seconds * rate / 2))


class Segmenter:
    """Streams per-analysis-frame (level_db, voiced) into a speech mask and utterances.

    ``push`` returns the mask rows decided so far (each frame is decided ``settings.lookahead()``
    seconds after it arrives); ``finish`` returns the rest. Closed utterances gather in
    ``utterances`` (seconds; frame ``k`` covers ``(k +- 0.5) / rate``).
    """

    def __init__(self, settings: SegmentationSettings | None = None, rate: float = ANALYSIS_RATE) -> None:
        s = settings or SegmentationSettings()
        self.settings = s
        self.rate = rate
        half_smooth = _half(s.smoothing, rate)
        # Outside the audio reads NaN, left out of the mean, so the edges do not drag the floor down.
        self.smooth = SlidingWindow(half_smooth, half_smooth, np.nan, np.nanmean)
        self.floor = SlidingWindow(_frames(s.floor_window, rate), 0, np.inf, np.min)
        self.peak = SlidingWindow(_frames(s.peak_window, rate), _frames(s.peak_lookahead, rate), -np.inf, np.max)
        reach = _frames(s.voicing_reach, rate)
        self.near_voiced = SlidingWindow(reach, reach, False, np.any, dtype=np.bool_)
        empty = np.zeros(0)
        self.queues = {name: RowQueue(empty) for name in ("level", "floor", "peak")}
        self.voiced_queue = RowQueue(np.zeros(0, np.bool_))
        pad, gap, short = _frames(s.edge_padding, rate), _half(s.min_pause, rate), _half(s.min_utterance, rate)
        # Close (dilate, erode) to bridge short pauses, open (erode, dilate) to drop short bursts,
        # then pad the edges; outside the audio counts as pause, except where it would erode.
        self.morphology = [
            SlidingWindow(gap, gap, False, np.any, dtype=np.bool_),
            SlidingWindow(gap, gap, True, np.all, dtype=np.bool_),
            SlidingWindow(short, short, True, np.all, dtype=np.bool_),
            SlidingWindow(short, short, False, np.any, dtype=np.bool_),
            SlidingWindow(pad, pad, False, np.any, dtype=np.bool_),
        ]
        self.utterances: list[Utterance] = []
        self._next = 0  # absolute index of the next mask row
        self._run_start: int | None = None

    def push(self, level_db: NDArray[np.float64], voiced: NDArray[np.bool_]) -> NDArray[np.bool_]:
        return self._morph(self._raw(level_db, voiced, final=False), final=False)

    def finish(self, duration: float | None = None) -> NDArray[np.bool_]:
        mask = self._morph(self._raw(np.zeros(0), np.zeros(0, np.bool_), final=True), final=True)
        if self._run_start is not None:
            self._close(self._next)
        if duration is not None:
            self.utterances = [Utterance(u.start, min(u.end, duration)) for u in self.utterances if u.start < duration]
        return mask

    def _raw(self, level_db: NDArray[np.float64], voiced: NDArray[np.bool_], final: bool) -> NDArray[np.bool_]:
        smooth = self.smooth.push(level_db)
        if final:
            smooth = np.concatenate([smooth, self.smooth.finish()])
        self.queues["level"].put(smooth)
        for name, window in (("floor", self.floor), ("peak", self.peak)):
            out = window.push(smooth)
            self.queues[name].put(np.concatenate([out, window.finish()]) if final else out)
        near = self.near_voiced.push(voiced)
        self.voiced_queue.put(np.concatenate([near, self.near_voiced.finish()]) if final else near)
        level, floor, peak, near_voiced = take_aligned(self.queues["level"], self.queues["floor"], self.queues["peak"], self.voiced_queue)
        s = self.settings
        loud = (level > floor + s.margin_db) & (level > peak - s.range_db) & (level > s.absolute_db)
        return np.asarray(loud & near_voiced)

    def _morph(self, raw: NDArray[np.bool_], final: bool) -> NDArray[np.bool_]:
        mask = raw
        for window in self.morphology:
            mask = np.concatenate([window.push(mask), window.finish()]) if final else window.push(mask)
        self._collect(mask)
        return mask

    def _collect(self, mask: NDArray[np.bool_]) -> None:
        edges = np.flatnonzero(np.diff(mask.astype(np.int8), prepend=np.int8(self._run_start is not None)))
        for index in edges:
            k = self._next + int(index)
            if mask[index]:
                self._run_start = k
            else:
                self._close(k)
        self._next += len(mask)

    def _close(self, end: int) -> None:
        assert self._run_start is not None
        self.utterances.append(Utterance(max(0.0, (self._run_start - 0.5) / self.rate), (end - 0.5) / self.rate))
        self._run_start = None


def segment_speech(
    level_db: NDArray[np.float64],
    voiced: NDArray[np.bool_],
    duration: float | None = None,
    settings: SegmentationSettings | None = None,
    rate: float = ANALYSIS_RATE,
) -> tuple[NDArray[np.bool_], tuple[Utterance, ...]]:
    """Speech mask (frames,) and utterances for per-frame level (dB full scale) and voicing.

    The whole-signal form of :class:`Segmenter` (compute_features runs the same segmenter as a
    stream). ``duration`` (seconds) clips the last utterance to the end of the audio.
    """
    segmenter = Segmenter(settings, rate)
    mask = np.concatenate([segmenter.push(level_db, voiced), segmenter.finish(duration)])
    return mask, tuple(segmenter.utterances)
