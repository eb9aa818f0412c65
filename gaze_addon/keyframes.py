"""Writing a motion clip onto a rig as keyframes, and reading an action back into a clip.

Keys are written in bulk (``keyframe_points.add`` + ``foreach_set``: about 15 ms for ten minutes
of motion) into NEW actions named after the audio: one on the armature (bones, blink properties)
and one on the face mesh's shape keys when those are used. Existing actions are never edited: an
action that was active before is stashed in a muted NLA track, as Blender itself does, and comes
back on Remove.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from model_runtime import rig_pose
from model_runtime.clip import MotionClip
from model_runtime.takes.livelink import EYE_LOOK_FULL_DEG

from . import compat
from .rig_mapping import ARKIT_EYE_KEYS, BLINK_PROPERTIES, RigTarget

# Custom properties stored on every action the add-on makes (ID properties survive save/load).
TAG = "gaze_generated"
STASH_TRACK = "[Action Stash]"
LINEAR = 1  # index of 'LINEAR' in Keyframe.interpolation's enum (CONSTANT, LINEAR, BEZIER, ...)


@dataclass
class Curve:
    """One F-curve to write: ``values`` (frames,) at the shared key frames."""

    data_path: str
    index: int
    group: str
    values: NDArray[np.float64]


@dataclass
class WriteResult:
    actions: list[Any] = field(default_factory=list)
    keys: int = 0
    first_frame: float = 0.0
    last_frame: float = 0.0
    kept: list[str] = field(default_factory=list)  # earlier takes kept with a fake user

    def summary(self) -> str:
        names = ", ".join(f"'{a.name}'" for a in self.actions)
        return f"{self.keys} keys in {names}, frames {self.first_frame:g}-{self.last_frame:g}"


def _rotation_path(bone: str, mode: str) -> str:
    prop = {"QUATERNION": "rotation_quaternion", "AXIS_ANGLE": "rotation_axis_angle"}.get(mode, "rotation_euler")
    return f'pose.bones["{bone}"].{prop}'


def rest_matrix(armature: Any, bone: str) -> NDArray[np.float64]:
    """The bone's rest orientation in armature space (3x3, roll included)."""
    m = armature.data.bones[bone].matrix_local
    return np.array([[m[i][j] for j in range(3)] for i in range(3)])


def _is_descendant(armature: Any, bone: str, ancestor: str) -> bool:
    return any(p.name == ancestor for p in armature.data.bones[bone].parent_recursive)


def _bone_curves(armature: Any, bone: str, local: NDArray[np.float64]) -> list[Curve]:
    mode = armature.pose.bones[bone].rotation_mode
    values = rig_pose.rotation_channels(local, mode)
    path = _rotation_path(bone, mode)
    return [Curve(path, i, bone, values[:, i]) for i in range(values.shape[1])]


def armature_curves(target: RigTarget, clip: MotionClip) -> list[Curve]:
    """Curves for the armature object: head and eye bones, eyelid bones or blink properties."""
    arm = target.armature
    curves: list[Curve] = []
    head = rig_pose.head_rotations(clip)
    if target.head_bone:
        curves += _bone_curves(arm, target.head_bone, rig_pose.local_from_armature(head, rest_matrix(arm, target.head_bone)))
    for bone, angles in ((target.left_eye_bone, clip.left_eye), (target.right_eye_bone, clip.right_eye)):
        if not bone or target.eyes_by_shape_keys:
            continue
        eye = rig_pose.eye_rotations(angles[:, 0], angles[:, 1])
        # An eye bone that does not follow the head bone gets the head turn as well.
        if target.head_bone and not _is_descendant(arm, bone, target.head_bone):
            eye = head @ eye
        curves += _bone_curves(arm, bone, rig_pose.local_from_armature(eye, rest_matrix(arm, bone)))
    if target.blink_mode == "BONES" and target.lid_bones:
        for bone, closure in zip(target.lid_bones, (clip.blinks[:, 0], clip.blinks[:, 1]), strict=False):
            # Lids close about their own X axis (Blender's bending axis for a bone).
            local = rig_pose.axis_rotations(0, np.radians(target.lid_angle_deg) * closure)
            curves += _bone_curves(arm, bone, local)
    elif target.blink_mode == "PROPERTY":
        for name, closure in zip(BLINK_PROPERTIES, (clip.blinks[:, 0], clip.blinks[:, 1]), strict=False):
            curves.append(Curve(f'["{name}"]', 0, "Blinks", closure))
    return curves


def shape_key_curves(target: RigTarget, clip: MotionClip) -> list[Curve]:
    """Curves for the face mesh's shape keys: ARKit eye look shapes and blink shapes."""
    curves: list[Curve] = []

    def look(values: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.clip(values / EYE_LOOK_FULL_DEG, 0.0, 1.0)

    if target.eye_keys:
        (lp, ly), (rp, ry) = clip.left_eye.T, clip.right_eye.T
        # Yaw > 0 turns to the character's left: out for the left eye, in for the right eye.
        shapes = dict(zip(ARKIT_EYE_KEYS["left"], (look(lp), look(-lp), look(-ly), look(ly)), strict=False))
        shapes.update(zip(ARKIT_EYE_KEYS["right"], (look(rp), look(-rp), look(ry), look(-ry)), strict=False))
        for wanted, values in shapes.items():
            curves.append(Curve(f'key_blocks["{target.eye_keys[wanted]}"].value', 0, "Eyes", values))
    if target.blink_mode == "SHAPE_KEYS" and target.blink_keys:
        for key, closure in zip(target.blink_keys, (clip.blinks[:, 0], clip.blinks[:, 1]), strict=False):
            curves.append(Curve(f'key_blocks["{key}"].value', 0, "Blinks", closure))
    return curves


def write_curves(action: Any, slot: Any, frames: NDArray[np.float64], curves: list[Curve]) -> int:
    """Bulk-write ``curves`` keyed at ``frames`` into ``action``; returns the number of keys."""
    n = len(frames)
    co = np.empty(2 * n, dtype=np.float32)
    co[0::2] = frames
    interpolation = np.full(n, LINEAR, dtype=np.int32)
    for curve in curves:
        fcurve = compat.new_fcurve(action, slot, curve.data_path, curve.index, curve.group)
        fcurve.keyframe_points.add(n)
        co[1::2] = curve.values
        fcurve.keyframe_points.foreach_set("co", co)
        fcurve.keyframe_points.foreach_set("interpolation", interpolation)
        fcurve.update()
    return n * len(curves)


def _is_generated(action: Any) -> bool:
    return action is not None and bool(action.get(TAG, False))


def _install(owner: Any, action: Any, slot: Any, *, output: str, start_frame: int, result: WriteResult) -> None:
    """Put ``action`` on ``owner`` without losing what was there."""
    anim = owner.animation_data or owner.animation_data_create()
    previous = anim.action
    if output == "NLA":
        compat.nla_strip(owner, action, slot, action.name, start_frame)
        return
    if previous is not None:
        if _is_generated(previous):
            # An earlier take: keep it (someone may have edited it) but out of the way.
            previous.use_fake_user = True
            result.kept.append(previous.name)
            if "gaze_replaced_action" in previous:
                action["gaze_replaced_action"] = previous["gaze_replaced_action"]
        else:
            track = anim.nla_tracks.new()
            track.name = STASH_TRACK
            track.mute = True
            strip = track.strips.new(previous.name, int(previous.frame_range[0]), previous)
            previous_slot = compat.action_slot_of(owner)
            if previous_slot is not None and hasattr(strip, "action_slot"):
                strip.action_slot = previous_slot
            action["gaze_replaced_action"] = previous.name
    compat.assign_action(owner, action, slot)


def write_clip(
    target: RigTarget,
    clip: MotionClip,
    *,
    start_frame: float,
    name: str,
    output: str = "ACTION",
    first_frame: float | None = None,
    last_frame: float | None = None,
    info: dict[str, Any] | None = None,
) -> WriteResult:
    """Key ``clip`` (already at the scene's frame rate) from timeline frame ``start_frame`` on.

    Frames outside [first_frame, last_frame] (the visible part of a trimmed strip) are left out.
    ``info`` is stored on each new action as custom properties (audio, fps, seed ...).
    """
    frames = start_frame + np.arange(clip.n_frames, dtype=np.float64)
    keep = np.ones(clip.n_frames, dtype=bool)
    if first_frame is not None:
        keep &= frames >= first_frame - 1e-6
    if last_frame is not None:
        keep &= frames <= last_frame + 1e-6
    if not np.any(keep):
        raise ValueError("the clip has no frame inside the strip's visible range")
    clip = clip.with_data(clip.data[keep])
    frames = frames[keep]
    result = WriteResult(first_frame=float(frames[0]), last_frame=float(frames[-1]))
    jobs = [(target.armature, "OBJECT", armature_curves(target, clip), name)]
    if target.face_mesh is not None:
        jobs.append((target.face_mesh.data.shape_keys, "KEY", shape_key_curves(target, clip), f"{name} (face)"))
    if target.blink_mode == "PROPERTY":
        for prop in BLINK_PROPERTIES:
            if prop not in target.armature:
                target.armature[prop] = 0.0
    for owner, id_type, curves, action_name in jobs:
        if not curves:
            continue
        action, slot = compat.new_action(action_name, id_type)
        action[TAG] = True
        action["gaze_rig"] = target.armature.name
        for key, value in (info or {}).items():
            action[f"gaze_{key}"] = value
        result.keys += write_curves(action, slot, frames, curves)
        _install(owner, action, slot, output=output, start_frame=round(frames[0]), result=result)
        result.actions.append(action)
    return result


def generated_actions(target_owners: list[Any]) -> list[tuple[Any, Any]]:
    """(owner, action) for each owner whose active action or NLA strips hold a generated action."""
    found = []
    for owner in target_owners:
        anim = getattr(owner, "animation_data", None) if owner is not None else None
        if anim is None:
            continue
        if _is_generated(anim.action):
            found.append((owner, anim.action))
        for track in anim.nla_tracks:
            for strip in track.strips:
                if _is_generated(strip.action) and (owner, strip.action) not in found:
                    found.append((owner, strip.action))
    return found


def remove_generated(owners: list[Any]) -> list[str]:
    """Take generated actions off ``owners`` and delete them; restore stashed actions. Returns names."""
    import bpy

    removed = []
    for owner in owners:
        anim = getattr(owner, "animation_data", None) if owner is not None else None
        if anim is None:
            continue
        restore = None
        if _is_generated(anim.action):
            restore = anim.action.get("gaze_replaced_action")
        for track in list(anim.nla_tracks):
            generated = [s for s in track.strips if _is_generated(s.action)]
            stash = restore is not None and track.name.startswith(STASH_TRACK) and any(s.action and s.action.name == restore for s in track.strips)
            if (generated and len(generated) == len(track.strips)) or stash:
                anim.nla_tracks.remove(track)
        for _, action in generated_actions([owner]):
            if action.name not in removed:
                removed.append(action.name)
        if _is_generated(anim.action):
            anim.action = bpy.data.actions.get(restore) if restore else None
        for action in list(bpy.data.actions):
            if action.name in removed and action.users == 0:
                bpy.data.actions.remove(action)
    return removed


def _evaluate_rotation(action: Any, slot: Any, armature: Any, bone: str, frames: NDArray[np.float64]) -> NDArray[np.float64] | None:
    mode = armature.pose.bones[bone].rotation_mode
    path = _rotation_path(bone, mode)
    curves = {c.array_index: c for c in compat.fcurves(action, slot) if c.data_path == path}
    if not curves:
        return None
    defaults = {"QUATERNION": (1.0, 0.0, 0.0, 0.0), "AXIS_ANGLE": (0.0, 0.0, 1.0, 0.0)}.get(mode, (0.0, 0.0, 0.0))
    values = np.array([[curves[i].evaluate(f) if i in curves else d for i, d in enumerate(defaults)] for f in frames])
    return rig_pose.armature_from_local(rig_pose.matrices_from_channels(values, mode), rest_matrix(armature, bone))


def clip_from_action(action: Any, target: RigTarget, fps: float, slot: Any = None) -> MotionClip:
    """Read the head and eye motion that ``action`` gives ``target``'s bones, one frame per scene frame."""
    start, end = (float(v) for v in action.frame_range)
    frames = np.arange(start, end + 0.5)
    arm = target.armature
    head = _evaluate_rotation(action, slot, arm, target.head_bone, frames) if target.head_bone else None
    eyes = []
    for bone in (target.left_eye_bone, target.right_eye_bone):
        eye = _evaluate_rotation(action, slot, arm, bone, frames) if bone else None
        if eye is not None and head is not None and target.head_bone and not _is_descendant(arm, bone, target.head_bone):
            eye = np.swapaxes(head, 1, 2) @ eye
        eyes.append(eye)
    if head is None and all(e is None for e in eyes):
        raise ValueError(f"action '{action.name}' has no rotation keys on the bones {target.head_bone}, {target.left_eye_bone}, {target.right_eye_bone}")
    blinks = None
    if target.blink_mode == "PROPERTY":
        props = {c.data_path: c for c in compat.fcurves(action, slot)}
        paths = [f'["{p}"]' for p in BLINK_PROPERTIES]
        if all(p in props for p in paths):
            blinks = np.array([[props[p].evaluate(f) for p in paths] for f in frames])
    return rig_pose.clip_from_rotations(fps, head=head, left_eye=eyes[0], right_eye=eyes[1], blinks=blinks, meta={"source": f"action {action.name}"})
