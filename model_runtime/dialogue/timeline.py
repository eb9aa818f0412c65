"""Who speaks when, and whom each character looks at, frame by frame.

Lines may overlap (both speak): each speaker then speaks its own line to its own addressee, and a
character listening to two speakers looks at the one whose line began last. A character's own
next line cuts its previous one short. Listeners move their gaze to the next speaker a little
before the change of turn, at the first point the current turn could end (the end of its last
utterance) or at the next line's start if that comes first (Holler & Kendrick 2015).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from model_runtime.audio.types import SpeechFeatures, Utterance
from model_runtime.dialogue.scene import Dialogue
from model_runtime.errors import GazeError
from model_runtime.generate import check_audio_length
from model_runtime.inputs import speech_features
from model_runtime.limits import MAX_TAKE_FRAMES

# The scene runs on this long (s) after its last line ends, so every character settles.
TAIL_S: Final[float] = 1.0
# Listeners turn to the next speaker this long (s) before the point the turn could end.
LISTENER_LEAD_S: Final[tuple[float, float]] = (0.05, 0.3)


@dataclass(frozen=True)
class SpokenLine:
    """A line placed in the scene: frames [start, end) of the scene, its speech features and phrase
    ends (scene seconds), speaker and addressee as character indices, its own seed (None: the
    scene's) and its index in the dialogue's lines."""

    speaker: int
    addressee: int
    start: int
    end: int
    features: SpeechFeatures
    seed: int | None = None
    entry: int = 0  # its index in the dialogue's lines

    @property
    def utterances(self) -> tuple[Utterance, ...]:
        """Its utterances in scene seconds."""
        offset = self.start / self.features.fps
        return tuple(Utterance(u.start + offset, u.end + offset) for u in self.features.utterances)


@dataclass(frozen=True)
class Timeline:
    """The scene frame by frame: ``n`` frames at ``fps``; ``lines`` in order of start;
    ``speaking`` (characters, frames) own line active; ``speaker`` (frames,) the character whose
    active line began last (-1 none); ``partner`` (characters, frames) whom each looks at."""

    dialogue: Dialogue
    fps: float
    n: int
    lines: tuple[SpokenLine, ...]
    speaking: NDArray[np.bool_]
    speaker: NDArray[np.int64]
    partner: NDArray[np.int64]

    def own_features(self, who: int) -> SpeechFeatures:
        """Scene-length speech features of character ``who``'s own lines (silence elsewhere)."""
        fps, n = self.fps, self.n
        f0, rms, onset = np.zeros(n), np.zeros(n), np.zeros(n)
        voiced, speech = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        utterances: list[Utterance] = []
        for line in self.lines:
            if line.speaker != who:
                continue
            length = line.end - line.start
            part = slice(line.start, line.end)
            f = line.features
            f0[part], rms[part], onset[part] = f.f0_hz[:length], f.rms[:length], f.onset[:length]
            voiced[part], speech[part] = f.voiced[:length], f.speech[:length]
            utterances += [Utterance(u.start, min(u.end, line.end / fps)) for u in line.utterances if u.start < line.end / fps]
        return SpeechFeatures(fps=fps, f0_hz=f0, voiced=voiced, rms=rms, onset=onset, logmel=np.zeros((n, 0)), speech=speech, utterances=tuple(utterances))

    def anyone_speech(self) -> SpeechFeatures:
        """Scene-length features whose speech mask is anyone's speech (for blinks at pauses)."""
        n = self.n
        speech = np.zeros(n, dtype=bool)
        for line in self.lines:
            speech[line.start : line.end] |= line.features.speech[: line.end - line.start]
        zeros = np.zeros(n)
        return SpeechFeatures(fps=self.fps, f0_hz=zeros, voiced=np.zeros(n, dtype=bool), rms=zeros, onset=zeros, logmel=np.zeros((n, 0)),
                              speech=speech, utterances=())


def build_timeline(dialogue: Dialogue, rng: np.random.Generator) -> Timeline:
    """Speech features of every line (GazeError naming the line's audio when it cannot be read) and
    the per-frame speaking, speaker and partner tracks."""
    fps = dialogue.fps
    names = [c.name for c in dialogue.characters]
    placed: list[tuple[int, int, int, SpeechFeatures]] = []
    seeds = [entry.seed for entry in dialogue.lines]
    for i, entry in enumerate(dialogue.lines):
        try:
            check_audio_length(entry.audio, fps)
            features = speech_features(entry.audio, fps, keep_logmel=False)
        except GazeError as exc:
            raise GazeError(f"{dialogue.source}: lines[{i}].audio: {exc}") from None
        start = round(entry.start_s * fps)
        placed.append((names.index(entry.character), names.index(entry.addressee or ""), start, features))
    ends = [start + f.n_frames for _, _, start, f in placed]
    n = max(max(ends, default=0) + math.ceil(TAIL_S * fps), math.ceil((dialogue.end_s or 0.0) * fps - 1e-9))
    if n > MAX_TAKE_FRAMES:
        raise GazeError(f"{dialogue.source}: the scene runs {n} frames; a take holds at most {MAX_TAKE_FRAMES}")
    # A character's next line cuts its previous one short.
    lines: list[SpokenLine] = []
    for k, (talker, addressee, start, features) in enumerate(placed):
        end = ends[k]
        later = [s for (who, _, s, _) in placed[k + 1 :] if who == talker]
        if later:
            end = min(end, later[0])
        if end > start:
            lines.append(SpokenLine(speaker=talker, addressee=addressee, start=start, end=end, features=features, seed=seeds[k], entry=k))
    count = len(names)
    speaking = np.zeros((count, n), dtype=bool)
    speaker = np.full(n, -1, dtype=np.int64)
    # In order of start: a later line takes the speaker slot; where it ends first, the earlier
    # overlapping line keeps the frames after it.
    for line in lines:
        speaking[line.speaker, line.start : line.end] = True
        speaker[line.start : line.end] = line.speaker
    partner = np.stack([_partner_track(dialogue, lines, who=who, n=n, rng=rng) for who in range(count)])
    return Timeline(dialogue=dialogue, fps=fps, n=n, lines=tuple(lines), speaking=speaking, speaker=speaker, partner=partner)


def _partner_track(dialogue: Dialogue, lines: list[SpokenLine], *, who: int, n: int, rng: np.random.Generator) -> NDArray[np.int64]:
    """Whom character ``who`` looks at per frame: its addressee while it speaks; otherwise the
    speaker of the latest line by another, from a little before that line; after its own line, the
    one it spoke to (or whoever still speaks)."""
    fps = dialogue.fps
    names = [c.name for c in dialogue.characters]
    events: list[tuple[int, int]] = []
    previous: SpokenLine | None = None
    for line in lines:
        if line.speaker == who:
            # After its own line: whoever still speaks (the latest started), else the one it spoke to.
            still = [other.speaker for other in lines if other.speaker != who and other.start <= line.end < other.end]
            events.append((line.end, still[-1] if still else line.addressee))
        else:
            # The first point the turn before could end: the end of its last utterance.
            could_end = line.start
            if previous is not None and previous.speaker != line.speaker:
                spoken = previous.utterances
                if spoken:
                    could_end = min(could_end, max(previous.start, round(spoken[-1].end * fps)))
            lead = round(rng.uniform(*LISTENER_LEAD_S) * fps)
            floor = previous.start + 1 if previous is not None else 0
            events.append((max(floor, could_end - lead, 0), line.speaker))
        previous = line
    others = [line.speaker for line in lines if line.speaker != who]
    first = others[0] if others else names.index(dialogue.nearest(names[who]))
    track = np.full(n, first, dtype=np.int64)
    for frame, target in events:  # in line order: a turn to the next speaker wins over the end of one's own line
        if frame < n:
            track[frame:] = target
    # Own speech overrides: the addressee of the own line active (the latest one).
    for line in lines:
        if line.speaker == who:
            track[line.start : line.end] = line.addressee
    return track
