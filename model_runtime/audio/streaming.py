"""Frame-synchronous speech features, computed as a stream of 16 kHz samples.

Pipeline: samples -> 10 ms analysis frames (analysis.py) -> voicing decisions and speech
segmentation (segmentation.py) -> one row per animation frame. :func:`compute_features` is this
stream fed in blocks, so a stream fed in 100 ms chunks gives the same features.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from model_runtime.audio.analysis import ANALYSIS_RATE, HOP, WINDOW, FrameAnalysis, analyse_frames
from model_runtime.audio.segmentation import SegmentationSettings, Segmenter
from model_runtime.audio.sliding import RowQueue, SlidingWindow, majority, take_aligned
from model_runtime.audio.types import SAMPLE_RATE, SpeechFeatures, Utterance
from model_runtime.errors import AudioError

# Voicing, after Praat's "To Pitch (ac)": a frame is voiced when its normalised autocorrelation
# beats VOICING_THRESHOLD, raised steeply for frames whose peak is below SILENCE_THRESHOLD of the
# loudest peak around it (PEAK_WINDOW seconds back, PEAK_LOOKAHEAD ahead). Praat's defaults are
# 0.45 and 0.03, but it also smooths voicing with a path search; without one, these higher values
# agree best with Praat's decisions (tuned on every third clip of the shared speech set).
VOICING_THRESHOLD = 0.6
SILENCE_THRESHOLD = 0.05
PEAK_WINDOW = 5.0
PEAK_LOOKAHEAD = 0.3
# Voicing decisions are majority-filtered over this many analysis frames each side.
VOICING_SMOOTHING = 1


def n_frames_for(n_samples: int, fps: float, sample_rate: int = SAMPLE_RATE) -> int:
    """Animation frames covering ``n_samples``: ceil(duration * fps), frame i at i / fps < duration."""
    return max(0, math.ceil(n_samples * fps / sample_rate - 1e-9))


@dataclass
class _Rows:
    """Per-analysis-frame results waiting to be turned into animation frames; row 0 is frame ``base``."""

    base: int = 0
    data: dict[str, NDArray[Any]] = field(default_factory=dict)

    def append(self, name: str, rows: NDArray[Any]) -> None:
        self.data[name] = np.concatenate([self.data[name], rows])

    def end(self) -> int:
        return self.base + min((len(v) for v in self.data.values()), default=0)

    def drop_before(self, index: int) -> None:
        cut = max(0, index - self.base)
        if cut:
            self.data = {k: v[cut:] for k, v in self.data.items()}
            self.base += cut


class StreamingFeatures:
    """Speech features for 16 kHz mono audio arriving in chunks of any size.

    ``push(samples)`` returns the animation frames completed so far as a SpeechFeatures holding
    just those rows (``utterances`` holds the utterances that ended in them); ``finish()`` returns
    the remaining rows. Concatenated, they equal :func:`compute_features` on the whole signal.
    Frames come out about ``latency`` seconds after their audio (the segmentation look-ahead);
    memory stays bounded however long the stream.
    """

    def __init__(self, fps: float, n_mels: int = 40, segmentation: SegmentationSettings | None = None) -> None:
        if not (math.isfinite(fps) and fps > 0):
            raise ValueError(f"fps must be a positive number, got {fps}")
        self.fps = float(fps)
        self.n_mels = n_mels
        # Frame k sees padded samples [k * HOP, k * HOP + WINDOW); the first WINDOW / 2 are zeros.
        self._buffer = np.zeros(WINDOW // 2, np.float32)
        self._buffer_start = 0  # padded index of _buffer[0]
        self._samples = 0  # real samples received
        self._next_analysis = 0
        self._previous_onset_power: NDArray[np.float64] | None = None
        self._peak = SlidingWindow(round(PEAK_WINDOW * ANALYSIS_RATE), round(PEAK_LOOKAHEAD * ANALYSIS_RATE), 0.0, np.max)
        self._strength = RowQueue(np.zeros(0))
        self._frame_peak = RowQueue(np.zeros(0))
        self._recent_peak = RowQueue(np.zeros(0))
        self._voicing = SlidingWindow(VOICING_SMOOTHING, VOICING_SMOOTHING, False, majority, dtype=np.bool_)
        self._level = RowQueue(np.zeros(0))
        self._segmenter = Segmenter(segmentation)
        empty, no = np.zeros(0), np.zeros(0, np.bool_)
        self._rows = _Rows(data={"onset": empty, "logmel": np.zeros((0, n_mels)), "rms": empty, "f0": empty, "voiced": no, "speech": no})
        self._next_frame = 0
        self._reported_utterances = 0
        self._total_analysis: int | None = None  # known once finished
        self.finished = False

    @property
    def latency(self) -> float:
        """Most seconds of audio that arrive after a frame's time before that frame comes out.

        Half an analysis window, the voicing look-ahead, the segmentation look-ahead, and the
        analysis frames an animation frame reads past its own time (interpolation, onset interval).
        """
        emission = max(1, math.ceil(ANALYSIS_RATE / self.fps / 2)) + 1
        voicing = PEAK_LOOKAHEAD + VOICING_SMOOTHING / ANALYSIS_RATE
        return (WINDOW / 2) / SAMPLE_RATE + voicing + self._segmenter.settings.lookahead() + emission / ANALYSIS_RATE

    def push(self, samples: NDArray[np.floating]) -> SpeechFeatures:
        if self.finished:
            raise RuntimeError("push after finish")
        chunk = np.asarray(samples, dtype=np.float32)
        if chunk.ndim != 1:
            raise ValueError(f"expected mono 16 kHz samples shaped (n,), got {chunk.shape}")
        if not np.isfinite(chunk).all():
            raise AudioError("<stream>", f"contains NaN or infinite samples (first near {self._samples / SAMPLE_RATE:.3f} s)")
        self._samples += len(chunk)
        self._buffer = np.concatenate([self._buffer, chunk])
        self._analyse(final=False)
        return self._emit(final=False)

    def finish(self) -> SpeechFeatures:
        """Flush: pads the end with silence and returns the rows still owed."""
        if self.finished:
            raise RuntimeError("finish called twice")
        self.finished = True
        # Analysis frames up to the one after the last sample, so every animation frame can interpolate.
        self._total_analysis = self._samples // HOP + 2
        needed = (self._total_analysis - 1) * HOP + WINDOW - self._buffer_start
        if needed > len(self._buffer):
            self._buffer = np.concatenate([self._buffer, np.zeros(needed - len(self._buffer), np.float32)])
        self._analyse(final=True)
        return self._emit(final=True)

    def _analyse(self, final: bool) -> None:
        available = (self._buffer_start + len(self._buffer) - WINDOW) // HOP + 1
        if final:
            assert self._total_analysis is not None
            available = self._total_analysis
        count = available - self._next_analysis
        if count > 0:
            offset = self._next_analysis * HOP - self._buffer_start
            frames = sliding_window_view(self._buffer[offset : offset + (count - 1) * HOP + WINDOW], WINDOW)[::HOP]
            analysis, onset_power = analyse_frames(frames, self.n_mels)
            self._next_analysis += count
            keep = self._next_analysis * HOP - self._buffer_start
            self._buffer = self._buffer[keep:]
            self._buffer_start += keep
            self._store(analysis, onset_power)
        self._decide(final)

    def _store(self, analysis: FrameAnalysis, onset_power: NDArray[np.float64]) -> None:
        previous = onset_power[:1] if self._previous_onset_power is None else self._previous_onset_power
        flux = np.diff(onset_power, axis=0, prepend=previous)
        self._previous_onset_power = onset_power[-1:]
        self._rows.append("onset", np.maximum(flux, 0.0).mean(axis=1))
        self._rows.append("logmel", analysis.logmel)
        self._rows.append("rms", analysis.rms)
        self._rows.append("f0", analysis.f0_hz)
        self._strength.put(analysis.strength)
        self._frame_peak.put(analysis.peak)
        self._recent_peak.put(self._peak.push(analysis.peak))
        self._level.put(10.0 * np.log10(analysis.rms**2 + 1e-12))

    def _decide(self, final: bool) -> None:
        if final:
            self._recent_peak.put(self._peak.finish())
        strength, peak, recent = take_aligned(self._strength, self._frame_peak, self._recent_peak)
        # Praat's unvoiced-candidate strength: frames much quieter than the loudest need more periodicity.
        relative = np.divide(peak, recent, out=np.zeros_like(peak), where=recent > 0)
        threshold = VOICING_THRESHOLD + np.maximum(0.0, 2.0 - relative / (SILENCE_THRESHOLD / (1.0 + VOICING_THRESHOLD)))
        voiced = self._voicing.push(strength > threshold)
        if final:
            voiced = np.concatenate([voiced, self._voicing.finish()])
        self._rows.append("voiced", voiced)
        speech = self._segmenter.push(self._level.take(len(voiced)), voiced)
        if final:
            speech = np.concatenate([speech, self._segmenter.finish(self._samples / SAMPLE_RATE)])
        self._rows.append("speech", speech)

    def _emit(self, final: bool) -> SpeechFeatures:
        rows = self._rows
        end = rows.end()
        ratio = ANALYSIS_RATE / self.fps
        if final:
            last = n_frames_for(self._samples, self.fps)
        else:
            # Frames whose last needed analysis row (linear interpolation, onset window) has arrived.
            candidates = np.arange(self._next_frame, math.floor(end / ratio) + 2)
            last = self._next_frame + int(np.count_nonzero(_needed(candidates, ratio)[1] < end))
        index = np.arange(self._next_frame, max(last, self._next_frame))
        features = self._interpolate(index, ratio, final)
        self._next_frame = max(last, self._next_frame)
        lowest = _needed(np.array([self._next_frame]), ratio)[0][0]
        rows.drop_before(int(lowest))
        utterances = self._segmenter.utterances[self._reported_utterances :]
        self._reported_utterances = len(self._segmenter.utterances)
        return SpeechFeatures(utterances=tuple(utterances), **features)

    def _interpolate(self, index: NDArray[np.int64], ratio: float, final: bool) -> dict[str, Any]:
        rows = self._rows
        position = index * ratio
        top = rows.end() - 1
        lower = np.minimum(np.floor(position).astype(np.int64), top)
        upper = np.minimum(lower + 1, top)
        nearest = np.minimum(np.floor(position + 0.5).astype(np.int64), top)
        weight = position - np.floor(position)
        lo, hi = _needed(index, ratio)
        lo, hi = np.minimum(lo, top), np.minimum(hi, top)
        b = rows.base
        data = rows.data

        def lerp(values: NDArray[np.float64]) -> NDArray[np.float64]:
            w = weight.reshape((-1,) + (1,) * (values.ndim - 1))
            return np.asarray(values[lower - b] * (1.0 - w) + values[upper - b] * w)

        voiced = data["voiced"][nearest - b]
        f0 = data["f0"]
        both = data["voiced"][lower - b] & data["voiced"][upper - b]
        log_f0 = np.log(np.maximum(f0, 1.0))
        smooth_f0 = np.exp(log_f0[lower - b] * (1.0 - weight) + log_f0[upper - b] * weight)
        f0_hz = np.where(voiced, np.where(both, smooth_f0, f0[nearest - b]), 0.0)
        # Onset: strongest flux within the animation frame's own interval, so none falls between frames.
        span = int(np.max(hi - lo, initial=0)) + 1
        window = np.minimum(lo[:, None] + np.arange(span)[None, :], hi[:, None])
        onset = data["onset"][window - b].max(axis=1) if len(index) else np.zeros(0)
        return {
            "fps": self.fps,
            "f0_hz": f0_hz,
            "voiced": voiced,
            "rms": lerp(data["rms"]),
            "onset": onset,
            "logmel": lerp(data["logmel"]) if len(index) else np.zeros((0, self.n_mels)),
            "speech": data["speech"][nearest - b],
        }


def _needed(index: NDArray[np.int64], ratio: float) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Lowest and highest analysis rows that animation frames ``index`` read."""
    position = index * ratio
    half = ratio / 2
    nearest = np.floor(position + 0.5).astype(np.int64)
    lo = np.minimum(np.ceil(position - half).astype(np.int64), nearest)
    lo = np.maximum(np.minimum(lo, np.floor(position).astype(np.int64)), 0)
    hi = np.maximum(np.ceil(position + half).astype(np.int64) - 1, np.floor(position).astype(np.int64) + 1)
    hi = np.maximum(hi, nearest)
    return lo, hi


def concatenate_features(parts: list[SpeechFeatures], fps: float, n_mels: int) -> SpeechFeatures:
    """Join consecutive pieces of a stream into one SpeechFeatures."""

    def join(name: str, empty: NDArray[Any]) -> NDArray[Any]:
        arrays = [getattr(p, name) for p in parts if len(getattr(p, name))]
        return np.concatenate(arrays) if arrays else empty

    utterances: tuple[Utterance, ...] = tuple(u for p in parts for u in p.utterances)
    return SpeechFeatures(
        fps=fps,
        f0_hz=join("f0_hz", np.zeros(0)),
        voiced=join("voiced", np.zeros(0, np.bool_)),
        rms=join("rms", np.zeros(0)),
        onset=join("onset", np.zeros(0)),
        logmel=join("logmel", np.zeros((0, n_mels))),
        speech=join("speech", np.zeros(0, np.bool_)),
        utterances=utterances,
    )
