"""Keys written onto rolled, skewed bones turn the head and eyes where the clip says, in world space."""

from __future__ import annotations

import math

import bpy
import numpy as np
import pytest
from mathutils import Matrix

from gaze_addon import compat, keyframes, layers, rig_mapping, takes
from model_runtime import rig_pose
from model_runtime.clip import MotionClip
from model_runtime.conventions import FORWARD, direction_from_angles, head_matrix
from tests.blender.conftest import FLAME_BONES, build_armature, face_mesh, flame_rig
from tests.conftest import random_clip

BLENDER_FORWARD = np.array([0.0, -1.0, 0.0])  # the character faces -Y
C = rig_pose.CHARACTER_TO_ARMATURE


def strong_clip(fps: float = 25.0, seconds: float = 2.0) -> MotionClip:
    """Large, distinct angles on every channel so that any sign or axis mix-up shows."""
    base = random_clip(fps=fps, seconds=seconds, seed=3).data.copy()
    base[:, 0] += 20.0  # chin up
    base[:, 1] -= 25.0  # turned to the character's right
    base[:, 2] += 10.0
    base[:, 3:7] *= 2.0
    return MotionClip(fps=fps, data=base)


def delta(obj, bone: str) -> np.ndarray:
    """The bone's posed rotation relative to rest, in world space."""
    pose = np.array(obj.pose.bones[bone].matrix.to_3x3().normalized())
    rest = np.array(obj.data.bones[bone].matrix_local.to_3x3().normalized())
    world = np.array(obj.matrix_world.to_3x3().normalized())
    return world @ pose @ rest.T @ world.T


def expected(obj, clip: MotionClip, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """World head rotation and world gaze of each eye for frame ``i`` of ``clip``."""
    world = np.array(obj.matrix_world.to_3x3().normalized())
    head = head_matrix(*clip.head[i])
    gaze = [world @ C @ head @ direction_from_angles(*eye) for eye in (clip.left_eye[i], clip.right_eye[i])]
    return world @ C @ head @ C.T @ world.T, gaze[0], gaze[1]


def write(scene, obj, clip, start=1, **mapping):
    """Key ``clip`` as one take with the eyes the clip's own (no eye-contact goal)."""
    target = rig_mapping.resolve(rig_mapping.MappingChoice(**mapping), obj, scene)
    return target, takes.key_take(scene, target, clip, start_frame=start, name="Gaze test", kind="line", line="test", goal=None, look=None, info={"fps": 25.0})


def take_action(owner):
    """The action of the owner's one generated strip."""
    strips = layers.strips(owner)
    assert len(strips) == 1
    return strips[0].action, getattr(strips[0], "action_slot", None)


@pytest.mark.parametrize("mode", rig_pose.ROTATION_MODES)
def test_world_head_and_gaze_directions_for_every_rotation_mode(empty_file, mode):
    scene = empty_file
    obj = flame_rig(rotation_mode=mode)
    # The rig object itself is turned and moved: directions are checked in world space.
    obj.matrix_world = Matrix.Translation((1.0, 2.0, 0.0)) @ Matrix.Rotation(math.radians(70), 4, "Z")
    clip = strong_clip()
    write(scene, obj, clip, start=11)
    for i in (0, 17, 33, clip.n_frames - 1):
        scene.frame_set(11 + i)
        head, left, right = expected(obj, clip, i)
        np.testing.assert_allclose(delta(obj, "neck"), head, atol=2e-3)
        # The eyes ride on the head: their world rotation includes the neck's.
        for bone, gaze in (("left_eye", left), ("right_eye", right)):
            seen = delta(obj, bone) @ np.array(obj.matrix_world.to_3x3().normalized()) @ BLENDER_FORWARD
            np.testing.assert_allclose(seen, gaze, atol=2e-3)


def test_positive_yaw_turns_to_the_characters_left_which_is_plus_x(empty_file):
    obj = flame_rig()
    clip = MotionClip.from_channels(25.0, 3, head_yaw=np.full(3, 30.0), left_eye_pitch=np.full(3, 20.0))
    write(empty_file, obj, clip)
    empty_file.frame_set(2)
    nose = delta(obj, "neck") @ BLENDER_FORWARD
    assert nose[0] > 0.45 and nose[1] < -0.8  # turned towards +X, still facing -Y
    gaze = delta(obj, "left_eye") @ BLENDER_FORWARD
    assert gaze[2] > 0.3  # looking up


def test_eyes_not_parented_to_the_head_still_follow_it(empty_file):
    bones = [("root", None, (0, 0, 0), (0, 0, 1), 0.0), ("neck", "root", (0, 0, 1.5), (0, -0.02, 1.6), 20.0),
             ("left_eye", "root", (0.03, -0.08, 1.66), (0.03, -0.1, 1.7), 45.0), ("right_eye", "root", (-0.03, -0.08, 1.66), (-0.03, -0.1, 1.6), -30.0)]  # fmt: skip
    obj = build_armature("Loose", bones, "XZY")
    clip = strong_clip()
    write(empty_file, obj, clip)
    empty_file.frame_set(21)
    _, left, right = expected(obj, clip, 20)
    np.testing.assert_allclose(delta(obj, "left_eye") @ BLENDER_FORWARD, left, atol=2e-3)
    np.testing.assert_allclose(delta(obj, "right_eye") @ BLENDER_FORWARD, right, atol=2e-3)


def test_keys_are_linear_one_per_frame_and_read_back(empty_file):
    obj = flame_rig(rotation_mode="YXZ")
    clip = strong_clip()
    target, result = write(empty_file, obj, clip, start=-7)
    action, slot = take_action(obj)
    assert action.name == "Gaze test" and action["gaze_generated"]
    assert obj.animation_data.action is None  # a layer: no active action is set
    assert result.first_frame == -7 and result.last_frame == -7 + clip.n_frames - 1
    curves = list(compat.fcurves(action, slot))
    assert len(curves) == 3 * 3 + 2  # three Euler bones + two blink properties
    assert all(len(c.keyframe_points) == clip.n_frames for c in curves)
    assert {k.interpolation for c in curves for k in c.keyframe_points} == {"LINEAR"}
    back = keyframes.clip_from_action(action, target, 25.0, slot)
    np.testing.assert_allclose(back.data[:, :7], clip.data[:, :7], atol=0.02)


def test_the_users_action_keeps_playing_and_head_keys_add_up(empty_file):
    scene = empty_file
    obj = flame_rig()
    mine = bpy.data.actions.new("Body")
    obj.animation_data_create()
    obj.animation_data.action = mine
    turn = Matrix.Rotation(math.radians(20), 4, "Z").to_quaternion()
    for frame in (1, 60):
        obj.pose.bones["root"].rotation_quaternion = turn if frame == 60 else (1, 0, 0, 0)
        obj.keyframe_insert('pose.bones["root"].rotation_quaternion', frame=frame)
    obj.pose.bones["neck"].rotation_quaternion = Matrix.Rotation(math.radians(15), 4, "X").to_quaternion()
    obj.keyframe_insert('pose.bones["neck"].rotation_quaternion', frame=1)
    slot = compat.action_slot_of(obj)
    before = [(c.data_path, c.array_index, tuple(k.co)) for c in compat.fcurves(mine, slot) for k in c.keyframe_points]
    clip = strong_clip()
    write(scene, obj, clip)
    assert obj.animation_data.action == mine and not obj.animation_data.nla_tracks[0].mute
    after = [(c.data_path, c.array_index, tuple(k.co)) for c in compat.fcurves(mine, slot) for k in c.keyframe_points]
    assert after == before  # the user's keys are untouched
    scene.frame_set(60)
    # The body bone plays the user's animation exactly.
    root = np.array(obj.pose.bones["root"].matrix.to_3x3())
    np.testing.assert_allclose(root, np.array(obj.data.bones["root"].matrix_local.to_3x3()) @ np.array(turn.to_matrix()), atol=1e-4)
    # The user's neck keys and the generated head add up (COMBINE): the head differs from both alone.
    assert obj.animation_data.action_blend_type == "COMBINE"
    scene.frame_set(30)
    user_only = Matrix.Rotation(math.radians(15), 4, "X").to_quaternion()
    assert obj.pose.bones["neck"].rotation_quaternion.rotation_difference(user_only).angle > math.radians(2)
    # Remove puts back the blend type and takes nothing of the user's.
    removed, _ = takes.remove_all([obj])
    assert removed == ["Gaze test"] and obj.animation_data.action == mine
    assert obj.animation_data.action_blend_type == "REPLACE" and not obj.animation_data.nla_tracks
    assert "Gaze test" not in bpy.data.actions and "Body" in bpy.data.actions


def test_users_keys_win_when_asked(empty_file):
    obj = flame_rig()
    obj.animation_data_create()
    obj.animation_data.action = bpy.data.actions.new("Body")
    obj.pose.bones["neck"].rotation_quaternion = (1, 0, 0, 0)
    obj.keyframe_insert('pose.bones["neck"].rotation_quaternion', frame=1)
    target = rig_mapping.resolve(rig_mapping.MappingChoice(), obj, empty_file)
    result = takes.key_take(empty_file, target, strong_clip(), start_frame=1, name="T", kind="line", line="t", goal=None, look=None, layering="USER")
    assert any("your keys win" in n for n in result.notes)
    empty_file.frame_set(10)
    assert obj.pose.bones["neck"].rotation_quaternion.angle == pytest.approx(0.0, abs=1e-5)
    assert obj.pose.bones["left_eye"].rotation_quaternion.angle > 0.01  # the eyes still come from the take


def test_arkit_shape_keys_drive_eyes_and_blinks_with_the_right_sides(empty_file):
    obj = build_armature("Body", [("root", None, (0, 0, 0), (0, 0, 1), 0.0), ("neck", "root", (0, 0, 1.5), (0, 0, 1.6), 0.0)])
    face = face_mesh(obj)
    jaw = face.data.shape_keys.key_blocks["jawOpen"].value
    n = 20
    clip = MotionClip.from_channels(
        25.0, n, left_eye_yaw=np.full(n, 15.0), right_eye_yaw=np.full(n, 15.0), left_eye_pitch=np.full(n, -30.0), blink_left=np.full(n, 1.0)
    )
    target, _ = write(empty_file, obj, clip)
    assert target.preset == "ARKIT" and target.blink_mode == "SHAPE_KEYS" and target.head_bone == "neck"
    empty_file.frame_set(10)
    keys = face.data.shape_keys.key_blocks
    # Both eyes look to the character's left: out for the left eye, in for the right eye.
    assert keys["eyeLookOutLeft"].value == pytest.approx(0.5, abs=1e-3) and keys["eyeLookInLeft"].value == 0.0
    assert keys["eyeLookInRight"].value == pytest.approx(0.5, abs=1e-3) and keys["eyeLookOutRight"].value == 0.0
    assert keys["eyeLookDownLeft"].value == pytest.approx(1.0, abs=1e-3)
    assert keys["eyeBlinkLeft"].value == pytest.approx(1.0, abs=1e-3) and keys["eyeBlinkRight"].value == 0.0
    assert keys["jawOpen"].value == jaw  # keys the mapping does not name are left alone
    # The take's last frame has its lids open again.
    empty_file.frame_set(n)
    assert keys["eyeBlinkLeft"].value == pytest.approx(0.0, abs=1e-3)
    removed, _ = takes.remove_all([obj, face.data.shape_keys])
    assert removed and not bpy.data.actions and not face.data.shape_keys.animation_data.nla_tracks


def test_blinks_on_eyelid_bones_and_on_custom_properties(empty_file):
    bones = [*FLAME_BONES, ("lid.L", "neck", (0.03, -0.09, 1.67), (0.03, -0.11, 1.67), 0.0), ("lid.R", "neck", (-0.03, -0.09, 1.67), (-0.03, -0.11, 1.67), 0.0)]  # fmt: skip
    obj = build_armature("Lids", bones, "QUATERNION")
    n = 20
    clip = MotionClip.from_channels(25.0, n, blink_left=np.full(n, 1.0), blink_right=np.zeros(n))
    write(empty_file, obj, clip, blink_target="BONES", left_lid_bone="lid.L", right_lid_bone="lid.R", lid_angle_deg=40.0)
    empty_file.frame_set(10)
    angle = math.degrees(obj.pose.bones["lid.L"].rotation_quaternion.angle)
    assert angle == pytest.approx(40.0, abs=0.1)
    assert obj.pose.bones["lid.R"].rotation_quaternion.angle == pytest.approx(0.0, abs=1e-4)
    other = flame_rig("Props")
    write(empty_file, other, clip, blink_target="PROPERTY")
    empty_file.frame_set(10)
    assert other["gaze_blink_left"] == pytest.approx(1.0) and other["gaze_blink_right"] == pytest.approx(0.0)


def test_upper_lids_follow_the_eyes_up_and_down(empty_file):
    bones = [*FLAME_BONES, ("lid.L", "neck", (0.03, -0.09, 1.67), (0.03, -0.11, 1.67), 0.0), ("lid.R", "neck", (-0.03, -0.09, 1.67), (-0.03, -0.11, 1.67), 0.0)]  # fmt: skip
    obj = build_armature("Lids", bones, "QUATERNION")
    face = face_mesh(obj)
    n = 40
    pitch = np.r_[np.full(n // 2, 20.0), np.full(n // 2, -20.0)]  # up, then down; no blink
    clip = MotionClip.from_channels(25.0, n, left_eye_pitch=pitch, right_eye_pitch=pitch)
    write(empty_file, obj, clip, blink_target="BONES", left_lid_bone="lid.L", right_lid_bone="lid.R", lid_angle_deg=40.0)
    angles = {}
    for frame in (10, 30):
        empty_file.frame_set(frame)
        q = obj.pose.bones["lid.L"].rotation_quaternion
        angles[frame] = math.degrees(q.angle) * (1 if q.x >= 0 else -1)
    # Eyes 20 deg up: the lid lifts (opens past rest); 20 deg down: it lowers.
    assert angles[10] == pytest.approx(-40.0 * 0.3 * 20 / 30, abs=0.5) and angles[30] == pytest.approx(40.0 * 0.3 * 20 / 30, abs=0.5)
    # ARKit faces: eyeWide lifts the lids while the eyes look up.
    other = flame_rig("Shapes")
    face = face_mesh(other, name="Face2")
    write(empty_file, other, clip)
    wide = face.data.shape_keys.key_blocks["eyeWideLeft"]
    empty_file.frame_set(10)
    assert wide.value == pytest.approx(0.5 * 20 / 30, abs=0.02)
    empty_file.frame_set(30)
    assert wide.value == pytest.approx(0.0, abs=1e-4)


def test_write_ten_minutes_is_complete(empty_file):
    obj = flame_rig()
    clip = random_clip(fps=25.0, seconds=600.0)
    _, result = write(empty_file, obj, clip)
    assert result.keys == clip.n_frames * (3 * 4 + 2)
    assert layers.strips(obj)[0].frame_end == clip.n_frames


def test_forward_gaze_is_the_rest_pose(empty_file):
    obj = flame_rig(rotation_mode="ZYX")
    write(empty_file, obj, MotionClip.from_channels(25.0, 2))
    empty_file.frame_set(1)
    for bone in ("neck", "left_eye", "right_eye"):
        np.testing.assert_allclose(delta(obj, bone), np.eye(3), atol=1e-5)
    np.testing.assert_allclose(C @ FORWARD, BLENDER_FORWARD)
