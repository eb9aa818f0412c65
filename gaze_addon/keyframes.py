"""F-curves from motion: building them for a rig's head, eyes and blinks, writing them in bulk, and
reading an action back into a clip.

Keys are written in bulk (``keyframe_points.add`` + ``foreach_set``: about 15 ms for ten minutes
of motion). Data paths quote bone and shape key names with Blender's own escaping, so names with
quotes, dots or backslashes get keys that drive them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from model_runtime import rig_pose
from model_runtime.clip import MotionClip
from model_runtime.takes.livelink import EYE_LOOK_FULL_DEG

from . import compat
from .rig_mapping import ARKIT_EYE_KEYS, BLINK_PROPERTIES, RigTarget

LINEAR = 1  # index of 'LINEAR' in Keyframe.interpolation's enum (CONSTANT, LINEAR, BEZIER, ...)
# The upper lid follows vertical gaze: fully at this eye pitch (deg), by these shares of a blink's
# travel for lid bones, and of ARKit's eyeWide shape when the eyes look up (down is the engines'
# resting lid, inside the blink channel).
LID_FOLLOW_RANGE_DEG = 30.0
LID_FOLLOW_SHARE = 0.3
LID_LIFT_SHARE = 0.5
ARKIT_WIDE_KEYS = ("eyeWideLeft", "eyeWideRight")


@dataclass
class Curve:
    """One F-curve to write: ``values`` (frames,) at the shared key frames."""

    data_path: str
    index: int
    group: str
    values: NDArray[np.float64]


def bone_path(bone: str, prop: str) -> str:
    return f'pose.bones["{compat.escape(bone)}"].{prop}'


def rotation_property(mode: str) -> str:
    return {"QUATERNION": "rotation_quaternion", "AXIS_ANGLE": "rotation_axis_angle"}.get(mode, "rotation_euler")


def shape_key_path(key: str) -> str:
    return f'key_blocks["{compat.escape(key)}"].value'


def rest_matrix(armature: Any, bone: str) -> NDArray[np.float64]:
    """The bone's rest orientation in armature space (3x3, roll included)."""
    m = armature.data.bones[bone].matrix_local
    return np.array([[m[i][j] for j in range(3)] for i in range(3)])


def rotation_curves(armature: Any, bone: str, local: NDArray[np.float64]) -> list[Curve]:
    """Curves turning ``bone`` by the pose-local rotations ``local`` (n, 3, 3), in its rotation mode."""
    mode = armature.pose.bones[bone].rotation_mode
    values = rig_pose.rotation_channels(local, mode)
    path = bone_path(bone, rotation_property(mode))
    return [Curve(path, i, bone, values[:, i]) for i in range(values.shape[1])]


def location_curves(bone: str, location: NDArray[np.float64]) -> list[Curve]:
    """Curves for a bone's pose location (n, 3), in the bone's own rest axes."""
    path = bone_path(bone, "location")
    return [Curve(path, i, bone, location[:, i]) for i in range(3)]


def head_curves(target: RigTarget, clip: MotionClip) -> list[Curve]:
    if not target.head_bone:
        return []
    arm = target.armature
    head = rig_pose.head_rotations(clip, target.frame)
    return rotation_curves(arm, target.head_bone, rig_pose.local_from_armature(head, rest_matrix(arm, target.head_bone)))


def blink_curves(target: RigTarget, clip: MotionClip, follow: NDArray[np.float64] | None = None) -> list[Curve]:
    """Blink curves that live on the armature: eyelid bones, Rigify lid controls or properties.

    ``follow`` (frames, 2), -1 eyes fully down to 1 fully up: lid bones also follow the gaze.
    """
    arm = target.armature
    curves: list[Curve] = []
    if target.blink_mode == "BONES" and target.lid_bones:
        for side, bone in enumerate(target.lid_bones):
            closure = clip.blinks[:, side] - (LID_FOLLOW_SHARE * follow[:, side] if follow is not None else 0.0)
            # Lids close about their own X axis (Blender's bending axis for a bone).
            local = rig_pose.axis_rotations(0, np.radians(target.lid_angle_deg) * np.clip(closure, -LID_FOLLOW_SHARE, 1.0))
            curves += rotation_curves(arm, bone, local)
    elif target.blink_mode == "LID_CONTROLS":
        for lid in target.lid_controls:
            offset = rest_matrix(arm, lid.bone).T @ lid.closed
            curves += location_curves(lid.bone, clip.blinks[:, lid.side, None] * offset[None, :])
    elif target.blink_mode == "PROPERTY":
        for name, closure in zip(BLINK_PROPERTIES, (clip.blinks[:, 0], clip.blinks[:, 1]), strict=False):
            curves.append(Curve(f'["{name}"]', 0, "Blinks", closure))
    return curves


def face_blink_curves(target: RigTarget, clip: MotionClip) -> list[Curve]:
    if target.blink_mode != "SHAPE_KEYS" or not target.blink_keys:
        return []
    return [Curve(shape_key_path(key), 0, "Blinks", closure) for key, closure in zip(target.blink_keys, (clip.blinks[:, 0], clip.blinks[:, 1]), strict=False)]


def lid_lift_curves(target: RigTarget, follow: NDArray[np.float64]) -> list[Curve]:
    """ARKit's eyeWide shapes lifting the lids as the eyes look up, where the face has them."""
    if target.face_mesh is None:
        return []
    lookup = {k.lower(): k for k in (target.face_mesh.data.shape_keys.key_blocks.keys() if target.face_mesh.data.shape_keys else [])}
    names = [lookup.get(k.lower()) for k in ARKIT_WIDE_KEYS]
    if not all(names):
        return []
    return [Curve(shape_key_path(str(name)), 0, "Lids", LID_LIFT_SHARE * np.clip(follow[:, side], 0.0, 1.0)) for side, name in enumerate(names)]


def eye_shape_curves(target: RigTarget, left: NDArray[np.float64], right: NDArray[np.float64]) -> list[Curve]:
    """ARKit eye look shapes for eye-in-head (pitch, yaw) of each eye, (frames, 2) degrees."""

    def look(values: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.clip(values / EYE_LOOK_FULL_DEG, 0.0, 1.0)

    (lp, ly), (rp, ry) = left.T, right.T
    # Yaw > 0 turns to the character's left: out for the left eye, in for the right eye.
    shapes = dict(zip(ARKIT_EYE_KEYS["left"], (look(lp), look(-lp), look(-ly), look(ly)), strict=False))
    shapes.update(zip(ARKIT_EYE_KEYS["right"], (look(rp), look(-rp), look(ry), look(-ry)), strict=False))
    return [Curve(shape_key_path(target.eye_keys[wanted]), 0, "Eyes", values) for wanted, values in shapes.items()]


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


def checksum(action: Any, slot: Any) -> float:
    """A number that changes when any key of the action's curves is edited (edit detection)."""
    total = 0.0
    for i, fcurve in enumerate(compat.fcurves(action, slot)):
        co = np.zeros(2 * len(fcurve.keyframe_points), dtype=np.float64)
        fcurve.keyframe_points.foreach_get("co", co)
        total += float(np.sum(co * (1.0 + 0.001 * (i + np.arange(len(co)) % 7))))
    return round(total, 3)


def _is_descendant(armature: Any, bone: str, ancestor: str) -> bool:
    return any(p.name == ancestor for p in armature.data.bones[bone].parent_recursive)


def _evaluate_rotation(action: Any, slot: Any, armature: Any, bone: str, frames: NDArray[np.float64]) -> NDArray[np.float64] | None:
    mode = armature.pose.bones[bone].rotation_mode
    path = bone_path(bone, rotation_property(mode))
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
        eye = _evaluate_rotation(action, slot, arm, bone, frames) if bone and target.eye_drive == "ROTATION" else None
        if eye is not None and bone and head is not None and target.head_bone and not _is_descendant(arm, bone, target.head_bone):
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
    return rig_pose.clip_from_rotations(fps, head=head, left_eye=eyes[0], right_eye=eyes[1], blinks=blinks, meta={"source": f"action {action.name}"}, frame=target.frame)
