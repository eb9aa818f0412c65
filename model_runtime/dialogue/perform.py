"""A dialogue performed: one continuous clip per character, speaking, listening and idle.

Per character the procedural performer plans two performances over the whole scene, one as a
speaker (its own speech, its style) and one as a listener (:func:`listener_style`: more gaze at
the partner, small face saccades, looks away more often downward, less head motion, fewer and
longer blinks). Each frame takes the one for what the character does then; the world gaze is the
direction of the partner (:mod:`.timeline`) plus that performance's offset, and every boundary
between them is crossed by one main-sequence saccade, the head by its usual smooth follow. On top
(REFERENCES.md, "Conversation: listening and turn-taking"):

* a speaker is on its addressee over the last :data:`END_ON_ADDRESSEE_S` of each line;
* a new speaker looks away (sideways) as a turn of over :data:`LONG_TURN_S` starts, in
  :data:`TURN_START_AVERSION_CHANCE` of turns;
* a listener is on the new speaker for the first :data:`SETTLE_S` after turning to it;
* listeners nod quickly (2.6-6.5 Hz, Hale et al. 2020) just after the speaker's phrase ends;
* listening blinks are fewer (0.6 of the rate) and longer; most fall in the feedback slot just
  after the speaker's phrase ends, some of them long (Homke et al. 2018).

With ``engine="learned"`` a speaker's gaze and head while it says its lines come from the learned
engine (:mod:`.learned_speaking`) instead of the speaking plan; everything else is as above.

The result ends in the shared finishing stage (:func:`model_runtime.finishing.finish`), so eyes,
vergence, fixational movements and lids are as for the engines.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

import numpy as np
from numpy.typing import NDArray

from model_runtime.audio.types import SpeechFeatures
from model_runtime.clip import MotionClip
from model_runtime.conventions import BLINKS
from model_runtime.dialogue.learned_speaking import Speaking
from model_runtime.dialogue.scene import Dialogue
from model_runtime.dialogue.timeline import Timeline, build_timeline
from model_runtime.errors import GazeError
from model_runtime.finishing import Finish, finish
from model_runtime.generate import ENGINES, Controls, Progress
from model_runtime.inputs import StyleInput, resolve_style
from model_runtime.performer.blinks import PARTIAL_DEPTH, blink_shape, sample_blinks
from model_runtime.performer.gaze import FACE_RADIUS_DEG, plan_gaze, saccade_duration_s, saccade_profile
from model_runtime.performer.head import causal_filter, facing, follow_basis, follow_kernel, prosody_head, shift_activity
from model_runtime.performer.style import PerformerStyle

__all__ = ["listener_style", "perform_dialogue", "perform_timeline"]

END_ON_ADDRESSEE_S: Final[float] = 0.6
LONG_TURN_S: Final[float] = 1.5
TURN_START_AVERSION_CHANCE: Final[float] = 0.85
_TURN_AVERSION_S: Final[tuple[float, float]] = (0.6, 1.3)
_TURN_AVERSION_YAW_DEG: Final[tuple[float, float]] = (9.0, 16.0)
SETTLE_S: Final[float] = 0.6
# A listener's looks away keep this share of their sideways extent (more diagonal and vertical).
LISTENER_AVERSION_YAW_SHARE: Final[float] = 0.7
# Listener's head turns this share of the way a speaker's would towards its partner.
LISTENER_FACING_SHARE: Final[float] = 0.6
# Backchannel nods: chance per phrase end, delay after it (s), rate (Hz) and depth (deg).
NOD_CHANCE: Final[float] = 0.75
_NOD_DELAY_S: Final[tuple[float, float]] = (0.05, 0.25)
NOD_RATE_HZ: Final[tuple[float, float]] = (2.6, 6.5)
_NOD_DEPTH_DEG: Final[tuple[float, float]] = (2.0, 4.0)
_MIN_PHRASE_S: Final[float] = 0.4
# How long (s) the speaking and listening head motions cross-fade at a change of role.
_ROLE_FADE_S: Final[float] = 0.4
_STEP_DEG: Final[float] = 0.3
# Listener blinks in feedback slots: chance per slot, share of long ones and their length (s),
# least gap (s) between two (Homke et al. 2018: short about 208 ms, long about 607 ms).
SLOT_BLINK_CHANCE: Final[float] = 0.6
LONG_BLINK_SHARE: Final[float] = 0.3
_LONG_BLINK_S: Final[tuple[float, float]] = (0.5, 0.7)
_SLOT_GAP_S: Final[float] = 0.8
# A line performed with its own seed cross-fades into the scene's performance over this long (s) on either side.
SPLICE_FADE_S: Final[float] = 0.25
# Time constant (s) of the head's turn towards a new partner: the gaze-following response, slower,
# as a whole-head turn of 30-60 deg peaks near 150 deg/s.
_PARTNER_TURN_TAU_S: Final[float] = 0.11
DEFAULT_CONTROLS: Final[Controls] = Controls()
_LEARNED_STREAM: Final = 0x1EA  # the learned speaking draws from this child of a character's stream


def listener_style(style: PerformerStyle) -> PerformerStyle:
    """The listening counterpart of a speaking style: about three quarters of the time on the speaker
    (Argyle & Cook: 75%), small face saccades, looks away more often down and diagonal, a quieter
    head, blinks at 0.6 of the rate (speaking raises it, Brych et al. 2021) and longer."""
    return replace(
        style,
        mutual_gaze_pausing=0.76,
        aversion_up_share=min(style.aversion_up_share, 0.2),
        aversion_amplitude_deg=min(style.aversion_amplitude_deg, 12.0),
        aversion_duration_s=min(style.aversion_duration_s, 0.6),
        saccade_amplitude_deg=min(style.saccade_amplitude_deg, 1.2),
        saccade_rate_hz=min(style.saccade_rate_hz, 1.2),
        head_pitch_deg=0.5 * style.head_pitch_deg,
        head_yaw_deg=0.5 * style.head_yaw_deg,
        head_roll_deg=0.5 * style.head_roll_deg,
        blink_rate_per_min=0.6 * style.blink_rate_per_min,
        blink_duration_s=max(style.blink_duration_s, 0.32),
    ).clamped()


def perform_dialogue(
    dialogue: Dialogue,
    *,
    engine: str = "procedural",
    seed: int = 0,
    style: StyleInput = None,
    controls: Controls = DEFAULT_CONTROLS,
    progress: Progress | None = None,
    only: str | None = None,
) -> dict[str, MotionClip]:
    """One clip per character name, all at ``dialogue.fps``, from scene time 0 to the scene's end
    (a second after the last line ends, or ``dialogue.end_s`` if later); with ``only``, that
    character's clip alone (the same as in the whole scene's: each character draws from its own stream).

    ``style``: every character's style unless its own ``Character.style`` is set (as for
    :func:`model_runtime.generate.generate`). ``controls``: head and gaze intensity and the
    speaking blink rate apply (listening blinks at 0.6 of it); the look-at fields are ignored, the
    characters' positions decide where each looks. ``progress``: called with the fraction done.
    ``engine``: "procedural", or "learned" for the speakers' own lines (the learned engine on each
    line's audio; listening, turn-taking and blinks stay the performer's). The same inputs and seed
    give the same clips.
    """
    if engine not in ENGINES:
        raise GazeError(f"dialogue scenes are performed by the {' or '.join(ENGINES)} engine; got engine {engine!r}")
    controls = controls.validated()
    dialogue = dialogue.validated()
    if only is not None:
        dialogue.character(only)  # GazeError naming the characters
    report = progress or (lambda fraction: None)
    report(0.0)
    streams = np.random.SeedSequence([int(seed) & 0xFFFFFFFF, int(seed) >> 32 & 0xFFFFFFFF]).spawn(len(dialogue.characters) + 1)
    timeline = build_timeline(dialogue, np.random.default_rng(streams[0]))
    report(0.5)
    clips = perform_timeline(timeline, streams[1:], style=style, controls=controls, engine=engine, progress=lambda fraction: report(0.5 + 0.5 * fraction), only=only)
    report(1.0)
    return clips


def perform_timeline(
    timeline: Timeline, streams: list[np.random.SeedSequence], *, style: StyleInput = None, controls: Controls = DEFAULT_CONTROLS,
    engine: str = "procedural", progress: Progress | None = None, only: str | None = None,
) -> dict[str, MotionClip]:
    """:func:`perform_dialogue` for a built timeline, one seed stream per character."""
    clips = {}
    scene_speech = timeline.anyone_speech()
    count = len(timeline.dialogue.characters)
    for who, character in enumerate(timeline.dialogue.characters):
        if only is not None and character.name != only:
            continue
        given = character.style if character.style is not None else style
        try:
            own_style = resolve_style(given)
        except GazeError as exc:
            raise GazeError(f"{timeline.dialogue.source}: characters[{who}].style: {exc}") from None
        how = _Role(timeline, who, own_style, given, engine, scene_speech, controls)
        data = how.perform(streams[who])
        for line in timeline.lines:
            if line.speaker == who and line.seed is not None:
                # The line's own performance: the character performed with the line's seed, cut in over the line.
                data = _splice(data, how.perform(np.random.SeedSequence(streams[who].entropy, spawn_key=(*streams[who].spawn_key, 1 << 32, line.seed))),
                               line.start, line.end, timeline.fps)  # fmt: skip
        if progress is not None:
            progress((who + 1) / count)
        meta = {"made_by": "performer", "engine": engine, "dialogue": timeline.dialogue.source, "character": character.name}
        clips[character.name] = MotionClip(fps=timeline.fps, data=np.nan_to_num(data), meta=meta)
    return clips


@dataclass(frozen=True)
class _Gaze:
    """A character's planned gaze over the scene: ``world`` (frames, 2) pitch, yaw in its frame;
    ``offsets`` and ``spots`` (frames, 2) from its partner (as :class:`~model_runtime.performer.gaze.GazePlan`);
    ``shifts`` (k, 2) time s, amplitude deg of its gaze shifts; ``distance_m`` the typical distance of its partners."""

    world: NDArray[np.float64]
    offsets: NDArray[np.float64]
    spots: NDArray[np.float64]
    shifts: NDArray[np.float64]
    distance_m: float


@dataclass(frozen=True)
class _Role:
    """What performing one character takes, but for its seed stream: :meth:`perform` with one."""

    timeline: Timeline
    who: int
    style: PerformerStyle
    given: StyleInput  # the style as given: the learned engine encodes it itself
    engine: str
    scene_speech: SpeechFeatures
    controls: Controls

    def perform(self, stream: np.random.SeedSequence) -> NDArray[np.float64]:
        speaking = None
        if self.engine == "learned":
            from model_runtime.dialogue.learned_speaking import learned_speaking

            learned_stream = np.random.SeedSequence(stream.entropy, spawn_key=(*stream.spawn_key, _LEARNED_STREAM))
            speaking = learned_speaking(self.timeline, self.who, self.given, learned_stream, self.controls.gaze_intensity)
        return _perform_character(self.timeline, self.who, self.style, stream=stream, scene_speech=self.scene_speech, controls=self.controls, speaking=speaking)


def _perform_character(
    timeline: Timeline, who: int, style: PerformerStyle, *, stream: np.random.SeedSequence, scene_speech: SpeechFeatures, controls: Controls,
    speaking: Speaking | None = None,
) -> NDArray[np.float64]:
    """The clip data (frames, 9) of character ``who``: gaze planned, head, the finishing stage, blinks
    by role; ``speaking``: its own lines as the learned engine performs them (None: the performer's).
    The procedural path draws exactly as before the learned one existed (same streams, same order)."""
    fps, n = timeline.fps, timeline.n
    rate = controls.blink_rate_per_min
    style = (style if rate is None or rate <= 0.0 else replace(style, blink_rate_per_min=rate)).clamped()
    listening_style = listener_style(style)
    rngs = [np.random.default_rng(s) for s in stream.spawn(9)]
    own = timeline.own_features(who)
    silent = replace(own, speech=np.zeros(n, dtype=bool), utterances=(), rms=np.zeros(n), f0_hz=np.zeros(n), voiced=np.zeros(n, dtype=bool))
    gaze = _plan(timeline, who, (own, silent), (style, listening_style), rngs=rngs[:3], gaze_scale=controls.gaze_intensity, learned=speaking)

    role = _fade(timeline.speaking[who].astype(np.float64), fps)
    speaking_head = prosody_head(own, fps, style, rngs[3], busy=shift_activity(gaze.spots, fps)) if speaking is None else speaking.head
    head = speaking_head * role[:, None]
    head += (prosody_head(silent, fps, listening_style, rngs[4]) + _nods(timeline, who, rngs[5])) * (1.0 - role[:, None])
    head_share = min(2.0, max(0.0, controls.head_intensity))
    head *= head_share
    share = role + LISTENER_FACING_SHARE * (1.0 - role)
    smooth_target = causal_filter(gaze.world - gaze.offsets, follow_kernel(fps, _PARTNER_TURN_TAU_S))
    head[:, :2] += (facing(smooth_target) * share[:, None] + style.head_mover * follow_basis(gaze.spots, gaze.offsets, fps)) * min(1.0, head_share)

    # The finishing stage draws no blinks here (rate 0, so its blink stream stays untouched):
    # they are drawn by role below, from that same stream.
    how = Finish(blink_style=style, gaze_shifts=gaze.shifts, blink_rate_per_min=0.0, look_at_distance_m=gaze.distance_m,
                 fixational_scale=controls.gaze_intensity)
    data = finish(head, gaze.world, scene_speech, fps, how=how, rngs=(rngs[6], rngs[7], rngs[8]))
    if rate is not None and rate <= 0.0:
        return data
    slots = np.array(sorted(end + rngs[2].uniform(*_NOD_DELAY_S) for end in _phrase_ends(timeline, who)))
    blinks = _role_blinks((own, scene_speech), fps, timeline.speaking[who], (style, listening_style), shifts=gaze.shifts, rng=rngs[6], slots=slots)
    data[:, BLINKS] = np.maximum(data[:, BLINKS], blinks)
    return data


def _plan(
    timeline: Timeline, who: int, features: tuple[SpeechFeatures, SpeechFeatures], styles: tuple[PerformerStyle, PerformerStyle], *,
    rngs: list[np.random.Generator], gaze_scale: float, learned: Speaking | None = None,
) -> _Gaze:
    """Character ``who``'s gaze: the speaking plan (``features[0]``, ``styles[0]``; or ``learned``,
    the learned engine's) where it speaks, the listening plan elsewhere, towards its partner, with
    the turn-taking looks placed and every boundary crossed by a saccade."""
    fps, n = timeline.fps, timeline.n
    speaking = timeline.speaking[who]
    if learned is None:
        speak_plan = plan_gaze(features[0], fps, styles[0], rngs[0], gaze_scale=gaze_scale)
        speak_gaze, speak_spot, speak_shifts = speak_plan.gaze, speak_plan.spot, speak_plan.shifts
    else:  # the learned gaze is its own spot: it has no separate fixational layer
        speak_gaze, speak_spot, speak_shifts = learned.gaze, learned.gaze, learned.shifts
    listen_plan = plan_gaze(features[1], fps, styles[1], rngs[1], gaze_scale=gaze_scale)
    # A listener's looks away are more diagonal than a speaker's sideways ones (Acarturk et al. 2021).
    narrow = np.array([1.0, LISTENER_AVERSION_YAW_SHARE])
    offsets = np.where(speaking[:, None], speak_gaze, listen_plan.gaze * narrow)
    spots = np.where(speaking[:, None], speak_spot, listen_plan.spot * narrow)
    boundaries: set[int] = set((np.flatnonzero(np.diff(speaking.astype(np.int8))) + 1).tolist())
    shifts = [s for s in speak_shifts if speaking[min(n - 1, round(s[0] * fps))]]
    shifts += [s for s in listen_plan.shifts if not speaking[min(n - 1, round(s[0] * fps))]]

    partner = timeline.partner[who]
    names = [c.name for c in timeline.dialogue.characters]
    # Where each partner's eyes are from this character's, frame by frame (characters may move).
    times = np.arange(n) / fps
    looks = np.zeros((n, 3))
    for other in set(partner.tolist()):
        mine = partner == other
        looks[mine] = timeline.dialogue.looks(names[who], names[other], times[mine])
    target = looks[:, :2]
    switches = np.flatnonzero(partner[1:] != partner[:-1]) + 1
    boundaries |= set(switches.tolist())
    for frame in switches.tolist():
        shifts.append(np.array([frame / fps, float(np.linalg.norm(target[frame] - target[frame - 1]))]))
        if not speaking[frame]:  # a listener settles on the new speaker
            _on_face(offsets, spots, frame, frame + round(SETTLE_S * fps), boundaries)

    rng = rngs[2]
    for line in timeline.lines:
        if line.speaker != who:
            continue
        _on_face(offsets, spots, line.end - round(END_ON_ADDRESSEE_S * fps), line.end, boundaries)
        turn_change = all(not (other.speaker == who and other.start < line.start <= other.end + round(0.3 * fps)) for other in timeline.lines)
        if turn_change and (line.end - line.start) / fps > LONG_TURN_S and rng.random() < TURN_START_AVERSION_CHANCE:
            first = max(0, line.start - round(0.1 * fps))
            last = min(line.end - round(END_ON_ADDRESSEE_S * fps), line.start + round(rng.uniform(*_TURN_AVERSION_S) * fps))
            if last > first:
                away = gaze_scale * np.array([rng.uniform(-4.0, 2.0), rng.choice((-1.0, 1.0)) * rng.uniform(*_TURN_AVERSION_YAW_DEG)])
                offsets[first:last] = away
                spots[first:last] = away
                boundaries |= {first, last}
                shifts.append(np.array([first / fps, float(np.linalg.norm(away))]))

    world = _saccades_at(target + offsets, sorted(b for b in boundaries if 0 < b < n), fps)
    distance = float(np.mean(looks[:, 2])) if n else 1.0
    return _Gaze(world=world, offsets=offsets, spots=spots, shifts=np.array(shifts).reshape(-1, 2), distance_m=distance)


def _on_face(offsets: NDArray[np.float64], spots: NDArray[np.float64], first: int, last: int, boundaries: set[int]) -> None:
    """Over frames [first, last) keep the gaze within the face area (looks away there are cut)."""
    first, last = max(0, first), min(len(offsets), last)
    if last <= first:
        return
    part = offsets[first:last]
    outside = np.linalg.norm(part, axis=1) > FACE_RADIUS_DEG
    if np.any(outside):
        part[outside] = 0.0
        spots[first:last] = 0.0
        boundaries |= {first, last}


def _saccades_at(raw: NDArray[np.float64], boundaries: list[int], fps: float) -> NDArray[np.float64]:
    """``raw`` (frames, 2) with each step at a boundary frame made into a main-sequence saccade."""
    out = raw.copy()
    n = len(out)
    for b in boundaries:
        start = out[b - 1].copy()
        step = float(np.linalg.norm(raw[b] - start))
        if step < _STEP_DEG:
            continue
        frames = max(1, int(np.ceil(saccade_duration_s(np.array([step]))[0] * fps)))
        span = np.arange(b, min(n, b + frames + 1))
        progress = saccade_profile((span - b + 1) / (frames + 1))
        out[span] = start + (raw[span] - start) * progress[:, None]
    return out


def _fade(mask: NDArray[np.float64], fps: float) -> NDArray[np.float64]:
    """A 0/1 track (frames,) smoothed into ramps of about :data:`_ROLE_FADE_S`."""
    width = max(3, round(_ROLE_FADE_S * fps))
    window = np.hanning(width + 2)[1:-1]
    window /= window.sum()
    pad = np.concatenate([np.full(width, mask[0] if mask.size else 0.0), mask, np.full(width, mask[-1] if mask.size else 0.0)])
    out: NDArray[np.float64] = np.convolve(pad, window, mode="same")[width : width + mask.size]
    return out


def _phrase_ends(timeline: Timeline, who: int) -> list[float]:
    """Scene times (s) of the others' phrase ends (utterances of at least :data:`_MIN_PHRASE_S`)
    while ``who`` is not speaking: the listener's feedback slots."""
    n = timeline.n
    return [u.end for line in timeline.lines if line.speaker != who for u in line.utterances
            if u.duration >= _MIN_PHRASE_S and not timeline.speaking[who, min(n - 1, round(u.end * timeline.fps))]]


def _nods(timeline: Timeline, who: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """(frames, 3) quick backchannel nods (pitch, chin down) just after others' phrase ends while ``who`` listens."""
    fps, n = timeline.fps, timeline.n
    out = np.zeros((n, 3))
    for line in timeline.lines:
        if line.speaker == who:
            continue
        for utterance in line.utterances:
            if utterance.duration < _MIN_PHRASE_S or rng.random() > NOD_CHANCE:
                continue
            start = utterance.end + rng.uniform(*_NOD_DELAY_S)
            frame = round(start * fps)
            if frame >= n or timeline.speaking[who, min(n - 1, frame)]:
                continue
            rate = rng.uniform(*NOD_RATE_HZ)
            cycles = int(rng.integers(1, 3))
            depth = rng.uniform(*_NOD_DEPTH_DEG)
            t = np.arange(frame, min(n, frame + round(cycles / rate * fps) + 1)) / fps - start
            out[frame : frame + t.size, 0] -= depth * 0.5 * (1.0 - np.cos(2.0 * np.pi * rate * np.clip(t, 0.0, cycles / rate)))
    return out


def _blinks_peaking(closure: NDArray[np.float64], where: NDArray[np.bool_]) -> NDArray[np.float64]:
    """The blinks of ``closure`` (frames, 2) whose deepest frame falls where ``where`` (frames,) holds (others removed)."""
    out = np.zeros_like(closure)
    closed = closure.max(axis=1) > 0.0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], closed.astype(np.int8), [0]])))
    for first, last in zip(edges[::2], edges[1::2], strict=True):
        if where[first + int(np.argmax(closure[first:last].max(axis=1)))]:
            out[first:last] = closure[first:last]
    return out


def _splice(base: NDArray[np.float64], variant: NDArray[np.float64], first: int, last: int, fps: float) -> NDArray[np.float64]:
    """``base`` (frames, channels) with ``variant`` over frames [first, last): head and eyes
    cross-fade over :data:`SPLICE_FADE_S` on either side, each blink comes whole from the one its
    deepest frame belongs to. Frames further away are ``base``'s, untouched."""
    n = len(base)
    fade = max(1, round(SPLICE_FADE_S * fps))
    weight = np.zeros(n)
    weight[max(0, first) : min(n, last)] = 1.0
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(1, fade + 1) / (fade + 1))
    before = np.arange(first - fade, first)
    after = np.arange(last, last + fade)
    weight[before[(before >= 0) & (before < n)]] = ramp[(before >= 0) & (before < n)]
    weight[after[(after >= 0) & (after < n)]] = ramp[::-1][(after >= 0) & (after < n)]
    out = base * (1.0 - weight[:, None]) + variant * weight[:, None]
    inside = weight >= 0.5
    out[:, BLINKS] = np.maximum(_blinks_peaking(base[:, BLINKS], ~inside), _blinks_peaking(variant[:, BLINKS], inside))
    return out


def _role_blinks(
    speech: tuple[SpeechFeatures, SpeechFeatures], fps: float, speaking: NDArray[np.bool_], styles: tuple[PerformerStyle, PerformerStyle], *,
    shifts: NDArray[np.float64], rng: np.random.Generator, slots: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Blinks (frames, 2): drawn for the whole scene with the speaking style (pulled to the
    character's own pauses, ``speech[0]``) and with the listening style (pulled to anyone's,
    ``speech[1]``), each kept where its deepest frame falls in that role; listening blinks go first into
    the feedback slots (``slots``, scene seconds just after the speaker's phrase ends: see
    :func:`_slot_blinks`), and the listening draw only tops them up to the listening rate."""
    n = speech[0].n_frames
    out = np.zeros((n, 2))
    speaking_style, listening_style = styles
    listening_minutes = float(np.sum(~speaking)) / fps / 60.0
    slotted, slot_times = _slot_blinks(slots, n, fps, listening_style, rng, budget=listening_style.blink_rate_per_min * listening_minutes)
    out = np.maximum(out, slotted)
    top_up = listening_style.blink_rate_per_min * max(0.0, 1.0 - slot_times.size / max(1e-9, listening_style.blink_rate_per_min * listening_minutes))
    for role, features, blink_style, rate in ((True, speech[0], speaking_style, None), (False, speech[1], listening_style, top_up)):
        closure = sample_blinks(features, fps, blink_style, rng, gaze_shifts=shifts, rate_per_min=rate)
        in_role = speaking == role
        if not role and slot_times.size:  # no second blink near a feedback-slot blink
            in_role &= _apart_from(np.arange(n) / fps, slot_times, _SLOT_GAP_S)
        out = np.maximum(out, _blinks_peaking(closure, in_role))
    return out


def _apart_from(times: NDArray[np.float64], marks: NDArray[np.float64], gap: float) -> NDArray[np.bool_]:
    """Per time (n,): whether the nearest of the sorted ``marks`` is at least ``gap`` away."""
    at = np.searchsorted(marks, times)
    before = np.abs(times - marks[np.clip(at - 1, 0, len(marks) - 1)])
    after = np.abs(marks[np.clip(at, 0, len(marks) - 1)] - times)
    out: NDArray[np.bool_] = np.minimum(before, after) >= gap
    return out


def _slot_blinks(
    slots: NDArray[np.float64], n: int, fps: float, style: PerformerStyle, rng: np.random.Generator, *, budget: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Listener blinks in feedback slots (Homke et al. 2018): in :data:`SLOT_BLINK_CHANCE` of the
    slots, at most ``budget`` of them, each short (about the style's length) or, in
    :data:`LONG_BLINK_SHARE`, long (about 0.6 s). Closure (frames, 2) and the blinks' start times (s)."""
    out = np.zeros((n, 2))
    times: list[float] = []
    for slot in slots:
        if len(times) >= budget or rng.random() > SLOT_BLINK_CHANCE or (times and slot - times[-1] < _SLOT_GAP_S):
            continue
        length = rng.uniform(*_LONG_BLINK_S) if rng.random() < LONG_BLINK_SHARE else style.blink_duration_s * rng.uniform(0.7, 1.2)
        first = max(0, int(np.ceil(slot * fps)))
        last = min(n, int(np.floor((slot + length) * fps)) + 1)
        if last >= n - 1 or last <= first:
            continue
        shape = blink_shape((np.arange(first, last) / fps - slot) / length)
        depth = 1.0 if rng.random() >= style.partial_blink_share else rng.uniform(*PARTIAL_DEPTH)
        out[first:last] = np.maximum(out[first:last], depth * shape[:, None] * np.array([1.0, rng.uniform(0.92, 1.0)]))
        times.append(float(slot))
    return out, np.array(times)
