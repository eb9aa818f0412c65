"""Bone rotations from a motion clip and back: the rig arithmetic of the Blender add-on, without bpy.

Spaces
    *character*: (left, up, forward) coordinates of :mod:`model_runtime.conventions`.
    *armature*: the rig object's own space; a character built the usual way faces -Y there, so
    LEFT = +X, UP = +Z, FORWARD = -Y (:data:`CHARACTER_TO_ARMATURE`). Other rigs lay the
    character out otherwise (an FBX import from a Y-up tool: UP = +Y, FORWARD = +Z); every
    function that crosses between the two spaces takes the rig's own ``frame`` (a 3x3 matrix
    whose columns are LEFT, UP and FORWARD in armature space, see :func:`character_frame`).
    *bone rest*: a bone's rest frame, given by the 3x3 rotation part of Blender's
    ``bone.matrix_local`` (armature space, roll included).

A pose bone's local rotation ``Q`` rotates the bone in its own rest frame, so a rotation ``R``
wanted in armature space about the bone's head is ``Q = B^T R B`` for rest matrix ``B``: this is
what makes rolled bones and bones whose axes do not line up with the character come out right.

Rotation channels follow Blender's storage: quaternions (w, x, y, z); axis-angle (angle, x, y, z)
in radians; Euler angles (x, y, z) in radians whatever the order, where order ``"XYZ"`` means the
matrix ``Rz @ Ry @ Rx`` (X applied first).
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from model_runtime.clip import MotionClip
from model_runtime.conventions import (
    FORWARD,
    angles_from_direction,
    head_angles,
    head_matrix,
    matrix_to_rotvec,
    rotvec_to_matrix,
)

Matrices = NDArray[np.float64]  # (n, 3, 3)

# Columns: where LEFT, UP and FORWARD point in armature space (+X, +Z, -Y).
CHARACTER_TO_ARMATURE: Final = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
EULER_ORDERS: Final[tuple[str, ...]] = ("XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX")
ROTATION_MODES: Final[tuple[str, ...]] = ("QUATERNION", "AXIS_ANGLE", *EULER_ORDERS)


def rotation_channel_count(mode: str) -> int:
    """How many values a bone stores for ``mode`` (4 for quaternion and axis-angle, 3 for Euler)."""
    _check_mode(mode)
    return 3 if mode in EULER_ORDERS else 4


def _check_mode(mode: str) -> None:
    if mode not in ROTATION_MODES:
        raise ValueError(f"unknown rotation mode {mode!r}; expected one of {list(ROTATION_MODES)}")


def _conjugate(c: NDArray[np.float64], m: Matrices) -> Matrices:
    """``c @ m @ c.T`` for a signed permutation ``c``: an index shuffle, far cheaper than stacked matmuls."""
    index = np.argmax(np.abs(c), axis=1)
    sign = c[np.arange(3), index]
    out: Matrices = np.asarray(m)[..., index[:, None], index[None, :]] * (sign[:, None] * sign[None, :])
    return out


def character_frame(left: NDArray[np.float64], up: NDArray[np.float64]) -> NDArray[np.float64]:
    """The rig's character frame from its LEFT and UP directions in armature space, each snapped
    to the nearest armature axis (rigs are laid out along axes; a bone's tilt must not tilt the
    character). Raises ValueError when the two snap to the same axis.
    """
    snapped = []
    for vector in (np.asarray(left, dtype=np.float64), np.asarray(up, dtype=np.float64)):
        axis = int(np.argmax(np.abs(vector)))
        unit = np.zeros(3)
        unit[axis] = 1.0 if vector[axis] > 0 else -1.0
        snapped.append(unit)
    if abs(float(snapped[0] @ snapped[1])) > 0.5:
        raise ValueError("the rig's left and up directions lie along the same axis")
    return np.column_stack([snapped[0], snapped[1], np.cross(snapped[0], snapped[1])])


def to_armature(character: Matrices, frame: NDArray[np.float64] = CHARACTER_TO_ARMATURE) -> Matrices:
    """Rotations (..., 3, 3) given in character coordinates, expressed in armature coordinates."""
    return _conjugate(frame, character)


def to_character(armature: Matrices, frame: NDArray[np.float64] = CHARACTER_TO_ARMATURE) -> Matrices:
    """Inverse of :func:`to_armature`."""
    return _conjugate(np.asarray(frame).T, armature)


def head_rotations(clip: MotionClip, frame: NDArray[np.float64] = CHARACTER_TO_ARMATURE) -> Matrices:
    """(frames, 3, 3) head rotation relative to rest, armature space."""
    return to_armature(head_matrix(clip.head[:, 0], clip.head[:, 1], clip.head[:, 2]), frame)


def eye_rotations(pitch_deg: NDArray[np.float64], yaw_deg: NDArray[np.float64], frame: NDArray[np.float64] = CHARACTER_TO_ARMATURE) -> Matrices:
    """(frames, 3, 3) eye-in-head rotations, armature space: yaw then pitch, no torsion.

    They turn FORWARD into ``direction_from_angles(pitch, yaw)``.
    """
    return to_armature(head_matrix(pitch_deg, yaw_deg, np.zeros_like(np.asarray(pitch_deg, dtype=np.float64))), frame)


def local_from_armature(rotations: Matrices, rest: NDArray[np.float64]) -> Matrices:
    """Pose-bone local rotations for armature-space rotations about the bone: ``B^T R B``."""
    b = _orthonormal(rest)
    return _sandwich(b.T, rotations, b)


def armature_from_local(local: Matrices, rest: NDArray[np.float64]) -> Matrices:
    """Inverse of :func:`local_from_armature`: ``B Q B^T``."""
    b = _orthonormal(rest)
    return _sandwich(b, local, b.T)


def _sandwich(left: NDArray[np.float64], m: Matrices, right: NDArray[np.float64]) -> Matrices:
    """``left @ m @ right`` for a stack ``m`` (n, 3, 3) and fixed 3x3 ``left``/``right``, as two large products."""
    m = np.asarray(m, dtype=np.float64)
    n = len(m)
    m_right = (m.reshape(-1, 3) @ right).reshape(n, 3, 3)
    # left @ X = (X^T @ left^T)^T, again one (3n x 3) product.
    out: Matrices = np.swapaxes((np.swapaxes(m_right, 1, 2).reshape(-1, 3) @ left.T).reshape(n, 3, 3), 1, 2)
    return out


def _orthonormal(m: NDArray[np.float64]) -> NDArray[np.float64]:
    """The rotation nearest ``m`` (drops the scale a bone's matrix may carry)."""
    u, _, vt = np.linalg.svd(np.asarray(m, dtype=np.float64)[:3, :3])
    out: NDArray[np.float64] = u @ vt
    return out


def axis_rotations(axis: int, angle_rad: NDArray[np.float64]) -> Matrices:
    """(n, 3, 3) right-handed rotations about coordinate axis 0, 1 or 2."""
    a = np.asarray(angle_rad, dtype=np.float64)
    c, s = np.cos(a), np.sin(a)
    m = np.zeros((*a.shape, 3, 3))
    i, j = (axis + 1) % 3, (axis + 2) % 3
    m[..., axis, axis] = 1.0
    m[..., i, i] = c
    m[..., j, j] = c
    m[..., j, i] = s
    m[..., i, j] = -s
    return m


def matrices_to_quaternions(m: Matrices) -> NDArray[np.float64]:
    """(n, 3, 3) rotations to (n, 4) unit quaternions (w, x, y, z), signs kept continuous in time."""
    m = np.asarray(m, dtype=np.float64)
    trace = m[:, 0, 0] + m[:, 1, 1] + m[:, 2, 2]
    # Shepperd: build from the largest of w, x, y, z to stay accurate near 180 degrees.
    candidates = np.stack([trace, m[:, 0, 0], m[:, 1, 1], m[:, 2, 2]], axis=1)
    best = np.argmax(candidates, axis=1)
    q = np.empty((len(m), 4))
    for k in range(4):
        sel = best == k
        if not np.any(sel):
            continue
        r = m[sel]
        if k == 0:
            s = np.sqrt(1.0 + trace[sel]) * 2.0
            q[sel] = np.stack([0.25 * s, (r[:, 2, 1] - r[:, 1, 2]) / s, (r[:, 0, 2] - r[:, 2, 0]) / s, (r[:, 1, 0] - r[:, 0, 1]) / s], axis=1)
        else:
            i = k - 1
            j, m2 = (i + 1) % 3, (i + 2) % 3
            s = np.sqrt(np.maximum(1.0 + r[:, i, i] - r[:, j, j] - r[:, m2, m2], 1e-12)) * 2.0
            vec = np.empty((len(r), 3))
            vec[:, i] = 0.25 * s
            vec[:, j] = (r[:, j, i] + r[:, i, j]) / s
            vec[:, m2] = (r[:, m2, i] + r[:, i, m2]) / s
            q[sel] = np.column_stack([(r[:, m2, j] - r[:, j, m2]) / s, vec])
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    # q and -q are the same rotation; flipping to agree with the previous frame keeps the curves
    # smooth, so Blender's interpolation between keys does not swing the long way round.
    if len(q) > 1:
        flips = np.cumsum(np.sum(q[1:] * q[:-1], axis=1) < 0.0) % 2
        q[1:][flips == 1] *= -1.0
    if len(q) and q[0, 0] < 0.0:
        q *= -1.0
    return q


def quaternions_to_matrices(q: NDArray[np.float64]) -> Matrices:
    """(n, 4) quaternions (w, x, y, z), not necessarily unit, to (n, 3, 3) rotations."""
    q = np.asarray(q, dtype=np.float64)
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    w, x, y, z = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
    return np.stack(
        [
            1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
            2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
            2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
        ],
        axis=1,
    ).reshape(-1, 3, 3)  # fmt: skip


def _euler_axes(order: str) -> tuple[int, int, int, float]:
    if order not in EULER_ORDERS:
        raise ValueError(f"unknown Euler order {order!r}; expected one of {list(EULER_ORDERS)}")
    i, j, k = ("XYZ".index(c) for c in order)
    even = (j - i) % 3 == 1
    return i, j, k, 1.0 if even else -1.0


def matrices_to_euler(m: Matrices, order: str) -> NDArray[np.float64]:
    """(n, 3, 3) rotations to (n, 3) Euler angles (x, y, z) in radians, unwrapped in time."""
    i, j, k, sign = _euler_axes(order)
    m = np.asarray(m, dtype=np.float64)
    out = np.empty((len(m), 3))
    out[:, i] = np.arctan2(sign * m[:, k, j], m[:, k, k])
    out[:, j] = np.arcsin(np.clip(-sign * m[:, k, i], -1.0, 1.0))
    out[:, k] = np.arctan2(sign * m[:, j, i], m[:, i, i])
    return np.unwrap(out, axis=0) if len(out) else out


def euler_to_matrices(angles: NDArray[np.float64], order: str) -> Matrices:
    """(n, 3) Euler angles (x, y, z) in radians to (n, 3, 3): first axis of ``order`` applied first."""
    i, j, k, _ = _euler_axes(order)
    a = np.asarray(angles, dtype=np.float64)
    out: Matrices = axis_rotations(k, a[:, k]) @ axis_rotations(j, a[:, j]) @ axis_rotations(i, a[:, i])
    return out


def matrices_to_axis_angle(m: Matrices) -> NDArray[np.float64]:
    """(n, 3, 3) to (n, 4) (angle, x, y, z); the axis of a zero rotation is +Y, as Blender's default."""
    rotvec = matrix_to_rotvec(np.asarray(m, dtype=np.float64))
    angle = np.linalg.norm(rotvec, axis=1)
    axis = np.where(angle[:, None] > 1e-12, rotvec / np.where(angle > 1e-12, angle, 1.0)[:, None], np.array([0.0, 1.0, 0.0]))
    return np.column_stack([angle, axis])


def axis_angle_to_matrices(values: NDArray[np.float64]) -> Matrices:
    """(n, 4) (angle, x, y, z) to (n, 3, 3)."""
    v = np.asarray(values, dtype=np.float64)
    norm = np.linalg.norm(v[:, 1:], axis=1, keepdims=True)
    axis = v[:, 1:] / np.where(norm > 1e-12, norm, 1.0)
    return rotvec_to_matrix(axis * v[:, :1])


def rotation_channels(m: Matrices, mode: str) -> NDArray[np.float64]:
    """Local rotations (n, 3, 3) as the (n, 3 or 4) values a bone in ``mode`` stores."""
    _check_mode(mode)
    if mode == "QUATERNION":
        return matrices_to_quaternions(m)
    if mode == "AXIS_ANGLE":
        return matrices_to_axis_angle(m)
    return matrices_to_euler(m, mode)


def matrices_from_channels(values: NDArray[np.float64], mode: str) -> Matrices:
    """Inverse of :func:`rotation_channels`."""
    _check_mode(mode)
    if mode == "QUATERNION":
        return quaternions_to_matrices(values)
    if mode == "AXIS_ANGLE":
        return axis_angle_to_matrices(values)
    return euler_to_matrices(values, mode)


def clip_from_rotations(
    fps: float,
    *,
    head: Matrices | None,
    left_eye: Matrices | None,
    right_eye: Matrices | None,
    blinks: NDArray[np.float64] | None = None,
    meta: dict[str, str] | None = None,
    frame: NDArray[np.float64] = CHARACTER_TO_ARMATURE,
) -> MotionClip:
    """A clip from armature-space rotations relative to rest (head, and eyes relative to the head).

    Missing parts are zero. ``blinks`` is (frames, 2) closure, left then right.
    """
    parts = [p for p in (head, left_eye, right_eye, blinks) if p is not None]
    if not parts:
        raise ValueError("nothing to read: no head, eye or blink motion given")
    n = len(parts[0])
    data = np.zeros((n, 9))
    if head is not None:
        data[:, 0], data[:, 1], data[:, 2] = head_angles(to_character(head, frame))
    for eye, columns in ((left_eye, slice(3, 5)), (right_eye, slice(5, 7))):
        if eye is not None:
            pitch, yaw = angles_from_direction(to_character(eye, frame) @ FORWARD)
            data[:, columns] = np.column_stack([pitch, yaw])
    if blinks is not None:
        data[:, 7:9] = np.clip(blinks, 0.0, 1.0)
    return MotionClip(fps=fps, data=data, meta=dict(meta or {}))
