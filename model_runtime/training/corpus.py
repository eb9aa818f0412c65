"""The training corpus: takes of speech audio features and motion, at the model's frame rate.

Two sources:

* **Synthetic**: the physiological performer (:func:`model_runtime.performer.engine.perform`) animating
  the speech clips of ``shared/data/speech`` (read in place; attribution in its MANIFEST.csv),
  each clip augmented in pitch, tempo, noise and level, under many sampled performer styles.
  Every sampled style is one *performer*; each performer speaks several clips.
* **Real**: a manifest CSV with columns ``take,audio,speaker,performer`` (paths relative to the
  manifest) listing Live Link Face CSV, FLAME or npz takes with their recordings.

Splits (:func:`split_of`) are by speaker and by performer, never by window: a test take has a
speaker and a performer that no training take has.
"""

from __future__ import annotations

import csv
import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from model_runtime.audio.types import AudioSignal, SpeechFeatures
from model_runtime.clip import MotionClip
from model_runtime.conventions import ANGLE_CHANNELS, BLINKS, CHANNELS
from model_runtime.errors import GazeError
from model_runtime.learned.features import audio_matrix
from model_runtime.performer.style import PARAMETERS, PerformerStyle
from model_runtime.training.augment import Augmentation, augment

Split = Literal["train", "val", "test"]
SPLITS: tuple[Split, ...] = ("train", "val", "test")
_ANGLES = [CHANNELS.index(name) for name in ANGLE_CHANNELS]


@dataclass(frozen=True)
class Take:
    """One take at the model rate: ``audio`` (frames, features) float32, ``motion`` (frames, 7)
    degrees in ANGLE_CHANNELS order, ``blinks`` (frames, 2) closure, ``speech`` (frames,) bool, and
    the speech ``features`` they came from (for evaluation)."""

    name: str
    speaker: str
    performer: str
    split: Split
    audio: NDArray[np.float32]
    motion: NDArray[np.float32]
    blinks: NDArray[np.float32]
    speech: NDArray[np.bool_]
    features: SpeechFeatures

    @property
    def n_frames(self) -> int:
        return int(self.motion.shape[0])

    def clip(self, fps: float) -> MotionClip:
        """The take as a motion clip (angles and blinks)."""
        data = np.zeros((self.n_frames, len(CHANNELS)))
        data[:, _ANGLES] = self.motion
        data[:, BLINKS] = self.blinks
        return MotionClip(fps=fps, data=data, meta={"take": self.name})


def split_of(name: str, val_share: float, test_share: float) -> Split:
    """A stable split for a speaker or performer name (a hash, so it never depends on order)."""
    u = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if u < test_share else "val" if u < test_share + val_share else "train"


def take_from_clip(name: str, *, speaker: str, performer: str, split: Split, features: SpeechFeatures, clip: MotionClip) -> Take:
    """Pair speech features and a motion clip (resampled to the features' rate, cut to the shorter)."""
    clip = clip.resample(features.fps)
    n = min(clip.n_frames, features.n_frames)
    return Take(
        name=name, speaker=speaker, performer=performer, split=split,
        audio=audio_matrix(features)[:n],
        motion=clip.data[:n, _ANGLES].astype(np.float32),
        blinks=clip.data[:n, BLINKS].astype(np.float32),
        speech=np.asarray(features.speech[:n], dtype=bool),
        features=features,
    )


@dataclass(frozen=True)
class SpeechClip:
    path: Path
    speaker: str


def speech_clips(speech_dir: Path) -> list[SpeechClip]:
    """The clips listed in ``speech_dir/MANIFEST.csv`` with their speaker ids."""
    manifest = speech_dir / "MANIFEST.csv"
    if not manifest.is_file():
        raise GazeError(f"{manifest}: speech manifest not found (expected the shared speech data set)")
    with manifest.open(newline="", encoding="utf-8") as handle:
        return [SpeechClip(speech_dir / row["file"], row["speaker_id"]) for row in csv.DictReader(handle)]


def sample_performer_style(rng: np.random.Generator) -> PerformerStyle:
    """A performer style drawn across the documented range of every parameter.

    Rates and durations are drawn log-uniformly (their natural scale), shares and angles uniformly.
    """
    values = {}
    for name, info in PARAMETERS.items():
        if info.unit in ("s", "1/s", "1/min") and info.low > 0:
            values[name] = float(math.exp(rng.uniform(math.log(info.low), math.log(info.high))))
        else:
            values[name] = float(rng.uniform(info.low, info.high))
    return PerformerStyle(**values).clamped()


@dataclass(frozen=True)
class SyntheticSettings:
    """How big the synthetic corpus is: ``performers`` sampled styles, each speaking ``takes_per_performer``
    clips, drawn from ``variants_per_clip`` augmented versions of each speech clip (plus the original)."""

    performers: int = 520
    takes_per_performer: int = 3
    variants_per_clip: int = 3
    fps: float = 25.0
    val_share: float = 0.12
    test_share: float = 0.2
    seed: int = 0


def build_synthetic(speech_dir: Path, settings: SyntheticSettings, progress: Callable[[str], None] = print, max_clips: int | None = None) -> list[Take]:
    """Performer takes on augmented shared speech (the first ``max_clips`` clips, default all);
    speakers and performers split as :func:`split_of` says."""
    from model_runtime.audio import compute_features, load_audio
    from model_runtime.performer.engine import perform

    rng = np.random.default_rng(settings.seed)
    clips = speech_clips(speech_dir)[:max_clips]
    variants: dict[Split, list[tuple[str, str, AudioSignal, SpeechFeatures]]] = {s: [] for s in SPLITS}
    for clip in clips:
        split = split_of("speaker:" + clip.speaker, settings.val_share, settings.test_share)
        signal = load_audio(clip.path)
        for v in range(settings.variants_per_clip + 1):
            augmented = signal if v == 0 else augment(signal, Augmentation.sample(rng), rng)
            variants[split].append((f"{clip.path.stem}~a{v}", clip.speaker, augmented, compute_features(augmented, settings.fps)))
    progress(f"corpus: {len(clips)} speech clips -> " + ", ".join(f"{s} {len(v)} audio variants" for s, v in variants.items()))
    takes: list[Take] = []
    for p in range(settings.performers):
        performer = f"performer{p:04d}"
        split = split_of(performer, settings.val_share, settings.test_share)
        # A split with too few clips (only in small smoke runs) borrows the training speech.
        pool = variants[split] if len(variants[split]) >= settings.takes_per_performer else variants["train"]
        style = sample_performer_style(rng)
        for k in rng.choice(len(pool), size=min(settings.takes_per_performer, len(pool)), replace=False):
            name, speaker, _, features = pool[int(k)]
            motion = perform(features, style, int(rng.integers(2**31)))
            takes.append(take_from_clip(f"{performer}/{name}", speaker=speaker, performer=performer, split=split, features=features, clip=motion))
        if (p + 1) % 50 == 0:
            progress(f"corpus: {p + 1}/{settings.performers} performers, {len(takes)} takes")
    return takes


def build_from_manifest(manifest: Path, fps: float = 25.0, val_share: float = 0.12, test_share: float = 0.2) -> list[Take]:
    """Real takes listed in a CSV manifest (``take,audio,speaker,performer``; optional ``split``)."""
    from model_runtime.audio import compute_features, load_audio
    from model_runtime.takes import load_take

    if not manifest.is_file():
        raise GazeError(f"{manifest}: take manifest not found")
    with manifest.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    required = {"take", "audio", "speaker", "performer"}
    if not rows or not required <= set(rows[0]):
        raise GazeError(f"{manifest}: expected a CSV with columns {sorted(required)} and at least one row")
    takes = []
    for i, row in enumerate(rows, start=2):
        split_text = (row.get("split") or "").strip()
        if split_text and split_text not in SPLITS:
            raise GazeError(f"{manifest}: line {i}: split {split_text!r} is not one of {list(SPLITS)}")
        split = split_text if split_text in SPLITS else split_of("performer:" + row["performer"], val_share, test_share)
        clip = load_take(manifest.parent / row["take"])
        features = compute_features(load_audio(manifest.parent / row["audio"]), fps)
        takes.append(take_from_clip(row["take"], speaker=row["speaker"], performer=row["performer"], split=split, features=features, clip=clip))
    return takes
