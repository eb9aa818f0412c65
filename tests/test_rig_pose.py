"""Rig arithmetic without Blender: rotation storage forms, rest frames, and reading a pose back."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from model_runtime import rig_pose
from model_runtime.conventions import direction_from_angles

from .conftest import random_clip

ROTATIONS = Rotation.random(64, random_state=7).as_matrix()


@pytest.mark.parametrize("mode", rig_pose.ROTATION_MODES)
def test_every_rotation_mode_round_trips(mode):
    values = rig_pose.rotation_channels(ROTATIONS[:1], mode)
    assert values.shape == (1, rig_pose.rotation_channel_count(mode))
    np.testing.assert_allclose(rig_pose.matrices_from_channels(values, mode), ROTATIONS[:1], atol=1e-9)


@pytest.mark.parametrize("order", rig_pose.EULER_ORDERS)
def test_euler_orders_match_extrinsic_rotations_applied_first_axis_first(order):
    angles = np.array([[0.3, -0.7, 1.1]])
    ours = rig_pose.euler_to_matrices(angles, order)
    reference = Rotation.from_euler(order.lower(), [angles[0]["XYZ".index(c)] for c in order]).as_matrix()
    np.testing.assert_allclose(ours[0], reference, atol=1e-12)


def test_quaternions_match_scipy_and_stay_continuous():
    q = rig_pose.matrices_to_quaternions(ROTATIONS)
    xyzw = Rotation.from_matrix(ROTATIONS).as_quat()
    np.testing.assert_allclose(np.abs(np.sum(q * np.column_stack([xyzw[:, 3], xyzw[:, :3]]), axis=1)), 1.0, atol=1e-9)
    # A slow half turn and more: consecutive quaternions never flip sign.
    turn = rig_pose.axis_rotations(2, np.linspace(0.0, 1.9 * np.pi, 200))
    q = rig_pose.matrices_to_quaternions(turn)
    assert np.all(np.sum(q[1:] * q[:-1], axis=1) > 0.9)


def test_zero_rotation_axis_angle_uses_blenders_default_axis():
    np.testing.assert_allclose(rig_pose.matrices_to_axis_angle(np.eye(3)[None]), [[0.0, 0.0, 1.0, 0.0]])


def test_local_rotation_undoes_the_rest_frame():
    rest = ROTATIONS[3]
    local = rig_pose.local_from_armature(ROTATIONS[:5], rest)
    np.testing.assert_allclose(rig_pose.armature_from_local(local, rest), ROTATIONS[:5], atol=1e-12)
    # Posed = rest @ local: the bone turns by the armature-space rotation about its own head.
    np.testing.assert_allclose(rest @ local, ROTATIONS[:5] @ rest, atol=1e-12)


def test_eye_rotation_turns_forward_into_the_gaze_direction_in_armature_space():
    pitch, yaw = np.array([10.0, -20.0]), np.array([30.0, 5.0])
    eyes = rig_pose.eye_rotations(pitch, yaw)
    forward = np.array([0.0, -1.0, 0.0])  # the character faces -Y
    expected = direction_from_angles(pitch, yaw) @ rig_pose.CHARACTER_TO_ARMATURE.T
    np.testing.assert_allclose(eyes @ forward, expected, atol=1e-12)
    assert (eyes @ forward)[0, 0] > 0.4  # yaw > 0 looks to the character's left, +X


def test_clip_reads_back_from_its_rotations():
    clip = random_clip(fps=24.0, seconds=3.0)
    back = rig_pose.clip_from_rotations(
        clip.fps,
        head=rig_pose.head_rotations(clip),
        left_eye=rig_pose.eye_rotations(clip.left_eye[:, 0], clip.left_eye[:, 1]),
        right_eye=rig_pose.eye_rotations(clip.right_eye[:, 0], clip.right_eye[:, 1]),
        blinks=clip.blinks,
    )
    np.testing.assert_allclose(back.data, clip.data, atol=1e-9)
    with pytest.raises(ValueError, match="nothing to read"):
        rig_pose.clip_from_rotations(24.0, head=None, left_eye=None, right_eye=None)


def test_unknown_modes_are_named():
    with pytest.raises(ValueError, match="'XXY'"):
        rig_pose.rotation_channels(ROTATIONS[:1], "XXY")
