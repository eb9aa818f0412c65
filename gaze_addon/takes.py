"""Takes on the timeline: one per line at the line's frames, idle motion between them, and removal.

A take is one action (from Blender 4.4 one slotted action for the armature and the face's shape
keys, so exports get one clip per take) placed as a strip on the gaze layer (:mod:`.layers`).
Its ends are finished so that neighbouring takes hand over without a pop: lids open at both ends,
and an idle take blends from the line before it and into the line after it over
:data:`HANDOVER_S`. Regenerating a line replaces that line's strip only; the earlier take is
deleted unless the animator edited its keys (then it is kept with a fake user and named), and its
recipe (seed, style, engine) joins the new take's bounded history.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from model_runtime.clip import MotionClip
from model_runtime.conventions import BLINKS

from . import aim, compat, keyframes, layers
from .rig_mapping import BLINK_PROPERTIES, RigTarget

# Frames over which lids are eased open at a take's ends, and the idle motion blends (seconds).
OPEN_LIDS_S: Final[float] = 0.12
HANDOVER_S: Final[float] = 0.3
HISTORY: Final[int] = 10  # recipes kept per line
_FIRST, _LAST, _SUM, _HISTORY, _RECIPE = "gaze_first", "gaze_last", "gaze_checksum", "gaze_history", "gaze_recipe"


@dataclass
class TakeResult:
    names: list[str] = field(default_factory=list)
    keys: int = 0
    first_frame: float = 0.0
    last_frame: float = 0.0
    notes: list[str] = field(default_factory=list)
    look: aim.LookAt | None = None  # the listener direction the take was performed towards

    def summary(self) -> str:
        names = ", ".join(f"'{n}'" for n in self.names)
        return f"{self.keys} keys in {names}, frames {self.first_frame:g}-{self.last_frame:g}"


def open_lids_at_ends(clip: MotionClip) -> MotionClip:
    """Ease any closure to open over the first and last :data:`OPEN_LIDS_S` (a take never ends shut)."""
    n = clip.n_frames
    k = max(1, min(n // 2, round(OPEN_LIDS_S * clip.fps)))
    if n == 0:
        return clip
    ramp = np.ones(n)
    edge = np.sin(0.5 * np.pi * np.arange(k) / k) ** 2
    ramp[:k] = np.minimum(ramp[:k], edge)
    ramp[n - k :] = np.minimum(ramp[n - k :], edge[::-1])
    data = clip.data.copy()
    data[:, BLINKS] *= ramp[:, None]
    return clip.with_data(data)


def blend_edges(clip: MotionClip, before: NDArray[np.float64] | None, after: NDArray[np.float64] | None) -> MotionClip:
    """Blend the clip's first frames from ``before`` (one row) and its last into ``after``."""
    n = clip.n_frames
    k = max(1, min(n // 2, round(HANDOVER_S * clip.fps)))
    data = clip.data.copy()
    weight = 0.5 - 0.5 * np.cos(np.pi * (np.arange(k) + 1) / (k + 1))  # 0 -> 1, smooth
    if before is not None:
        data[:k] = (1 - weight)[:, None] * before[None, :] + weight[:, None] * data[:k]
    if after is not None:
        data[n - k :] = weight[::-1, None] * data[n - k :] + (1 - weight[::-1])[:, None] * after[None, :]
    return clip.with_data(data)


def owners(target: RigTarget) -> list[tuple[Any, str]]:
    """(ID, id type) that takes for ``target`` write to: the armature, and the face's shape keys."""
    out = [(target.armature, "OBJECT")]
    if target.face_mesh is not None and target.face_mesh.data.shape_keys is not None:
        out.append((target.face_mesh.data.shape_keys, "KEY"))
    return out


def _edited(action: Any) -> bool:
    stored = action.get(_SUM)
    if stored is None:
        return False
    slots = list(getattr(action, "slots", [])) or [None]
    return abs(sum(keyframes.checksum(action, slot) for slot in slots) - float(stored)) > 1e-3


def retire(actions: list[Any], notes: list[str]) -> list[dict[str, Any]]:
    """Delete replaced takes nobody else uses; keep edited ones. Returns the replaced line recipes."""
    import bpy

    recipes: list[dict[str, Any]] = []
    unique = {a.as_pointer(): a for a in actions if a is not None}  # a slotted take serves two owners
    for action in unique.values():
        if action.get(layers.KIND) == "line":
            recipes += json.loads(action.get(_HISTORY, "[]"))
            if _RECIPE in action:
                recipes.append(json.loads(action[_RECIPE]))
        if _edited(action):
            action.use_fake_user = True
            notes.append(f"your edited take '{action.name}' is kept (fake user)")
        elif action.users == 0:
            bpy.data.actions.remove(action)
    return recipes[-HISTORY:]


def key_take(
    scene: Any,
    target: RigTarget,
    clip: MotionClip,
    *,
    start_frame: float,
    name: str,
    kind: str,
    line: str,
    goal: tuple[Any, str] | None,
    look: aim.LookAt | None,
    layering: str = "ADD",
    recipe: dict[str, Any] | None = None,
    first_frame: float | None = None,
    last_frame: float | None = None,
    info: dict[str, Any] | None = None,
) -> TakeResult:
    """Key ``clip`` (at the scene's frame rate) from timeline frame ``start_frame`` as one take.

    Frames outside [first_frame, last_frame] (a trimmed strip's hidden part) are left out.
    """
    frames = start_frame + np.arange(clip.n_frames, dtype=np.float64)
    keep = np.ones(clip.n_frames, dtype=bool)
    if first_frame is not None:
        keep &= frames >= first_frame - 1e-6
    if last_frame is not None:
        keep &= frames <= last_frame + 1e-6
    if not np.any(keep):
        raise ValueError("the clip has no frame inside the strip's visible range")
    frames = frames[keep]
    clip = open_lids_at_ends(clip.with_data(clip.data[keep]))
    result = TakeResult(first_frame=float(frames[0]), last_frame=float(frames[-1]), look=look)
    targets = owners(target)
    freed: list[Any] = []
    for owner, _ in targets:
        freed += layers.clear_range(owner, frames[0], frames[-1])
    history = retire(freed, result.notes)
    made = compat.new_take_actions(name, tuple(t for _, t in targets))
    arm_action, arm_slot = made["OBJECT"]
    if target.blink_mode == "PROPERTY":
        for prop in BLINK_PROPERTIES:
            if prop not in target.armature:
                target.armature[prop] = 0.0
    result.keys += keyframes.write_curves(arm_action, arm_slot, frames, keyframes.head_curves(target, clip))
    face = made.get("KEY")
    if face is not None:
        result.keys += keyframes.write_curves(face[0], face[1], frames, keyframes.face_blink_curves(target, clip))
    for owner, id_type in targets:
        action, slot = made[id_type]
        layers.place(owner, action, slot, frames[0], frames[-1])
    # The eyes last, from the scene as it now plays (the take's head in place).
    pitch = np.column_stack([clip.left_eye[:, 0], clip.right_eye[:, 0]])  # eye-in-head, for the lids
    if target.eye_bones or target.eyes_by_shape_keys:
        pose = aim.sample(scene, target, frames, goal)
        solution = aim.eye_directions(target, clip, pose, look)
        if solution.clamped:
            result.notes.append(f"the eyes reach their limit ({aim.EYE_LIMIT_DEG:g} deg) on {solution.clamped} frames: the target is far round; raise Head or turn the character")
        curves: list[keyframes.Curve] = []
        left, right = (aim.shape_angles(target, pose, solution.directions, s) for s in (0, 1))
        pitch = np.column_stack([left[:, 0], right[:, 0]])
        if target.eyes_by_shape_keys and face is not None:
            result.keys += keyframes.write_curves(face[0], face[1], frames, keyframes.eye_shape_curves(target, left, right))
        elif target.eye_drive == "TARGET":
            for side, bone in enumerate((target.left_eye_bone, target.right_eye_bone)):
                if bone:
                    curves += keyframes.location_curves(bone, aim.target_keys(target, pose, solution.directions, side))
        else:
            for side, bone in enumerate((target.left_eye_bone, target.right_eye_bone)):
                if bone:
                    curves += keyframes.rotation_curves(target.armature, bone, aim.rotation_keys(target, pose, solution.directions, side))
        result.keys += keyframes.write_curves(arm_action, arm_slot, frames, curves)
    # The upper lids follow the eyes up and down (Rigify's lid controls do so by themselves).
    follow = np.clip(pitch / keyframes.LID_FOLLOW_RANGE_DEG, -1.0, 1.0)
    result.keys += keyframes.write_curves(arm_action, arm_slot, frames, keyframes.blink_curves(target, clip, follow))
    if face is not None:
        result.keys += keyframes.write_curves(face[0], face[1], frames, keyframes.lid_lift_curves(target, follow))
    stored = {"fps": clip.fps, **(info or {})}
    for owner, id_type in targets:
        action, slot = made[id_type]
        action[layers.TAG] = True
        action[layers.KIND] = kind
        action[layers.LINE] = line
        action["gaze_rig"] = target.armature.name
        action[_FIRST] = [float(v) for v in clip.data[0]]
        action[_LAST] = [float(v) for v in clip.data[-1]]
        for key, value in stored.items():
            action[f"gaze_{key}"] = value
        if recipe is not None:
            action[_RECIPE] = json.dumps(recipe)
            action[_HISTORY] = json.dumps(history[-HISTORY:])
        note = layers.layer_user_action(owner, layers.keyed_paths(action, slot), layering)
        if note and kind == "line":
            result.notes.append(note)
        if action.name not in result.names:
            result.names.append(action.name)
    for action in {a.name: a for a, _ in made.values()}.values():
        slots = list(getattr(action, "slots", [])) or [None]
        action[_SUM] = sum(keyframes.checksum(action, slot) for slot in slots)
    return result


def line_strips(target: RigTarget) -> list[Any]:
    """The armature's line takes, in time order."""
    return layers.strips(target.armature, "line")


def gaps(target: RigTarget, first: int, last: int) -> list[tuple[int, int, Any, Any]]:
    """Frame ranges in [first, last] no line take covers: (start, end, strip before, strip after)."""
    out = []
    cursor, before = first, None
    for strip in line_strips(target):
        start, end = round(strip.frame_start), round(strip.frame_end)
        if start - 1 >= cursor:
            out.append((cursor, start - 1, before, strip))
        cursor, before = max(cursor, end + 1), strip
    if cursor <= last:
        out.append((cursor, last, before, None))
    return [g for g in out if g[1] >= g[0] + 1]


def edge_row(strip: Any, which: str) -> NDArray[np.float64] | None:
    values = strip.action.get(which) if strip is not None and strip.action is not None else None
    return np.array(list(values), dtype=np.float64) if values is not None else None


def clear_history(target_owners: list[Any]) -> tuple[int, list[str]]:
    """Forget the recipes of earlier takes and delete the earlier takes kept for ``target_owners``'
    rig (edited ones kept with a fake user, on no strip). Returns (recipes dropped, takes deleted)."""
    import bpy

    in_use = {s.action.as_pointer() for owner in target_owners for s in layers.strips(owner) if s.action is not None}
    rigs = {getattr(o, "name", "") for o in target_owners}
    dropped = 0
    for owner in target_owners:
        for strip in layers.strips(owner, "line"):
            dropped += len(json.loads(strip.action.get(_HISTORY, "[]")))
            strip.action[_HISTORY] = "[]"
    deleted = []
    for action in list(bpy.data.actions):
        if layers.is_generated(action) and action.as_pointer() not in in_use and action.get("gaze_rig") in rigs and action.users <= int(action.use_fake_user):
            deleted.append(action.name)
            bpy.data.actions.remove(action)
    return dropped, deleted


def remove_all(target_owners: list[Any]) -> tuple[list[str], list[str]]:
    """Take every generated strip off the owners; returns (removed take names, notes)."""
    removed: list[str] = []
    notes: list[str] = []
    freed: list[Any] = []
    for owner in target_owners:
        freed += layers.remove(owner)
    removed = sorted({a.name for a in freed if a is not None})
    retire(freed, notes)
    removed = [n for n in removed if n not in {k for k in notes}]
    return removed, notes
