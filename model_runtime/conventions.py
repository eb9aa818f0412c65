"""The one place for channel order, units, axes and signs. Every reader and writer goes through here.

Character frame
    Three unit axes fixed to the character at rest, all from the character's own point of view:
    ``LEFT`` (towards the character's own left ear), ``UP`` and ``FORWARD`` (where the nose points).
    (LEFT, UP, FORWARD) is right-handed. In a Blender scene built the usual way (character facing
    the Front view) LEFT = +X, UP = +Z, FORWARD = -Y; FLAME's model frame is LEFT = +x, UP = +y,
    FORWARD = +z.

Angles (degrees, always)
    ``pitch`` > 0 looks up, ``yaw`` > 0 turns towards the character's own left, ``roll`` > 0 tilts
    the top of the head towards the character's own left shoulder. "Left" always means the
    character's left, which is the viewer's right when looking at the character's face.

    Head rotation relative to rest is R = Rz_up(yaw) @ R_left(-pitch) @ R_forward(-roll) in the
    character frame (intrinsic yaw, then pitch, then roll). Eye angles are eye-in-head: the gaze
    direction in the head frame is :func:`direction_from_angles` of (pitch, yaw); gaze in the world
    is the head rotation applied to it.

Blinks
    0 is fully open, 1 fully closed.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

# Channel order of every MotionClip array, every file this project writes and every model.
CHANNELS: Final[tuple[str, ...]] = (
    "head_pitch",
    "head_yaw",
    "head_roll",
    "left_eye_pitch",
    "left_eye_yaw",
    "right_eye_pitch",
    "right_eye_yaw",
    "blink_left",
    "blink_right",
)
ANGLE_CHANNELS: Final[tuple[str, ...]] = CHANNELS[:7]
BLINK_CHANNELS: Final[tuple[str, ...]] = CHANNELS[7:]
HEAD = slice(0, 3)
LEFT_EYE = slice(3, 5)
RIGHT_EYE = slice(5, 7)
BLINKS = slice(7, 9)

# Axes of the character frame, as coordinates in that same frame (x = left, y = up, z = forward).
LEFT: Final = np.array([1.0, 0.0, 0.0])
UP: Final = np.array([0.0, 1.0, 0.0])
FORWARD: Final = np.array([0.0, 0.0, 1.0])

# Frame rates the product meets in practice; the NTSC rates are exact fractions (30000/1001 ...).
NTSC_30: Final[float] = 30000.0 / 1001.0
STANDARD_FPS: Final[tuple[float, ...]] = (
    24000.0 / 1001.0, 24.0, 25.0, NTSC_30, 30.0, 48.0, 50.0, 60000.0 / 1001.0, 60.0, 120.0,
)
MIN_FPS: Final[float] = 1.0
MAX_FPS: Final[float] = 1000.0

# Physiological limits used to reject nonsense and clamp generated motion (degrees).
HEAD_LIMIT_DEG: Final[float] = 80.0
EYE_LIMIT_DEG: Final[float] = 55.0


def snap_fps(fps: float, tolerance: float = 2e-4) -> float:
    """The standard rate nearest ``fps`` if within ``tolerance`` (relative), else ``fps`` unchanged.

    "29.97" written in a file becomes exactly 30000/1001; 30 stays 30 (the two differ by 1e-3).
    """
    nearest = min(STANDARD_FPS, key=lambda standard: abs(fps - standard))
    return nearest if abs(fps - nearest) <= tolerance * nearest else fps


def _axis_rotation(axis: NDArray[np.float64], angle_rad: NDArray[np.float64]) -> NDArray[np.float64]:
    """Rotation matrices (..., 3, 3) about a fixed unit ``axis`` by ``angle_rad`` (right-handed)."""
    c = np.cos(angle_rad)[..., None, None]
    s = np.sin(angle_rad)[..., None, None]
    k = np.array(
        [[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]],
    )
    eye = np.eye(3)
    out: NDArray[np.float64] = eye + s * k + (1.0 - c) * (k @ k)
    return out


def head_matrix(pitch_deg: NDArray[np.float64], yaw_deg: NDArray[np.float64], roll_deg: NDArray[np.float64]) -> NDArray[np.float64]:
    """Head rotation matrices (..., 3, 3) in the character frame from angles in degrees."""
    p, y, r = (np.radians(np.asarray(a, dtype=np.float64)) for a in (pitch_deg, yaw_deg, roll_deg))
    out: NDArray[np.float64] = _axis_rotation(UP, y) @ _axis_rotation(LEFT, -p) @ _axis_rotation(FORWARD, -r)
    return out


def head_angles(matrix: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Inverse of :func:`head_matrix`: (pitch, yaw, roll) in degrees from (..., 3, 3) matrices."""
    m = np.asarray(matrix, dtype=np.float64)
    # R = Ry(yaw) Rx(-pitch) Rz(-roll) in (left, up, forward) = (x, y, z) coordinates.
    pitch = np.degrees(np.arcsin(np.clip(m[..., 1, 2], -1.0, 1.0)))
    yaw = np.degrees(np.arctan2(m[..., 0, 2], m[..., 2, 2]))
    roll = np.degrees(np.arctan2(-m[..., 1, 0], m[..., 1, 1]))
    return pitch, yaw, roll


def direction_from_angles(pitch_deg: NDArray[np.float64], yaw_deg: NDArray[np.float64]) -> NDArray[np.float64]:
    """Unit gaze directions (..., 3) in (left, up, forward) coordinates from pitch and yaw in degrees."""
    p = np.radians(np.asarray(pitch_deg, dtype=np.float64))
    y = np.radians(np.asarray(yaw_deg, dtype=np.float64))
    cp = np.cos(p)
    return np.stack([cp * np.sin(y), np.sin(p), cp * np.cos(y)], axis=-1)


def angles_from_direction(direction: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Inverse of :func:`direction_from_angles`: (pitch, yaw) in degrees of (..., 3) directions."""
    d = np.asarray(direction, dtype=np.float64)
    d = d / np.linalg.norm(d, axis=-1, keepdims=True)
    pitch = np.degrees(np.arcsin(np.clip(d[..., 1], -1.0, 1.0)))
    yaw = np.degrees(np.arctan2(d[..., 0], d[..., 2]))
    return pitch, yaw


def rotvec_to_matrix(rotvec: NDArray[np.float64]) -> NDArray[np.float64]:
    """Axis-angle vectors (..., 3) in radians to rotation matrices (..., 3, 3) (Rodrigues)."""
    r = np.asarray(rotvec, dtype=np.float64)
    theta = np.linalg.norm(r, axis=-1)
    safe = np.where(theta > 1e-12, theta, 1.0)
    axis = r / safe[..., None]
    x, y, z = axis[..., 0], axis[..., 1], axis[..., 2]
    zero = np.zeros_like(x)
    k = np.stack([zero, -z, y, z, zero, -x, -y, x, zero], axis=-1).reshape(*r.shape[:-1], 3, 3)
    c = np.cos(theta)[..., None, None]
    s = np.sin(theta)[..., None, None]
    out: NDArray[np.float64] = np.eye(3) + s * k + (1.0 - c) * (k @ k)
    return out


def matrix_to_rotvec(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    """Rotation matrices (..., 3, 3) to axis-angle vectors (..., 3) in radians."""
    m = np.asarray(matrix, dtype=np.float64)
    cos_theta = np.clip((np.trace(m, axis1=-2, axis2=-1) - 1.0) / 2.0, -1.0, 1.0)
    theta = np.arccos(cos_theta)
    w = np.stack([m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] - m[..., 0, 1]], axis=-1)
    sin_theta = np.sin(theta)
    small = sin_theta > 1e-6
    scale = np.where(small, theta / np.where(small, 2.0 * sin_theta, 1.0), 0.5)
    out: NDArray[np.float64] = w * scale[..., None]
    # Near 180 degrees the antisymmetric part vanishes: take the axis from the symmetric part,
    # sym = cos(theta) I + (1 - cos(theta)) u u^T, and its sign from the antisymmetric part.
    near_pi = theta > np.pi - 1e-2
    if np.any(near_pi):
        cos_near = cos_theta[near_pi][:, None, None]
        sym = (m[near_pi] + np.swapaxes(m[near_pi], -1, -2)) / 2.0
        outer = (sym - cos_near * np.eye(3)) / (1.0 - cos_near)
        idx = np.argmax(np.diagonal(outer, axis1=-2, axis2=-1), axis=-1)
        axis = outer[np.arange(len(idx)), :, idx]
        axis = axis / np.linalg.norm(axis, axis=-1, keepdims=True)
        flip = np.sum(axis * w[near_pi], axis=-1) < 0.0
        axis[flip] *= -1.0
        out[near_pi] = axis * theta[near_pi][..., None]
    return out
