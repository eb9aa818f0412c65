"""FLAME pose sequences (``.npz`` / ``.npy``) as written by FLAME fitting tools and talking-head data.

FLAME's pose vector per frame is 15 axis-angle values (radians) in the order global, neck, jaw,
left eye, right eye (joints 0-4). FLAME's model frame is x = the face's own left, y = up, z = forward,
which is this project's character frame, so no axes are swapped. Accepted layouts:

* ``.npy``: (frames, 15) or (frames, 5, 3);
* ``.npz``: one full pose array (``pose``, ``poses``, ``full_pose``, ``flame_pose``) or separate
  arrays: global (``global_pose``, ``root_pose``, ``global_orient``, ``rotation``), ``neck_pose``,
  ``jaw_pose``, eyes as ``eye_pose`` / ``eyes_pose`` (frames, 6) or ``leye_pose`` + ``reye_pose``;
  optional frame rate (``fps``, ``frame_rate``, ``framerate``, ``mocap_framerate``) and blink
  closure (``blink``, (frames,) or (frames, 2)), which this project's writer adds.

Head rotation is global composed with neck by default (fits put head turns in either); eye angles
are the eye joints' rotation of the forward axis, i.e. eye-in-head.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from model_runtime.bounded import read_npy
from model_runtime.clip import MotionClip
from model_runtime.conventions import (
    FORWARD,
    MAX_FPS,
    MIN_FPS,
    angles_from_direction,
    head_angles,
    head_matrix,
    matrix_to_rotvec,
    rotvec_to_matrix,
)
from model_runtime.errors import TakeFormatError
from model_runtime.limits import MAX_TAKE_FRAMES
from model_runtime.takes.values import check_length, checked_motion

FULL_POSE_KEYS = ("pose", "poses", "full_pose", "flame_pose")
GLOBAL_KEYS = ("global_pose", "root_pose", "global_orient", "rotation")
EYES_KEYS = ("eye_pose", "eyes_pose")
FPS_KEYS = ("fps", "frame_rate", "framerate", "mocap_framerate")
DEFAULT_FPS = 25.0  # the rate of most talking-head video data (HDTF, VoxCeleb fits)


@dataclass(frozen=True)
class FlameOptions:
    """``fps`` is used when the file has none; ``head_source`` picks which joints make the head."""

    fps: float | None = None
    head_source: Literal["global+neck", "neck", "global"] = "global+neck"
    swap_eyes: bool = False


def looks_like_flame(arrays: dict[str, np.ndarray]) -> bool:
    keys = set(arrays)
    return bool(keys & set(FULL_POSE_KEYS)) or "neck_pose" in keys or bool(keys & set(EYES_KEYS)) or "leye_pose" in keys


def _rotations(path: Path, value: np.ndarray, key: str, width: int) -> NDArray[np.float64]:
    if value.dtype.kind not in "fiu":
        raise TakeFormatError(path, f"expected numbers, got dtype {value.dtype}", f"key {key!r}")
    if value.ndim == 0 or len(value) > MAX_TAKE_FRAMES:
        raise TakeFormatError(path, f"expected (frames, {width}) with at most {MAX_TAKE_FRAMES} frames, got shape {value.shape}", f"key {key!r}")
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 3 and array.shape[1:] == (width // 3, 3):
        array = array.reshape(len(array), width)
    if array.ndim != 2 or array.shape[1] != width:
        raise TakeFormatError(path, f"expected shape (frames, {width}) of axis-angle values, got {array.shape}", f"key {key!r}")
    bad = np.argwhere(~np.isfinite(array))
    if bad.size:
        raise TakeFormatError(path, "contains NaN or infinite values", f"key {key!r}, frame {bad[0][0]}")
    too_big = np.linalg.norm(array.reshape(-1, 3), axis=-1) > 2 * np.pi + 1e-6
    if too_big.any():
        frame = int(np.argmax(too_big)) // (width // 3)
        raise TakeFormatError(path, "a rotation exceeds 2 pi; expected axis-angle in radians", f"key {key!r}, frame {frame}")
    return array


def _first(arrays: dict[str, np.ndarray], keys: tuple[str, ...]) -> tuple[str, np.ndarray] | None:
    for key in keys:
        if key in arrays:
            return key, arrays[key]
    return None


def _pose_from_arrays(path: Path, arrays: dict[str, np.ndarray]) -> NDArray[np.float64]:
    """(frames, 15) full pose from any accepted layout."""
    full = _first(arrays, FULL_POSE_KEYS)
    if full is not None:
        return _rotations(path, full[1], full[0], 15)
    parts: list[tuple[str, NDArray[np.float64]]] = []
    global_pose = _first(arrays, GLOBAL_KEYS)
    eyes = _first(arrays, EYES_KEYS)
    if eyes is not None:
        eye_pose = _rotations(path, eyes[1], eyes[0], 6)
    elif "leye_pose" in arrays and "reye_pose" in arrays:
        eye_pose = np.concatenate([_rotations(path, arrays["leye_pose"], "leye_pose", 3), _rotations(path, arrays["reye_pose"], "reye_pose", 3)], axis=1)
    else:
        raise TakeFormatError(path, f"no eye rotations; expected a full pose ({', '.join(FULL_POSE_KEYS)}) or eye_pose (frames, 6)", "keys " + ", ".join(sorted(arrays)))
    frames = len(eye_pose)
    for key, found in (("global", global_pose), ("neck_pose", ("neck_pose", arrays["neck_pose"]) if "neck_pose" in arrays else None), ("jaw_pose", ("jaw_pose", arrays["jaw_pose"]) if "jaw_pose" in arrays else None)):
        parts.append((key, np.zeros((frames, 3)) if found is None else _rotations(path, found[1], found[0], 3)))
    for key, part in parts:
        if len(part) != frames:
            raise TakeFormatError(path, f"has {len(part)} frames but the eye pose has {frames}; expected equal frame counts", f"key {key!r}")
    return np.concatenate([p for _, p in parts] + [eye_pose], axis=1)


def load_flame(path: Path, options: FlameOptions | None = None, arrays: dict[str, np.ndarray] | None = None) -> MotionClip:
    options = options or FlameOptions()
    if arrays is None:
        arrays = {"pose": read_npy(path, TakeFormatError)}
    pose = _pose_from_arrays(path, arrays)
    if len(pose) == 0:
        raise TakeFormatError(path, "has no frames; expected at least one")
    fps_entry = _first(arrays, FPS_KEYS)
    fps = options.fps or DEFAULT_FPS
    fps_note = "given" if options.fps else f"default {DEFAULT_FPS:g}"
    if fps_entry is not None and options.fps is None:
        value = fps_entry[1]
        if value.size != 1 or value.dtype.kind not in "fiu" or not MIN_FPS <= float(value.reshape(-1)[0]) <= MAX_FPS:  # NaN fails too
            raise TakeFormatError(path, f"expected one frame rate between {MIN_FPS:g} and {MAX_FPS:g}", f"key {fps_entry[0]!r}")
        fps, fps_note = float(value.reshape(-1)[0]), "from file"
    check_length(path, len(pose), fps)
    joints = rotvec_to_matrix(pose.reshape(len(pose), 5, 3))
    head = {"global+neck": joints[:, 0] @ joints[:, 1], "neck": joints[:, 1], "global": joints[:, 0]}[options.head_source]
    head_pitch, head_yaw, head_roll = head_angles(head)
    left, right = (4, 3) if options.swap_eyes else (3, 4)
    left_pitch, left_yaw = angles_from_direction(joints[:, left] @ FORWARD)
    right_pitch, right_yaw = angles_from_direction(joints[:, right] @ FORWARD)
    blink = np.zeros((len(pose), 2))
    if "blink" in arrays:
        values = arrays["blink"]
        if values.dtype.kind not in "fiu" or values.ndim not in (1, 2):
            raise TakeFormatError(path, f"expected (frames,) or (frames, 2) closure values, got {values.dtype} of shape {values.shape}", "key 'blink'")
        values = values.astype(np.float64)
        values = np.repeat(values[:, None], 2, axis=1) if values.ndim == 1 else values
        if values.shape != (len(pose), 2):
            raise TakeFormatError(path, f"expected (frames,) or (frames, 2) closure values for {len(pose)} frames, got {values.shape}", "key 'blink'")
        blink = values
    data = checked_motion(path, np.column_stack([head_pitch, head_yaw, head_roll, left_pitch, left_yaw, right_pitch, right_yaw, blink]))
    meta = {"source": path.name, "source_format": "flame", "conversion": f"head from {options.head_source}; fps {fps_note}"}
    return MotionClip(fps=fps, data=data, meta=meta)


def eye_rotvec(pitch_deg: NDArray[np.float64], yaw_deg: NDArray[np.float64]) -> NDArray[np.float64]:
    """Axis-angle (frames, 3) turning the forward axis to the eye direction, without torsion."""
    return matrix_to_rotvec(head_matrix(pitch_deg, yaw_deg, np.zeros_like(pitch_deg)))


def flame_pose(clip: MotionClip) -> NDArray[np.float64]:
    """(frames, 15) FLAME pose: zero global and jaw, head on the neck joint, both eyes."""
    d = clip.data
    return np.concatenate(
        [
            np.zeros((clip.n_frames, 3)),
            matrix_to_rotvec(head_matrix(d[:, 0], d[:, 1], d[:, 2])),
            np.zeros((clip.n_frames, 3)),
            eye_rotvec(d[:, 3], d[:, 4]),
            eye_rotvec(d[:, 5], d[:, 6]),
        ],
        axis=1,
    )


def save_flame(clip: MotionClip, path: Path) -> None:
    """An .npy path gets the bare (frames, 15) pose; an .npz also the frame rate and blinks."""
    if path.suffix.lower() == ".npy":
        np.save(path, flame_pose(clip).astype(np.float32))
        return
    with path.open("wb") as handle:
        np.savez_compressed(handle, pose=flame_pose(clip).astype(np.float32), fps=np.array(clip.fps), blink=clip.blinks.astype(np.float32))
