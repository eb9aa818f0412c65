"""ARKit / Live Link Face CSV out of the scene: what the rig really does over a frame range.

The motion is read from the evaluated scene, frame by frame, not from one action's curves: a
take the animator edited, their own keys layered with it, shape-key blinks and eyes aimed through
Rigify's target controls all come out as the viewer sees them. Angles follow
:mod:`model_runtime.conventions`: the head relative to the body it sits on, the eyes in the head.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from model_runtime import rig_pose
from model_runtime.clip import MotionClip
from model_runtime.conventions import head_angles
from model_runtime.errors import GazeError

from . import aim, keyframes, layers, sound
from .rig_mapping import BLINK_PROPERTIES, RigTarget

MAX_EXPORT_FRAMES = 4 * 3600 * 120  # four hours at 120 fps, the runtime's take limit


def _blinks(target: RigTarget) -> NDArray[np.float64]:
    arm = target.armature
    if target.blink_mode == "SHAPE_KEYS" and target.blink_keys and target.face_mesh is not None:
        blocks = target.face_mesh.data.shape_keys.key_blocks
        return np.array([blocks[k].value for k in target.blink_keys], dtype=np.float64)
    if target.blink_mode == "PROPERTY":
        return np.array([float(arm.get(p, 0.0)) for p in BLINK_PROPERTIES])
    if target.blink_mode == "LID_CONTROLS" and target.lid_controls:
        out = np.zeros(2)
        for lid in target.lid_controls:
            offset = keyframes.rest_matrix(arm, lid.bone).T @ lid.closed
            out[lid.side] = float(np.array(arm.pose.bones[lid.bone].location) @ offset / max(float(offset @ offset), 1e-12))
        return out
    if target.blink_mode == "BONES" and target.lid_bones and target.lid_angle_deg:
        angles = [np.degrees(arm.pose.bones[b].matrix_basis.to_quaternion().angle) for b in target.lid_bones]
        return np.array(angles) / abs(target.lid_angle_deg)
    return np.zeros(2)


def clip_from_scene(scene: Any, target: RigTarget, first: int, last: int) -> MotionClip:
    """The motion the rig plays over frames [first, last], at the scene's frame rate."""
    if last < first:
        raise GazeError(f"Export: the frame range {first}-{last} is empty.")
    if last - first + 1 > MAX_EXPORT_FRAMES:
        raise GazeError(f"Export: {last - first + 1} frames is more than a take holds (at most {MAX_EXPORT_FRAMES}); export a shorter range.")
    arm = target.armature
    head_rest = keyframes.rest_matrix(arm, target.head_bone) if target.head_bone else None
    rows = np.zeros((last - first + 1, 9))
    for i in aim.visit(scene, range(first, last + 1)):
        if target.head_bone and head_rest is not None:
            local = np.array(arm.pose.bones[target.head_bone].matrix_basis.to_3x3(), dtype=np.float64)[None]
            rows[i, 0:3] = np.array(head_angles(rig_pose.to_character(rig_pose.armature_from_local(local, head_rest), target.frame)))[:, 0]
        rows[i, 3:7] = np.nan_to_num(aim.eyes_in_head_now(target)).ravel()
        rows[i, 7:9] = np.clip(_blinks(target), 0.0, 1.0)
    return MotionClip(fps=sound.scene_fps(scene), data=rows, meta={"source": f"Blender scene {scene.name}, frames {first}-{last}"})


def take_range(target: RigTarget, frame: int) -> tuple[int, int] | None:
    """Frames of the line take under ``frame`` (or the first one), None without takes."""
    strips = layers.strips(target.armature, "line")
    if not strips:
        return None
    under = [s for s in strips if s.frame_start <= frame <= s.frame_end]
    strip = (under or strips)[0]
    return round(strip.frame_start), round(strip.frame_end)


def write_live_link(clip: MotionClip, path: str | Path) -> Path:
    """Write ``clip`` as a Live Link Face CSV, atomically (a failed export leaves no half file)."""
    from model_runtime.takes import save_take

    out = Path(path)
    if out.suffix.lower() != ".csv":
        raise GazeError(f"Export: {out} should end in .csv (a Live Link Face take).")
    if not out.parent.is_dir():
        raise GazeError(f"Export: the folder {out.parent} does not exist.")
    handle, temp = tempfile.mkstemp(prefix=".gaze_export_", suffix=".csv", dir=out.parent)
    os.close(handle)
    try:
        save_take(clip, temp, format="livelink")
        os.replace(temp, out)
    finally:
        Path(temp).unlink(missing_ok=True)
    return out
