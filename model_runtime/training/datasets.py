"""Random training windows from a corpus split: style-encoder pairs and generator sequences."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray

from model_runtime.learned.gaze_events import GAZE, GazeGrid, saccade_events, to_generator_motion
from model_runtime.learned.head_follow import DEFAULT_HEAD_MOVER, measured_mover, rest_head
from model_runtime.training.corpus import Split, Take


def select(takes: list[Take], split: Split) -> list[Take]:
    return [t for t in takes if t.split == split]


def velocity(motion: NDArray[np.float32]) -> NDArray[np.float32]:
    """Frame differences (degrees per frame), 0 at the first frame; matches the style encoder's."""
    return np.concatenate([np.zeros_like(motion[:1]), np.diff(motion, axis=0)])


def performer_movers(takes: list[Take]) -> dict[str, float]:
    """Each performer's head-mover share: the mean of those measured on its takes, the default
    where no take's looks away show it (as the runtime measures a reference take's)."""
    measured: dict[str, list[float]] = defaultdict(list)
    for take in takes:
        share = measured_mover(take.clip(take.features.fps))
        measured[take.performer] += [] if share is None else [share]
    return {performer: float(np.mean(shares)) if shares else DEFAULT_HEAD_MOVER for performer, shares in measured.items()}


def generator_motion(takes: list[Take]) -> list[NDArray[np.float32]]:
    """Each take in the generator's layout (frames, 5: head, world gaze; degrees) with its head's
    rest as the target: its performer's head-mover share times the follow of its gaze taken out
    (model_runtime.learned.head_follow), which the runtime adds back on the gaze it samples."""
    movers = performer_movers(takes)
    return [rest_head(to_generator_motion(t.motion), movers[t.performer], t.features.fps) for t in takes]


@dataclass(frozen=True)
class Statistics:
    """Per-column mean and standard deviation over training takes, for the networks' normalisers."""

    audio_mean: NDArray[np.float64]
    audio_std: NDArray[np.float64]
    motion_mean: NDArray[np.float64]
    motion_std: NDArray[np.float64]
    velocity_mean: NDArray[np.float64]
    velocity_std: NDArray[np.float64]
    generator_mean: NDArray[np.float64]
    generator_std: NDArray[np.float64]

    @classmethod
    def of(cls, takes: list[Take]) -> Statistics:
        audio = np.concatenate([t.audio for t in takes]).astype(np.float64)
        motion = np.concatenate([t.motion for t in takes]).astype(np.float64)
        vel = np.concatenate([velocity(t.motion) for t in takes]).astype(np.float64)
        generator = np.concatenate(generator_motion(takes)).astype(np.float64)
        return cls(audio.mean(0), audio.std(0), motion.mean(0), motion.std(0), vel.mean(0), vel.std(0), generator.mean(0), generator.std(0))


def by_performer(takes: list[Take]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, take in enumerate(takes):
        groups[take.performer].append(i)
    return dict(groups)


class StylePairs:
    """Batches of positive pairs: two windows of one performer (from two of its takes when it has
    two long enough, else two places in one take); every other window in the batch is a negative."""

    def __init__(self, takes: list[Take], window: int, seed: int = 0) -> None:
        self.takes = [t for t in takes if t.n_frames >= window]
        self.window = window
        self.groups = [g for g in by_performer(self.takes).values() if g]
        self.rng = np.random.default_rng(seed)
        if len(self.groups) < 2:
            raise ValueError("style training needs at least two performers with takes as long as the style window")

    def _window(self, take: Take) -> NDArray[np.float32]:
        start = int(self.rng.integers(0, take.n_frames - self.window + 1))
        return take.motion[start : start + self.window]

    def batch(self, size: int) -> torch.Tensor:
        """(2 * size, window, 7): rows i and i + size are a positive pair."""
        chosen = self.rng.choice(len(self.groups), size=min(size, len(self.groups)), replace=False)
        first, second = [], []
        for g in chosen:
            group = self.groups[int(g)]
            a, b = (self.rng.choice(group, size=2, replace=False) if len(group) > 1 else (group[0], group[0]))
            first.append(self._window(self.takes[int(a)]))
            second.append(self._window(self.takes[int(b)]))
        return torch.from_numpy(np.stack(first + second))


@dataclass(frozen=True)
class GeneratorBatch:
    """audio (B, S*N + L, A); motion (B, S*N, 5) targets and prev (B, N, 5) the chunk before, in the
    generator's layout (head + world gaze, degrees); style (B, D); onset (B, S*N) 1.0 where a
    saccade starts; landing (B, S*N) its grid code there, -1 elsewhere."""

    audio: torch.Tensor
    motion: torch.Tensor
    prev: torch.Tensor
    style: torch.Tensor
    onset: torch.Tensor
    landing: torch.Tensor


class GeneratorWindows:
    """Sequences of ``chunks`` chunks; a share start at the take's first frame (previous motion =
    rest, as at run time), the rest anywhere (previous motion = the true chunk before). The style
    vector comes from *another* take of the same performer, so the generator learns to transfer a
    style to new speech rather than to copy the take it is reproducing."""

    def __init__(self, takes: list[Take], take_styles: NDArray[np.float32], *, chunk: int, lookahead: int, chunks: int,
                 grid: GazeGrid, fps: float, start_share: float = 0.3, seed: int = 0) -> None:
        self.chunk, self.lookahead, self.chunks = chunk, lookahead, chunks
        self.span = chunks * chunk
        keep = [i for i, t in enumerate(takes) if t.n_frames >= self.span + lookahead]
        if not keep:
            raise ValueError(f"no take is long enough for generator windows of {self.span + lookahead} frames")
        self.takes = [takes[i] for i in keep]
        self.motion = generator_motion(self.takes)
        self.onset, self.landing = [], []
        for m in self.motion:
            onset, landing = saccade_events(m[:, GAZE], fps)
            codes = np.full(onset.shape, -1, dtype=np.int64)
            codes[onset] = grid.code(landing[onset])
            self.onset.append(onset.astype(np.float32))
            self.landing.append(codes)
        self.styles = take_styles[keep]
        self.groups = by_performer(self.takes)
        self.start_share = start_share
        self.rng = np.random.default_rng(seed)

    def batch(self, size: int) -> GeneratorBatch:
        audio, motion, prev, style, onset, landing = [], [], [], [], [], []
        for i in self.rng.integers(0, len(self.takes), size=size):
            take, m = self.takes[int(i)], self.motion[int(i)]
            latest = take.n_frames - self.span - self.lookahead
            if latest < self.chunk or self.rng.random() < self.start_share:
                start = 0
                prev.append(np.zeros((self.chunk, m.shape[1]), dtype=np.float32))
            else:
                start = int(self.rng.integers(self.chunk, latest + 1))
                prev.append(m[start - self.chunk : start])
            audio.append(take.audio[start : start + self.span + self.lookahead])
            motion.append(m[start : start + self.span])
            onset.append(self.onset[int(i)][start : start + self.span])
            landing.append(self.landing[int(i)][start : start + self.span])
            others = [j for j in self.groups[take.performer] if j != int(i)] or [int(i)]
            style.append(self.styles[int(self.rng.choice(others))])
        return GeneratorBatch(*(torch.from_numpy(np.stack(x)) for x in (audio, motion, prev, style, onset, landing)))
