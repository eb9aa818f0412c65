"""The figures issue #27 asks of a performed dialogue, measured from the clips as keyed.

Gaze is read back from the clip (head rotation applied to the mean of the two eyes' directions),
so the figures see what an animator sees, fixational movements and blinks' eyes included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from model_runtime.clip import MotionClip
from model_runtime.conventions import direction_from_angles, head_matrix
from model_runtime.dialogue.timeline import Timeline
from model_runtime.performer.gaze import MAIN_SEQUENCE_VMAX_DEG_S
from model_runtime.performer.head import MAX_HEAD_SPEED_DEG_S

# Gaze within this angle (deg) of a partner's eyes is on them.
ON_EYES_DEG: Final[float] = 3.0
# Gaze further than this (deg) from the addressee looks away.
AWAY_DEG: Final[float] = 5.0
# A head-pitch speed peak above this (deg/s) is a nod.
NOD_SPEED_DEG_S: Final[float] = 15.0
NOD_WINDOW_S: Final[float] = 0.5
SLOT_WINDOW_S: Final[float] = 0.6


@dataclass(frozen=True)
class Figures:
    """listener_on_speaker / speaker_on_addressee: per character, share of listening / speaking
    frames with the gaze within :data:`ON_EYES_DEG` of the partner's eyes; nod_ratio: nods within
    :data:`NOD_WINDOW_S` after the speaker's phrase ends, over the same at circularly shifted
    times; end_on_addressee: share of turns whose last 0.5 s the speaker is on its addressee;
    start_away: share of turns over 2 s whose speaker looks away within the first second;
    max_head_step / max_gaze_step: largest frame-to-frame step (deg) within 0.5 s of a line
    boundary, and the bounds (the engine's own speed limits per frame); blink rates per minute
    speaking and listening; slot_blink_ratio: share of the speaker's phrase ends followed within
    :data:`SLOT_WINDOW_S` by a listener's blink, over the same with the blinks circularly shifted
    within listening time; away_elevation_deg and away_down_share: (speaking, listening) mean
    angle above or below the horizontal (deg, 0 sideways, 90 straight up or down) of the gaze's
    offset from the partner where over :data:`AWAY_DEG`, and the share of those frames below it."""

    listener_on_speaker: dict[str, float]
    speaker_on_addressee: dict[str, float]
    nod_ratio: float
    end_on_addressee: float
    start_away: float
    max_head_step: float
    head_step_bound: float
    max_gaze_step: float
    gaze_step_bound: float
    blinks_speaking_per_min: float
    blinks_listening_per_min: float
    slot_blink_ratio: float
    away_elevation_deg: tuple[float, float]
    away_down_share: tuple[float, float]


def world_gaze(clip: MotionClip) -> NDArray[np.float64]:
    """(frames, 3) unit gaze directions in the character frame."""
    eyes = (clip.left_eye + clip.right_eye) / 2.0
    head = clip.head
    rotation = head_matrix(head[:, 0], head[:, 1], head[:, 2])
    out: NDArray[np.float64] = np.einsum("nij,nj->ni", rotation, direction_from_angles(eyes[:, 0], eyes[:, 1]))
    return out


def measure(timeline: Timeline, clips: dict[str, MotionClip], rng: np.random.Generator | None = None) -> Figures:
    """The figures for ``clips`` performed from ``timeline``."""
    rng = rng or np.random.default_rng(0)
    dialogue, fps, n = timeline.dialogue, timeline.fps, timeline.n
    names = [c.name for c in dialogue.characters]
    gaze = {name: world_gaze(clips[name]) for name in names}
    times = np.arange(n) / fps
    looks = {(a, b): dialogue.looks(a, b, times) for a in names for b in names if a != b}  # (frames, 3): characters may move
    off = {}  # (viewer, target) -> (frames,) angle deg
    for (a, b), look in looks.items():
        towards = direction_from_angles(look[:, 0], look[:, 1])
        off[a, b] = np.degrees(np.arccos(np.clip(np.sum(gaze[a] * towards, axis=1), -1.0, 1.0)))
    listening: dict[str, float] = {}
    speaking_on: dict[str, float] = {}
    for who, name in enumerate(names):
        speaker = timeline.speaker
        mask = ~timeline.speaking[who] & (speaker >= 0)
        hits = [off[name, names[s]][t] <= ON_EYES_DEG for t, s in zip(np.flatnonzero(mask), speaker[mask], strict=True)]
        listening[name] = float(np.mean(hits)) if hits else float("nan")
        spoken = [off[name, names[line.addressee]][line.start : line.end] <= ON_EYES_DEG for line in timeline.lines if line.speaker == who]
        speaking_on[name] = float(np.mean(np.concatenate(spoken))) if spoken else float("nan")

    # Turns: lines whose speaker differs from the line before.
    turns = [line for k, line in enumerate(timeline.lines) if k == 0 or timeline.lines[k - 1].speaker != line.speaker]
    ends = [bool(np.all(off[names[line.speaker], names[line.addressee]][max(line.start, line.end - round(0.5 * fps)) : line.end] <= AWAY_DEG))
            for line in timeline.lines]
    long_turns = [line for line in turns[1:] if (line.end - line.start) / fps > 2.0]
    starts = [bool(np.any(off[names[line.speaker], names[line.addressee]][line.start : line.start + round(fps)] > AWAY_DEG)) for line in long_turns]

    # Nods: head-pitch speed peaks of listeners after the speaker's phrase ends, on the axis of
    # each character's listening frames (so chance is shifts within listening, never speaking).
    hits_real, hits_shifted = 0.0, 0.0
    for who, name in enumerate(names):
        listening_frames = np.flatnonzero(~timeline.speaking[who])
        m = listening_frames.size
        if m < round(4 * fps):
            continue
        speed = np.abs(np.gradient(clips[name].head[:, 0]) * fps)[listening_frames]
        peak = np.zeros(m, dtype=bool)
        peak[1:-1] = (speed[1:-1] > NOD_SPEED_DEG_S) & (speed[1:-1] >= speed[:-2]) & (speed[1:-1] > speed[2:])
        end_frames = [round(u.end * fps) for line in timeline.lines if line.speaker != who for u in line.utterances]
        ends_here = np.array([np.searchsorted(listening_frames, f) for f in end_frames if f < n and not timeline.speaking[who, f]], dtype=np.int64)
        if ends_here.size == 0:
            continue
        window = round(NOD_WINDOW_S * fps)
        cumulative = np.concatenate([[0], np.cumsum(peak)])

        def hit_share(frames: NDArray[np.int64], cumulative: NDArray[np.int64] = cumulative, m: int = m, window: int = window) -> float:
            first = np.clip(frames, 0, m)
            last = np.clip(frames + window + 1, 0, m)
            return float(np.mean(cumulative[last] - cumulative[first] > 0))

        shifts = rng.integers(round(2 * fps), m - round(2 * fps), size=50)
        hits_real += hit_share(ends_here)
        hits_shifted += float(np.mean([hit_share((ends_here + s) % m) for s in shifts]))

    # Steps near line boundaries.
    edges = sorted({frame for line in timeline.lines for frame in (line.start, line.end)})
    near = np.zeros(n, dtype=bool)
    for frame in edges:
        near[max(0, frame - round(0.5 * fps)) : frame + round(0.5 * fps)] = True
    near = near[1:]
    head_step = max(float(np.max(np.linalg.norm(np.diff(clips[name].head, axis=0), axis=1)[near], initial=0.0)) for name in names)
    gaze_step = max(float(np.max(np.degrees(np.arccos(np.clip(np.sum(gaze[name][1:] * gaze[name][:-1], axis=1), -1.0, 1.0)))[near], initial=0.0))
                    for name in names)

    slot_real, slot_shifted = 0.0, 0.0
    for who, name in enumerate(names):
        listening_frames = np.flatnonzero(~timeline.speaking[who])
        m = listening_frames.size
        closed = clips[name].blinks.max(axis=1) > 0.5
        onsets = np.flatnonzero(np.diff(closed.astype(np.int8)) == 1) + 1
        onsets = np.searchsorted(listening_frames, onsets[~timeline.speaking[who][onsets]])
        end_frames = [round(u.end * fps) for line in timeline.lines if line.speaker != who for u in line.utterances if u.duration >= 0.4]
        ends_here = np.array([np.searchsorted(listening_frames, f) for f in end_frames if f < n and not timeline.speaking[who, f]], dtype=np.int64)
        if ends_here.size == 0 or onsets.size == 0 or m < round(4 * fps):
            continue

        def followed(blinks: NDArray[np.int64], ends: NDArray[np.int64] = ends_here) -> float:
            gaps = blinks[None, :] - ends[:, None]
            return float(np.mean(np.any((gaps >= 0) & (gaps <= round(SLOT_WINDOW_S * fps)), axis=1)))

        slot_real += followed(onsets)
        slot_shifted += float(np.mean([followed((onsets + s) % m) for s in rng.integers(round(2 * fps), m - round(2 * fps), size=50)]))

    elevation: dict[bool, list[float]] = {True: [], False: []}
    for who, name in enumerate(names):
        looking_at = timeline.partner[who]
        towards = np.zeros((n, 2))
        for other, other_name in enumerate(names):
            if other_name != name:
                towards[looking_at == other] = looks[name, other_name][looking_at == other, :2]
        gaze_pitch = np.degrees(np.arcsin(np.clip(gaze[name][:, 1], -1.0, 1.0)))
        gaze_yaw = np.degrees(np.arctan2(gaze[name][:, 0], gaze[name][:, 2]))
        d_pitch = gaze_pitch - towards[:, 0]
        d_yaw = gaze_yaw - towards[:, 1]
        away = np.hypot(d_pitch, d_yaw) > AWAY_DEG
        for role in (True, False):
            frames = away & (timeline.speaking[who] == role)
            elevation[role] += list(np.degrees(np.arctan2(d_pitch[frames], np.abs(d_yaw[frames]))))

    speaking_blinks, speaking_time, listening_blinks, listening_time = 0, 0.0, 0, 0.0
    for who, name in enumerate(names):
        closed = clips[name].blinks.max(axis=1) > 0.5
        onsets = np.flatnonzero(np.diff(closed.astype(np.int8)) == 1) + 1
        role = timeline.speaking[who]
        speaking_blinks += int(np.sum(role[onsets]))
        listening_blinks += int(np.sum(~role[onsets]))
        speaking_time += float(np.sum(role)) / fps
        listening_time += float(np.sum(~role)) / fps
    return Figures(
        listener_on_speaker=listening,
        speaker_on_addressee=speaking_on,
        nod_ratio=hits_real / max(hits_shifted, 1e-9),
        end_on_addressee=float(np.mean(ends)) if ends else float("nan"),
        start_away=float(np.mean(starts)) if starts else float("nan"),
        max_head_step=head_step,
        head_step_bound=MAX_HEAD_SPEED_DEG_S / fps,
        max_gaze_step=gaze_step,
        gaze_step_bound=MAIN_SEQUENCE_VMAX_DEG_S / fps,
        blinks_speaking_per_min=60.0 * speaking_blinks / max(speaking_time, 1e-9),
        blinks_listening_per_min=60.0 * listening_blinks / max(listening_time, 1e-9),
        slot_blink_ratio=slot_real / max(slot_shifted, 1e-9),
        away_elevation_deg=(float(np.mean(np.abs(elevation[True]))), float(np.mean(np.abs(elevation[False])))),
        away_down_share=(float(np.mean(np.array(elevation[True]) < 0.0)), float(np.mean(np.array(elevation[False]) < 0.0))),
    )
