"""A whole conversation in one go: every character of the scene speaking its lines and listening to
the others' (:mod:`model_runtime.dialogue`), keyed as one take per character on the gaze layer.

Who says a line: the sound strip's custom property ``gaze_character`` (set in the panel), else the
armature whose name begins the strip's name ("Ann: hello", "Ann_012", case ignored, the longest
name wins). Every armature the add-on can map takes part, speaking or only listening. A strip's
``gaze_seed`` gives its line a performance of its own (:func:`regenerate_line` sets it): the
speaker's motion around that line changes, nothing else. Where each
character stands and faces comes from its rig: the point between its eyes in the world and its
forward, carried by the object and the rig's top bone (root or hips) as they are animated, frame
by frame: characters may walk and turn during the conversation, and the others' eyes follow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from model_runtime.errors import GazeError

from . import aim, compat, pipeline, rig_mapping, sound, takes
from .request import GenerateRequest

CHARACTER_PROPERTY: Final = "gaze_character"
ADDRESSEE_PROPERTY: Final = "gaze_addressee"  # a strip's optional addressee (default: who spoke last)
LINE_SEED_PROPERTY: Final = "gaze_seed"  # a strip's own seed: its line performed anew, the rest as it was
MAX_LINE_SEED: Final = 2**31 - 1  # what a Blender integer property holds
# The dialogue model puts the eyes this high above a character's root; the root is placed under them.
_EYE_HEIGHT_M: Final = 1.6
SCENE_LINE: Final = "conversation"
_PROBES: Final = 16  # frames looked at to tell whether anyone moves
_STILL_M: Final = 1e-3
_STILL_DEG: Final = 0.1


@dataclass
class Cast:
    """The scene's characters: name -> (armature, mapping) and the strips each speaks."""

    targets: dict[str, rig_mapping.RigTarget]
    lines: dict[str, list[Any]]


def speaker_of(strip: Any, names: list[str]) -> str | None:
    """The character a sound strip belongs to (see the module's docstring), or None."""
    chosen = strip.get(CHARACTER_PROPERTY) if hasattr(strip, "get") else None
    if chosen:
        return str(chosen) if str(chosen) in names else None
    label = strip.name.lower()
    fits = [n for n in names if label.startswith(n.lower())]
    return max(fits, key=len) if fits else None


def cast(scene: Any, request: GenerateRequest) -> Cast:
    """Every mappable armature of the scene, and the unmuted sound strips each one speaks."""
    targets: dict[str, rig_mapping.RigTarget] = {}
    unmapped: dict[str, str] = {}  # armatures whose eyes or head cannot be found, and why
    for obj in scene.objects:
        if obj.type != "ARMATURE":
            continue
        try:
            targets[obj.name] = rig_mapping.resolve(request.mapping, obj, scene)
        except rig_mapping.RigMappingError as why:
            unmapped[obj.name] = str(why)
    if len(targets) < 2:
        left_out = "".join(f" '{name}' is left out: {why}" for name, why in list(unmapped.items())[:3])
        raise GazeError(f"A conversation needs two characters the add-on can map; the scene '{scene.name}' has {len(targets)} ({', '.join(targets) or 'none'}).{left_out}")
    names = list(targets)
    lines: dict[str, list[Any]] = {n: [] for n in names}
    orphans = []
    for strip in sorted((s for s in compat.sound_strips(scene) if not s.mute), key=lambda s: s.frame_final_start):
        who = speaker_of(strip, names)
        if who is None:
            unmappable = speaker_of(strip, list(unmapped))
            if unmappable is not None:
                raise GazeError(f"'{unmappable}' speaks the sound strip '{strip.name}', but the add-on cannot map its rig: {unmapped[unmappable]}")
            orphans.append(strip.name)
        else:
            lines[who].append(strip)
    if orphans:
        raise GazeError(
            f"No character speaks the sound strip(s) {', '.join(repr(o) for o in orphans[:4])}: begin a strip's name with its character's "
            f"armature name ({', '.join(names)}), or pick the character in the strip's Gaze field."
        )
    if not any(lines.values()):
        raise GazeError(f"The scene '{scene.name}' has no unmuted sound strip for its characters to say.")
    return Cast(targets, lines)


class _Placer:
    """Where a character is: the point between its eyes and its forward, in armature space at rest
    (read once), carried by the object and by the rig's top bone above the eyes (its root or hips:
    the takes never key it, so where a character stands does not depend on its own gaze take)."""

    def __init__(self, target: rig_mapping.RigTarget) -> None:
        arm = self.armature = target.armature
        balls = [b for b in target.eyeballs if b]
        if balls:
            self.eyes = np.mean([np.array(arm.data.bones[b].head_local, dtype=np.float64) for b in balls], axis=0)
        elif target.head_bone:
            self.eyes = np.array(arm.data.bones[target.head_bone].tail_local, dtype=np.float64)
        else:
            self.eyes = np.zeros(3)
        self.forward = target.frame[:, 2]
        start = target.head_bone or (balls[0] if balls else "")
        above = arm.data.bones[start].parent_recursive if start else []
        self.carrier = arm.pose.bones[above[-1].name] if above else None
        self.rest_inverse = np.linalg.inv(np.array(above[-1].matrix_local, dtype=np.float64)) if above else np.eye(4)

    def now(self) -> NDArray[np.float64]:
        """(4,) x, y, z m of the root under the eyes and heading deg from +X, in the world, as the scene is now posed."""
        moved = np.array(self.armature.matrix_world, dtype=np.float64)
        if self.carrier is not None:  # rest to posed, by the carrying bone
            moved = moved @ np.array(self.carrier.matrix, dtype=np.float64) @ self.rest_inverse
        eyes = moved[:3, :3] @ self.eyes + moved[:3, 3]
        forward = moved[:3, :3] @ self.forward
        return np.array([eyes[0], eyes[1], eyes[2] - _EYE_HEIGHT_M, math.degrees(math.atan2(forward[1], forward[0]))])


def _moving(track: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Per frame of a (frames, 4) placement track: whether it differs from the frame before by over 1 mm or 0.1 deg."""
    step = np.diff(track, axis=0)
    step[:, 3] = (step[:, 3] + 180.0) % 360.0 - 180.0
    changed = (np.linalg.norm(step[:, :3], axis=1) > _STILL_M) | (np.abs(step[:, 3]) > _STILL_DEG)
    return np.concatenate([[False], changed])


def _placements(scene: Any, targets: dict[str, rig_mapping.RigTarget], first: int, last: int, fps: float) -> dict[str, tuple[NDArray[np.float64], tuple[Any, ...]]]:
    """Each character's placement at the first frame and, where it moves, waypoints (scene seconds)
    at the frames where its motion starts, goes on and stops. A few frames are looked at first and
    every frame only when something moved between them."""
    from model_runtime.dialogue import Waypoint

    names = list(targets)
    placers = [_Placer(targets[n]) for n in names]
    probe = np.unique(np.round(np.linspace(first, last, _PROBES)).astype(int))
    tracks = np.zeros((len(names), len(probe), 4))
    for i in aim.visit(scene, probe):
        tracks[:, i] = [p.now() for p in placers]
    out: dict[str, tuple[NDArray[np.float64], tuple[Any, ...]]] = {n: (tracks[k, 0], ()) for k, n in enumerate(names)}
    if not any(_moving(tracks[k]).any() for k in range(len(names))):
        return out
    frames = np.arange(first, last + 1)
    tracks = np.zeros((len(names), len(frames), 4))
    for i in aim.visit(scene, frames):
        tracks[:, i] = [p.now() for p in placers]
    for k, name in enumerate(names):
        moving = _moving(tracks[k])
        # Waypoints where motion starts (the still frame before it), goes on, and stops.
        keep = moving | np.concatenate([moving[1:], [False]])
        heading = np.degrees(np.unwrap(np.radians(tracks[k, :, 3])))
        out[name] = (tracks[k, 0], tuple(Waypoint((f - first) / fps, tuple(tracks[k, f - first, :3].tolist()), float(heading[f - first]))
                                         for f in frames[keep] if f > first))  # fmt: skip
    return out


def run(scene: Any, request: GenerateRequest, progress: Any = None, only: str | None = None, who: Cast | None = None) -> list[takes.TakeResult]:
    """Perform the scene's conversation and key one take per character (or only the character
    ``only``, leaving the others' takes as they are); returns what was keyed. ``who``: the scene's
    cast when the caller has it already."""
    from model_runtime.dialogue import Character, Dialogue, Line, perform_dialogue

    fps = sound.scene_fps(scene)
    first = int(scene.frame_start)
    who = who or cast(scene, request)
    if only is not None and only not in who.targets:
        raise GazeError(f"'{only}' is no character of the conversation ({', '.join(who.targets)}).")
    characters, spoken = [], []
    placed = _placements(scene, who.targets, first, int(scene.frame_end), fps)
    for name in who.targets:
        standing, moves = placed[name]
        position = (float(standing[0]), float(standing[1]), float(standing[2]))
        characters.append(Character(name=name, position=position, eye_height_m=_EYE_HEIGHT_M, facing_deg=float(standing[3]), moves=moves))
        for strip in who.lines[name]:
            source = sound.source_from_strip(strip, scene)
            signal = sound.load_line(source, request.audio.max_minutes)
            start = max(0.0, (source.start_frame - first) / fps)
            addressee = strip.get(ADDRESSEE_PROPERTY) or None
            if addressee is not None and str(addressee) not in who.targets:
                raise GazeError(f"The sound strip '{strip.name}' is said to '{addressee}', who is no character of the scene ({', '.join(who.targets)}).")
            spoken.append(Line(character=name, audio=signal, start_s=start, addressee=str(addressee) if addressee else None, seed=line_seed(strip)))
    spoken.sort(key=lambda line: line.start_s)
    end_s = (int(scene.frame_end) - first + 1) / fps
    dialogue = Dialogue(fps=fps, characters=tuple(characters), lines=tuple(spoken), source=f"scene '{scene.name}'", end_s=end_s)
    # The panel's style for every character (an action is read through the first character's rig).
    style = pipeline.style_value(request, scene, next(iter(who.targets.values())))
    from model_runtime.generate import Controls

    controls = Controls(head_intensity=request.head_intensity, gaze_intensity=request.gaze_intensity, blink_rate_per_min=request.blink_rate)
    clips = perform_dialogue(dialogue, engine=request.engine, seed=request.seed, style=style, controls=controls, progress=progress, only=only)
    results = []
    for name, clip in clips.items():
        target = who.targets[name]
        last = first + clip.n_frames - 1
        results.append(
            takes.key_take(
                scene, target, clip, start_frame=first, name=f"Gaze {name[:24]} conversation s{request.seed}", kind="line", line=SCENE_LINE,
                goal=None, look=None, layering=request.layering, recipe={"seed": request.seed, "style": request.style.label(), "engine": f"dialogue {request.engine}"},
                first_frame=first, last_frame=min(last, int(scene.frame_end)), info={"seed": request.seed, "engine": f"dialogue {request.engine}", "character": name},
            )
        )  # fmt: skip
    return results


def line_seed(strip: Any) -> int | None:
    """The strip's own seed (:data:`LINE_SEED_PROPERTY`), or None; GazeError naming the strip when it is no seed."""
    value = strip.get(LINE_SEED_PROPERTY)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LINE_SEED:
        raise GazeError(f"The sound strip '{strip.name}' has {LINE_SEED_PROPERTY} = {value!r}; expected a whole number from 0 to {MAX_LINE_SEED}, or none.")
    return value


def regenerate_line(scene: Any, request: GenerateRequest, strip: Any, seed: int) -> list[takes.TakeResult]:
    """Perform the line of ``strip`` anew with ``seed``: its speaker's take is keyed again, differing
    only around that line; every other character's take stays as it is."""
    who = cast(scene, request)
    speaker = next((name for name, strips in who.lines.items() if any(s == strip for s in strips)), None)
    if speaker is None:
        raise GazeError(f"The sound strip '{strip.name}' is no line of the conversation (muted, or not a sound strip).")
    if not 0 <= seed <= MAX_LINE_SEED:
        raise GazeError(f"Line seed {seed}: expected a whole number from 0 to {MAX_LINE_SEED}.")
    previous = strip.get(LINE_SEED_PROPERTY)
    strip[LINE_SEED_PROPERTY] = seed
    try:
        return run(scene, request, only=speaker, who=who)
    except BaseException:
        if previous is None:
            del strip[LINE_SEED_PROPERTY]
        else:
            strip[LINE_SEED_PROPERTY] = previous
        raise


def assign(strip: Any, character: str) -> None:
    """Say that ``character`` speaks ``strip`` (stored on the strip, saved with the .blend)."""
    strip[CHARACTER_PROPERTY] = character
