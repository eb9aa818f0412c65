"""Eyes that land: each eye aimed from its own centre, frame by frame, in the evaluated scene.

The engines perform in the character frame, with the listener in one direction. The scene is
richer: the character's body moves (the animator's action), the head turns (the take's own head,
plus the animator's keys), the camera or the other character moves. So the eyes are solved last,
from the scene as Blender evaluates it with the take's head in place (:func:`sample`):

- the eye-contact goal (a camera, an object, a bone) is read per frame, in armature space;
- the *body frame* is the head's evaluated frame less the take's own head turn;
- the take's gaze is re-aimed so that "on the listener" becomes "on the goal": its offset from
  the listener direction it was made with is kept, around the goal's direction per frame;
- each eye looks from its own centre at the point at the goal's distance along that gaze, so the
  eyes converge on near targets and hit the goal exactly while the performance holds on it;
- the result becomes the keys the rig needs: a pose-local rotation of each eye bone, the position
  of an eye target control (Rigify), or ARKit look shapes.

Units: positions in armature space (the rig object's own units), angles in degrees.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from model_runtime import rig_pose
from model_runtime.clip import MotionClip
from model_runtime.conventions import FORWARD, angles_from_direction, direction_from_angles, head_matrix
from model_runtime.errors import GazeError
from model_runtime.performer.estimate import world_gaze

from . import layers
from .keyframes import rest_matrix
from .rig_mapping import RigTarget

# Eye-in-head rotation a human reaches comfortably (deg); a goal further round needs the head.
EYE_LIMIT_DEG: Final[float] = 40.0
# A goal closer than this to the eyes (m) is "inside the head".
NEAREST_GOAL_M: Final[float] = 0.1
# A goal further round than this from the character's forward (deg) is "behind" it.
BEHIND_DEG: Final[float] = 100.0


@dataclass(frozen=True)
class EyeContact:
    """Where the eyes meet: FORWARD (nothing), CAMERA (the scene's), OBJECT, or BONE of an armature."""

    mode: str = "FORWARD"
    target: Any = None
    bone: str = ""

    def describe(self) -> str:
        if self.mode == "FORWARD":
            return "forward"
        name = self.target.name if self.target is not None else "camera"
        return f"{name}:{self.bone}" if self.bone else name


def goal_of(contact: EyeContact, scene: Any, target: RigTarget) -> tuple[Any, str] | None:
    """(object, bone name or "") the eyes meet, or None for FORWARD; GazeError when unusable."""
    if contact.mode == "FORWARD":
        return None
    if contact.mode == "CAMERA":
        if scene.camera is None:
            raise GazeError("Eye Contact is 'Active Camera' but the scene has no active camera: set one (Scene properties), or pick Forward.")
        return scene.camera, ""
    obj = contact.target
    if obj is None:
        raise GazeError(f"Eye Contact is '{contact.mode.title()}' but nothing is picked to look at: pick it in the Gaze panel, or choose Forward.")
    if contact.mode == "BONE":
        if obj.type != "ARMATURE" or contact.bone not in obj.data.bones:
            raise GazeError(f"Eye Contact: '{obj.name}' has no bone '{contact.bone}' to look at (pick an armature and one of its bones, e.g. the other character's eye).")
        return obj, contact.bone
    if obj == target.armature:
        raise GazeError(f"Eye Contact: '{obj.name}' is the character itself; pick something in front of it, or a bone of another character.")
    return obj, ""


def _goal_world(goal: tuple[Any, str]) -> NDArray[np.float64]:
    obj, bone = goal
    if bone:
        return np.array(obj.matrix_world @ obj.pose.bones[bone].head, dtype=np.float64)
    return np.array(obj.matrix_world.translation, dtype=np.float64)


def _matrix(m: Any) -> NDArray[np.float64]:
    return np.array(m, dtype=np.float64)


def rotation_of(m: NDArray[np.float64]) -> NDArray[np.float64]:
    """The rotation part of a 4x4 or 3x3 matrix, or of a stack (..., 4|3, 4|3) (scale and shear dropped)."""
    u, _, vt = np.linalg.svd(m[..., :3, :3])
    r: NDArray[np.float64] = u @ vt
    return r


@dataclass
class Pose:
    """The rig as evaluated on ``n`` frames (armature space unless said).

    world      (n, 4, 4) the armature object's matrix_world
    head       (n, 3, 3) rotation of the head bone from its rest (identity without a head bone)
    pivot      (n, 3) the head bone's head (its pivot)
    centres    (n, 2, 3) the left and right eyes' centres
    carried    (n, 2, 4, 4) each eye driver bone's matrix without its own pose (its parents' doing)
    goal       (n, 3) the eye-contact goal, or None
    """

    world: NDArray[np.float64]
    head: NDArray[np.float64]
    pivot: NDArray[np.float64]
    centres: NDArray[np.float64]
    carried: NDArray[np.float64]
    goal: NDArray[np.float64] | None


def visit(scene: Any, frames: Iterable[float]) -> Iterator[int]:
    """Evaluate the scene at each frame in turn (yielding its index); the current frame is put back."""
    current, subframe = scene.frame_current, scene.frame_subframe
    try:
        for i, frame in enumerate(frames):
            whole = int(np.floor(frame))
            scene.frame_set(whole, subframe=float(frame - whole))
            yield i
    finally:
        scene.frame_set(current, subframe=subframe)


def head_frame_now(target: RigTarget) -> NDArray[np.float64]:
    """The character axes (columns LEFT, UP, FORWARD, armature space) carried by the head as it is now posed."""
    if not target.head_bone:
        return target.frame
    arm = target.armature
    head: NDArray[np.float64] = rotation_of(_matrix(arm.pose.bones[target.head_bone].matrix)) @ rest_matrix(arm, target.head_bone).T @ target.frame
    return head


def eyes_in_head_now(target: RigTarget) -> NDArray[np.float64]:
    """(2, 2) eye-in-head (pitch, yaw) of the left and right eyeball as now posed; NaN without an eyeball bone."""
    out = np.full((2, 2), np.nan)
    head = head_frame_now(target)
    for side, ball in enumerate(target.eyeballs):
        sight = line_of_sight(target, side)
        if ball and sight is not None:
            seen = rotation_of(_matrix(target.armature.pose.bones[ball].matrix)) @ sight
            out[side] = np.array(angles_from_direction(head.T @ seen), dtype=np.float64).ravel()
    return out


def sample(scene: Any, target: RigTarget, frames: NDArray[np.float64], goal: tuple[Any, str] | None) -> Pose:
    """Evaluate the scene at each of ``frames`` and read what the eyes need; the frame is restored."""
    arm = target.armature
    n = len(frames)
    world = np.zeros((n, 4, 4))
    head = np.tile(np.eye(3), (n, 1, 1))
    pivot = np.zeros((n, 3))
    centres = np.zeros((n, 2, 3))
    carried = np.tile(np.eye(4), (n, 2, 1, 1))
    goals = np.zeros((n, 3)) if goal is not None else None
    balls = target.eyeballs
    head_bone = arm.pose.bones[target.head_bone] if target.head_bone else None
    ball_bones = [arm.pose.bones[b] if b else None for b in balls]
    drivers = [arm.pose.bones[d] if d and not target.eyes_by_shape_keys else None for d in (target.left_eye_bone, target.right_eye_bone)]
    posed = np.tile(np.eye(4), (n, 3, 1, 1))  # per frame: the head bone's matrix, then each driver's matrix_basis
    for i in visit(scene, frames):
        world[i] = _matrix(arm.matrix_world)
        if head_bone is not None:
            posed[i, 0] = _matrix(head_bone.matrix)
            pivot[i] = np.array(head_bone.head)
        for side in (0, 1):
            ball = ball_bones[side]
            if ball is not None:
                centres[i, side] = np.array(ball.head)
            elif head_bone is not None:
                centres[i, side] = pivot[i]
            driver = drivers[side]
            if driver is not None:
                carried[i, side] = _matrix(driver.matrix)
                posed[i, 1 + side] = _matrix(driver.matrix_basis)
        if goals is not None and goal is not None:
            goals[i] = _goal_world(goal)
    # The arithmetic once for every frame: the head's rotation from rest, each driver without its own pose.
    if target.head_bone:
        head = rotation_of(posed[:, 0]) @ rest_matrix(arm, target.head_bone).T
    carried = carried @ np.linalg.inv(posed[:, 1:])
    return Pose(world, head, pivot, centres, carried, goals)


def _to_armature(world: NDArray[np.float64], points: NDArray[np.float64]) -> NDArray[np.float64]:
    """World points (n, 3) into armature space per frame (the object may move, scale or mirror)."""
    inverse = np.linalg.inv(world)
    out: NDArray[np.float64] = np.einsum("nij,nj->ni", inverse[:, :3, :3], points) + inverse[:, :3, 3]
    return out


def _metres_per_unit(world: NDArray[np.float64], scene: Any) -> NDArray[np.float64]:
    """How long one armature unit is in metres, per frame."""
    scale: NDArray[np.float64] = np.cbrt(np.abs(np.linalg.det(world[:, :3, :3])))
    return scale * float(scene.unit_settings.scale_length)


@dataclass(frozen=True)
class LookAt:
    """The listener's direction in the character's body frame, and its distance, at one frame."""

    pitch_deg: float
    yaw_deg: float
    distance_m: float


def _goal_in_body(target: RigTarget, pose: Pose, head_clip: NDArray[np.float64] | None) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(body frames (n, 3, 3), goal directions in the body frame (n, 3) unit, distances (n,) units)."""
    frames = pose.head @ target.frame
    if head_clip is not None:
        frames = frames @ np.swapaxes(head_clip, 1, 2)
    assert pose.goal is not None
    goal = _to_armature(pose.world, pose.goal)
    offset = goal - pose.centres.mean(axis=1)
    distance = np.linalg.norm(offset, axis=1)
    direction = np.einsum("nji,nj->ni", frames, offset) / np.maximum(distance, 1e-12)[:, None]
    return frames, direction, distance


def look_at(scene: Any, target: RigTarget, goal: tuple[Any, str] | None, frame: float) -> LookAt | None:
    """Where the goal is, seen from between the eyes in the body frame, at ``frame``.

    Evaluated with the gaze layers muted (the animator's own pose only). GazeError in an
    animator's words when the goal sits inside the head or behind the character.
    """
    if goal is None:
        return None
    owners = [target.armature]
    muted = [t for owner in owners for t in layers.mute(owner, True)]
    for owner in owners:
        layers.restore_pose(owner, forget=False)
    try:
        pose = sample(scene, target, np.array([frame]), goal)
    finally:
        for t in muted:
            t.mute = False
    _, direction, distance = _goal_in_body(target, pose, None)
    metres = float(distance[0] * _metres_per_unit(pose.world, scene)[0])
    name = goal[1] or goal[0].name
    if metres < NEAREST_GOAL_M:
        raise GazeError(f"The eye-contact target '{name}' is inside {target.armature.name}'s head ({metres * 100:.0f} cm from the eyes): move it in front of the face.")
    pitch_deg, yaw_deg = (float(a[0]) for a in angles_from_direction(direction))
    if abs(yaw_deg) > BEHIND_DEG or direction[0, 2] < -0.2:
        side = "left" if yaw_deg > 0 else "right"
        raise GazeError(
            f"The eye-contact target '{name}' is behind {target.armature.name} (round to its {side} at {abs(yaw_deg):.0f} deg at frame {frame:g}): "
            "put it in front of the character, turn the character, or set Eye Contact to Forward."
        )
    return LookAt(pitch_deg, yaw_deg, metres)


@dataclass
class EyeSolution:
    """Where each eye looks on every frame: directions (n, 2, 3) in armature space; frames clamped."""

    directions: NDArray[np.float64]
    clamped: int


def eye_directions(target: RigTarget, clip: MotionClip, pose: Pose, look: LookAt | None) -> EyeSolution:
    """Each eye's line of sight per frame: the clip's own eyes (no goal), or re-aimed at the goal."""
    n = clip.n_frames
    head_clip = head_matrix(clip.head[:, 0], clip.head[:, 1], clip.head[:, 2]) if target.head_bone else np.tile(np.eye(3), (n, 1, 1))
    head_frame = pose.head @ target.frame  # character axes carried by the head, (n, 3, 3)
    if look is None or pose.goal is None:
        # The clip's own eyes, as they are (a take's recorded angles are not limited again).
        dirs = np.stack([np.einsum("nij,nj->ni", head_frame, direction_from_angles(e[:, 0], e[:, 1])) for e in (clip.left_eye, clip.right_eye)], axis=1)
        return EyeSolution(dirs, 0)
    body, goal_dir, distance = _goal_in_body(target, pose, head_clip)
    goal_pitch, goal_yaw = angles_from_direction(goal_dir)
    gaze = world_gaze(clip)
    pitch = gaze[:, 0] - look.pitch_deg + goal_pitch
    yaw = gaze[:, 1] - look.yaw_deg + goal_yaw
    point = pose.centres.mean(axis=1) + distance[:, None] * np.einsum("nij,nj->ni", body, direction_from_angles(pitch, yaw))
    dirs = point[:, None, :] - pose.centres
    dirs /= np.maximum(np.linalg.norm(dirs, axis=2, keepdims=True), 1e-12)
    # Keep every eye within its reach, in the head's frame.
    in_head = np.einsum("nji,nsj->nsi", head_frame, dirs)
    p, y = angles_from_direction(in_head.reshape(-1, 3))
    over = (np.abs(p) > EYE_LIMIT_DEG) | (np.abs(y) > EYE_LIMIT_DEG)
    if np.any(over):
        limited = direction_from_angles(np.clip(p, -EYE_LIMIT_DEG, EYE_LIMIT_DEG), np.clip(y, -EYE_LIMIT_DEG, EYE_LIMIT_DEG)).reshape(n, 2, 3)
        dirs = np.einsum("nij,nsj->nsi", head_frame, limited)
    return EyeSolution(dirs, int(np.count_nonzero(over.reshape(n, 2).any(axis=1))))


def rotation_keys(target: RigTarget, pose: Pose, dirs: NDArray[np.float64], side: int) -> NDArray[np.float64]:
    """Pose-local rotations (n, 3, 3) turning eye bone ``side`` to look along ``dirs[:, side]``."""
    bone = (target.left_eye_bone, target.right_eye_bone)[side]
    assert bone is not None
    rest = rest_matrix(target.armature, bone)
    carried = np.stack([rotation_of(m) for m in pose.carried[:, side]]) @ rest.T  # rest -> carried, (n, 3, 3)
    in_rest = np.einsum("nji,nj->ni", carried, dirs[:, side])
    pitch, yaw = angles_from_direction(in_rest @ target.frame)
    return rig_pose.local_from_armature(rig_pose.eye_rotations(pitch, yaw, target.frame), rest)


def target_keys(target: RigTarget, pose: Pose, dirs: NDArray[np.float64], side: int) -> NDArray[np.float64]:
    """Pose locations (n, 3) of eye target control ``side`` putting it on the eye's line of sight."""
    arm = target.armature
    control = (target.left_eye_bone, target.right_eye_bone)[side]
    ball = target.eyeballs[side]
    assert control is not None and ball is not None
    reach = float(np.linalg.norm(np.array(arm.data.bones[control].head_local) - np.array(arm.data.bones[ball].head_local)))
    wanted = pose.centres[:, side] + reach * dirs[:, side]
    inverse = np.linalg.inv(pose.carried[:, side])
    out: NDArray[np.float64] = np.einsum("nij,nj->ni", inverse[:, :3, :3], wanted) + inverse[:, :3, 3]
    return out


def shape_angles(target: RigTarget, pose: Pose, dirs: NDArray[np.float64], side: int) -> NDArray[np.float64]:
    """Eye-in-head (pitch, yaw) (n, 2) for ARKit look shapes."""
    in_head = np.einsum("nji,nj->ni", pose.head @ target.frame, dirs[:, side])
    pitch, yaw = angles_from_direction(in_head)
    return np.column_stack([pitch, yaw])


def line_of_sight(target: RigTarget, side: int) -> NDArray[np.float64] | None:
    """The eyeball bone's rest line of sight in its own bone axes (None without an eyeball bone)."""
    ball = target.eyeballs[side]
    if not ball or target.eyes_by_shape_keys:
        return None
    out: NDArray[np.float64] = rest_matrix(target.armature, ball).T @ (target.frame @ FORWARD)
    return out
