"""Production scenes, checked in world space: eye contact that lands, the rigs animators bring (Rigify
generated from the bundled meta-rig, Mixamo through an FBX round trip, a mirrored rig, names with
quotes), the animator's own body and lip-sync animation kept, and line after line on one character."""

from __future__ import annotations

import itertools
import math
import sys
from pathlib import Path

import bpy
import numpy as np
import pytest
from mathutils import Matrix

from gaze_addon import layers, pipeline, rig_mapping, takes
from gaze_addon.aim import EyeContact
from gaze_addon.request import AudioChoice, GenerateRequest
from model_runtime.errors import GazeError
from model_runtime.performer.estimate import world_gaze
from tests.blender.conftest import ARKIT_KEYS, FLAME_BONES, build_armature, face_mesh, flame_rig, line_take, sound_strip, speak

ROOT = Path(__file__).resolve().parents[2]
WORLD_FORWARD = np.array([0.0, -1.0, 0.0])  # every character here faces -Y in the world


def camera_at(scene, location, name="Cam"):
    camera = bpy.data.objects.new(name, bpy.data.cameras.new(name))
    scene.collection.objects.link(camera)
    camera.location = location
    scene.camera = camera
    return camera


def world_delta(obj, bone: str) -> np.ndarray:
    """The bone's posed rotation relative to its rest, in world space (object scale and mirror removed)."""
    world = np.array(obj.matrix_world.to_3x3())
    pose = world @ np.array(obj.pose.bones[bone].matrix.to_3x3())
    rest = world @ np.array(obj.data.bones[bone].matrix_local.to_3x3())
    u, _, vt = np.linalg.svd(pose @ np.linalg.inv(rest))
    return u @ vt


def armature_forward(obj) -> np.ndarray:
    """The character's forward in its armature's space, read while it faces -Y in the world."""
    forward = np.linalg.inv(np.array(obj.matrix_world.to_3x3())) @ WORLD_FORWARD
    return forward / np.linalg.norm(forward)


def eye_error_deg(obj, eyeball: str, goal: np.ndarray, forward: np.ndarray | None = None) -> float:
    """Angle between the eyeball's world line of sight and the line from its centre to ``goal``.

    ``forward``: the rest line of sight in armature space (default: world -Y now, for a character
    whose object is not animated).
    """
    forward = armature_forward(obj) if forward is None else forward
    pose = np.array(obj.pose.bones[eyeball].matrix.to_3x3())
    rest = np.array(obj.data.bones[eyeball].matrix_local.to_3x3())
    sight = np.array(obj.matrix_world.to_3x3()) @ (pose @ np.linalg.inv(rest) @ forward)
    centre = np.array(obj.matrix_world @ obj.pose.bones[eyeball].head)
    to_goal = goal - centre
    return math.degrees(math.acos(np.clip(sight @ to_goal / np.linalg.norm(sight) / np.linalg.norm(to_goal), -1.0, 1.0)))


def held_frames(outcome) -> np.ndarray:
    """Offsets of the frames where the performance holds on the listener (gaze within 0.5 deg)."""
    look = outcome.lines[-1].look
    gaze = world_gaze(outcome.clip)
    return np.nonzero(np.hypot(gaze[:, 0] - look.pitch_deg, gaze[:, 1] - look.yaw_deg) < 0.5)[0]


def request_for(audio: Path, start: int = 1, **kw) -> GenerateRequest:
    return GenerateRequest(audio=AudioChoice("FILE", file=str(audio), file_start_frame=start), **kw)


def demo_head():
    sys.path.insert(0, str(ROOT / "assets" / "demo_head"))
    try:
        import build_head
    finally:
        sys.path.pop(0)
    return build_head.build_demo_head()


@pytest.mark.parametrize("distance", [0.3, 0.7, 5.0])
def test_eyes_land_on_the_camera_from_each_eyes_own_centre(empty_file, speech, distance):
    scene = empty_file
    objects = demo_head()
    rig, camera = objects["armature"], objects["camera"]
    camera.location = (0.0, -0.078 - distance, 1.637)
    outcome = pipeline.run(scene, request_for(speech, contact=EyeContact("CAMERA")), rig)
    held = held_frames(outcome)
    assert len(held) >= 10
    goal = np.array(camera.matrix_world.translation)
    errors = []
    for i in held[:: max(1, len(held) // 20)]:
        scene.frame_set(1 + int(i))
        errors += [eye_error_deg(rig, bone, goal) for bone in ("left_eye", "right_eye")]
    assert max(errors) < 1.0, (distance, np.median(errors), max(errors))


def test_with_gaze_intensity_zero_every_frame_meets_the_camera(empty_file, speech):
    scene = empty_file
    objects = demo_head()
    rig, camera = objects["armature"], objects["camera"]
    outcome = pipeline.run(scene, request_for(speech, contact=EyeContact("CAMERA"), gaze_intensity=0.0), rig)
    goal = np.array(camera.matrix_world.translation)
    errors = []
    for i in range(0, outcome.clip.n_frames, 4):
        scene.frame_set(1 + i)
        errors += [eye_error_deg(rig, bone, goal) for bone in ("left_eye", "right_eye")]
    assert max(errors) < 0.1, max(errors)  # it was 9-10 deg over the camera before (issue 24)


def test_eyes_follow_a_moving_target_and_a_moving_character(empty_file, speech):
    scene = empty_file
    rig = flame_rig()
    goal = bpy.data.objects.new("Friend", None)
    scene.collection.objects.link(goal)
    for frame, x in ((1, -0.4), (80, 0.5)):
        goal.location = (x, -1.2, 1.7)
        goal.keyframe_insert("location", frame=frame)
    for frame, z in ((1, 0.0), (80, 25.0)):  # the animator turns the character's body
        rig.rotation_euler = (0.0, 0.0, math.radians(z))
        rig.keyframe_insert("rotation_euler", frame=frame)
    scene.frame_set(1)
    forward = armature_forward(rig)
    outcome = pipeline.run(scene, request_for(speech, contact=EyeContact("OBJECT", goal)), rig)
    errors = []
    for i in held_frames(outcome):
        scene.frame_set(1 + int(i))
        where = np.array(goal.matrix_world.translation)
        errors += [eye_error_deg(rig, bone, where, forward) for bone in ("left_eye", "right_eye")]
    assert len(errors) >= 20 and max(errors) < 1.0, max(errors)


def test_a_target_behind_or_inside_the_head_is_refused_in_plain_words(empty_file, speech):
    scene = empty_file
    rig = flame_rig()
    camera = camera_at(scene, (0.0, 2.0, 1.66))
    with pytest.raises(GazeError, match="is behind Rig"):
        pipeline.run(scene, request_for(speech, contact=EyeContact("CAMERA")), rig)
    camera.location = (0.0, -0.08, 1.66)
    with pytest.raises(GazeError, match="inside Rig's head"):
        pipeline.run(scene, request_for(speech, contact=EyeContact("CAMERA")), rig)
    assert not layers.strips(rig) and not bpy.data.actions


def test_a_mirrored_rig_keeps_eye_contact(empty_file, speech):
    scene = empty_file
    rig = flame_rig()
    rig.scale = (-1.0, 1.0, 1.0)
    camera = camera_at(scene, (0.3, -0.9, 1.7))
    outcome = pipeline.run(scene, request_for(speech, contact=EyeContact("CAMERA")), rig)
    goal = np.array(camera.matrix_world.translation)
    errors = []
    for i in held_frames(outcome)[::3]:
        scene.frame_set(1 + int(i))
        errors += [eye_error_deg(rig, bone, goal) for bone in ("left_eye", "right_eye")]
    assert errors and max(errors) < 1.0


def test_one_character_looks_into_another_characters_eye(empty_file, speech):
    scene = empty_file
    hero = flame_rig("Hero")
    friend = flame_rig("Friend")
    friend.matrix_world = Matrix.Translation((0.5, -1.4, 0.05)) @ Matrix.Rotation(math.radians(160), 4, "Z")
    outcome = pipeline.run(scene, request_for(speech, contact=EyeContact("BONE", friend, "left_eye")), hero)
    errors = []
    for i in held_frames(outcome)[::3]:
        scene.frame_set(1 + int(i))
        goal = np.array(friend.matrix_world @ friend.pose.bones["left_eye"].head)
        errors += [eye_error_deg(hero, bone, goal) for bone in ("left_eye", "right_eye")]
    assert friend.animation_data is None  # the other character is only looked at
    assert errors and max(errors) < 1.0


def rigify_character(scene):
    import addon_utils

    try:
        addon_utils.enable("rigify", default_set=True)
        bpy.ops.object.armature_human_metarig_add()
    except (RuntimeError, AttributeError) as error:
        pytest.skip(f"Rigify is not available in bpy {bpy.app.version_string}: {error}")
    bpy.ops.pose.rigify_generate()
    rig = bpy.context.active_object
    assert rig_mapping.is_generated_rigify(rig)
    return rig


def test_generated_rigify_eyeballs_turn_and_lids_close(empty_file, speech):
    scene = empty_file
    rig = rigify_character(scene)
    camera = camera_at(scene, (0.2, -1.2, 1.9))
    outcome = pipeline.run(scene, request_for(speech, contact=EyeContact("CAMERA")), rig)
    target = rig_mapping.resolve(rig_mapping.MappingChoice(), rig, scene)
    assert target.eye_drive == "TARGET" and target.blink_mode == "LID_CONTROLS"
    assert not any("do not move" in w for w in outcome.warnings)
    goal = np.array(camera.matrix_world.translation)
    errors, in_head = [], []
    for i in range(0, outcome.clip.n_frames, 3):
        scene.frame_set(1 + i)
        head = world_delta(rig, "head")
        in_head.append(head.T @ world_delta(rig, "ORG-eye.L") @ WORLD_FORWARD)
    for i in held_frames(outcome)[::3]:
        scene.frame_set(1 + int(i))
        errors += [eye_error_deg(rig, bone, goal) for bone in ("ORG-eye.L", "ORG-eye.R")]
    # The eyeballs really turn in the head (saccades), and land on the camera while holding.
    assert np.degrees(np.ptp(np.arcsin(np.clip(np.array(in_head)[:, 0], -1, 1)))) > 2.0
    assert errors and max(errors) < 1.0, max(errors)
    # A blink moves the upper lid's deforming bone down towards the lower lid.
    blinks = outcome.clip.blinks[:, 0]
    closed = int(np.argmax(blinks))
    assert blinks[closed] > 0.3
    scene.frame_set(1 + closed)
    shut = np.array(rig.pose.bones["DEF-lid.T.L.002"].head)
    scene.frame_set(1 + outcome.clip.n_frames - 1)
    open_ = np.array(rig.pose.bones["DEF-lid.T.L.002"].head)
    assert open_[2] - shut[2] > 0.005 * blinks[closed]


def test_a_control_that_drives_nothing_is_named_with_bones_that_would_work(empty_file, speech):
    scene = empty_file
    rig = rigify_character(scene)
    mapping = rig_mapping.MappingChoice(preset="CUSTOM", head_bone="head", left_eye_bone="eye.L", right_eye_bone="eye.R")
    outcome = pipeline.run(scene, request_for(speech, mapping=mapping), rig)
    assert any("do not move" in w and "Rigify" in w for w in outcome.warnings), outcome.warnings


def mixamo_through_fbx(tmp_path):
    """A Mixamo-style character as it comes from Mixamo (Y-up bones in cm, object turned 90 deg about
    X with scale 0.01), written to FBX and imported back with Blender's importer defaults."""
    names = {"root": "mixamorig:Neck", "neck": "mixamorig:Head", "jaw": "mixamorig:Jaw", "left_eye": "mixamorig:LeftEye", "right_eye": "mixamorig:RightEye"}

    def y_up_cm(p):
        return (100 * p[0], 100 * p[2], -100 * p[1])

    rig = build_armature("Mixamo", [(names[b], names.get(p) if p else None, y_up_cm(h), y_up_cm(t), r) for b, p, h, t, r in FLAME_BONES])
    rig.rotation_euler, rig.scale = (math.radians(90), 0.0, 0.0), (0.01, 0.01, 0.01)
    path = tmp_path / "mixamo.fbx"
    bpy.ops.export_scene.fbx(filepath=str(path), add_leaf_bones=False, apply_scale_options="FBX_SCALE_NONE")
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.context.scene.render.fps = 25
    bpy.ops.import_scene.fbx(filepath=str(path))
    imported = next(o for o in bpy.data.objects if o.type == "ARMATURE")
    assert imported.scale[0] == pytest.approx(0.01, rel=1e-3) and math.degrees(imported.rotation_euler[0]) == pytest.approx(90.0, abs=0.1)
    return imported


def test_mixamo_from_fbx_turns_heads_not_tilts(empty_file, tmp_path):
    from model_runtime.clip import MotionClip

    rig = mixamo_through_fbx(tmp_path)
    scene = bpy.context.scene
    target = rig_mapping.resolve(rig_mapping.MappingChoice(), rig, scene)
    assert target.preset == "MIXAMO"
    n = 20
    clip = MotionClip.from_channels(25.0, n, head_yaw=np.full(n, 30.0), left_eye_yaw=np.full(n, 20.0), right_eye_yaw=np.full(n, 20.0))
    takes.key_take(scene, target, clip, start_frame=1, name="T", kind="line", line="t", goal=None, look=None)
    scene.frame_set(10)
    nose = world_delta(rig, target.head_bone) @ WORLD_FORWARD
    # Yaw 30 to the character's left (+X in the world), no tilt: the nose stays level.
    assert nose[0] == pytest.approx(math.sin(math.radians(30)), abs=0.01) and abs(nose[2]) < 0.01
    sight = world_delta(rig, target.left_eye_bone) @ WORLD_FORWARD
    assert sight[0] == pytest.approx(math.sin(math.radians(50)), abs=0.01) and abs(sight[2]) < 0.01


def test_mixamo_from_fbx_keeps_eye_contact(empty_file, speech, tmp_path):
    rig = mixamo_through_fbx(tmp_path)
    scene = bpy.context.scene
    camera = camera_at(scene, (-0.2, -0.8, 1.6))
    outcome = pipeline.run(scene, request_for(speech, contact=EyeContact("CAMERA")), rig)
    goal = np.array(camera.matrix_world.translation)
    errors = []
    for i in held_frames(outcome)[::3]:
        scene.frame_set(1 + int(i))
        errors += [eye_error_deg(rig, b, goal) for b in ("mixamorig:LeftEye", "mixamorig:RightEye")]
    assert errors and max(errors) < 1.0


def test_bone_names_with_quotes_and_dots_get_keys_that_drive_them(empty_file, speech):
    names = {"neck": 'head "main"', "left_eye": "eye.L.001", "right_eye": "eye\\R"}
    rig = build_armature("Odd", [(names.get(b, b), names.get(p, p) if p else None, h, t, r) for b, p, h, t, r in FLAME_BONES])
    mapping = rig_mapping.MappingChoice(preset="CUSTOM", head_bone=names["neck"], left_eye_bone=names["left_eye"], right_eye_bone=names["right_eye"])
    outcome = pipeline.run(empty_file, request_for(speech, mapping=mapping, head_intensity=2.0), rig)
    turns = {name: [] for name in names.values()}
    for i in range(0, outcome.clip.n_frames, 4):
        empty_file.frame_set(1 + i)
        for name, sights in turns.items():
            sights.append(world_delta(rig, name) @ WORLD_FORWARD)
    for name, sights in turns.items():
        assert np.ptp(np.array(sights), axis=0).max() > 0.02, name


def test_body_action_and_lip_sync_keep_playing_under_the_layer(empty_file, speech):
    scene = empty_file
    rig = flame_rig()
    face = face_mesh(rig, keys=ARKIT_KEYS)
    # The animator's body action on the same armature, and lip sync on the face's shape keys.
    for frame, angle in ((1, 0.0), (40, 20.0), (80, -10.0)):
        rig.pose.bones["root"].rotation_quaternion = Matrix.Rotation(math.radians(angle), 4, "Y").to_quaternion()
        rig.pose.bones["root"].keyframe_insert("rotation_quaternion", frame=frame)
    body = rig.animation_data.action
    body.name = "Body"
    jaw = face.data.shape_keys.key_blocks["jawOpen"]
    for frame in range(1, 90, 10):
        jaw.value = 1.0 if frame % 20 == 1 else 0.0
        jaw.keyframe_insert("value", frame=frame)
    lips = face.data.shape_keys.animation_data.action
    expected = {}
    for frame in (5, 21, 33, 61):
        scene.frame_set(frame)
        expected[frame] = (np.array(rig.pose.bones["root"].matrix), jaw.value)
    outcome = pipeline.run(scene, request_for(speech), rig)
    assert rig.animation_data.action == body and face.data.shape_keys.animation_data.action == lips
    assert not any(t.mute for t in rig.animation_data.nla_tracks)
    blink_moved = []
    for frame, (root, jaw_value) in expected.items():
        scene.frame_set(frame)
        np.testing.assert_allclose(np.array(rig.pose.bones["root"].matrix), root, atol=1e-5)
        assert jaw.value == pytest.approx(jaw_value, abs=1e-6)
    for i in range(outcome.clip.n_frames):
        scene.frame_set(1 + i)
        blink_moved.append(face.data.shape_keys.key_blocks["eyeBlinkLeft"].value)
    assert max(blink_moved) > 0.3  # blinks layered over the lip sync
    # Remove restores by identity, even after the animator renamed their actions.
    body.name, lips.name = "Walk", "Lips v2"
    removed, _ = takes.remove_all([rig, face.data.shape_keys])
    assert removed and rig.animation_data.action == body and face.data.shape_keys.animation_data.action == lips
    assert not rig.animation_data.nla_tracks and not face.data.shape_keys.animation_data.nla_tracks
    assert {a.name for a in bpy.data.actions} == {"Walk", "Lips v2"}


def test_remove_puts_the_pose_back_at_the_current_frame(empty_file, speech):
    scene = empty_file
    rig = flame_rig()
    rig.pose.bones["left_eye"].rotation_quaternion = Matrix.Rotation(0.2, 4, "X").to_quaternion()  # posed by hand, not keyed
    before = {b.name: tuple(b.rotation_quaternion) for b in rig.pose.bones}
    pipeline.run(scene, request_for(speech, head_intensity=2.0), rig)
    scene.frame_set(30)
    assert {b.name: tuple(b.rotation_quaternion) for b in rig.pose.bones} != before
    takes.remove_all([rig])
    scene.frame_set(30)
    after = {b.name: tuple(b.rotation_quaternion) for b in rig.pose.bones}
    for name, values in before.items():
        np.testing.assert_allclose(after[name], values, atol=1e-6)


def test_the_users_stash_survives_generate_and_remove(empty_file, speech):
    rig = flame_rig()
    old = bpy.data.actions.new("Old")
    rig.animation_data_create()
    track = rig.animation_data.nla_tracks.new()
    track.name, track.mute = "[Action Stash]", True
    track.strips.new("Old", 1, old)
    pipeline.run(empty_file, request_for(speech), rig)
    takes.remove_all([rig])
    assert [t.name for t in rig.animation_data.nla_tracks] == ["[Action Stash]"] and rig.animation_data.nla_tracks[0].strips[0].action == old


def test_line_after_line(empty_file, tmp_path):
    scene = empty_file
    scene.frame_end = 400
    first = speak(tmp_path / "one.wav", "Hello there, how are you today?")
    second = speak(tmp_path / "two.wav", "I am fine. Thank you for asking.")
    sound_strip(scene, first, frame_start=20, name="Line one")
    sound_strip(scene, second, frame_start=200, name="Line two")
    rig = flame_rig()
    face = face_mesh(rig, keys=ARKIT_KEYS)
    request = GenerateRequest(audio=AudioChoice("STRIP", all_strips=True))
    outcome = pipeline.run(scene, request, rig)
    lines = layers.strips(rig, "line")
    assert [s.action["gaze_line"] for s in lines] == ["Line one", "Line two"]
    assert [s.frame_start for s in lines] == [20, 200]
    assert all(s.extrapolation == "NOTHING" and s.blend_type == "COMBINE" for s in layers.strips(rig))
    # Every take ends with the lids open.
    blink = face.data.shape_keys.key_blocks["eyeBlinkLeft"]
    for strip in layers.strips(rig):
        scene.frame_set(int(strip.frame_end))
        assert blink.value == pytest.approx(0.0, abs=1e-3), strip.name
    # Alive before, between and after the lines, and no pop where takes meet.
    neck = []
    eyes = []
    for frame in range(1, 400):
        scene.frame_set(frame)
        neck.append(np.array(rig.pose.bones["neck"].matrix.to_3x3()))
        eyes.append(world_delta(rig, "left_eye") @ WORLD_FORWARD)
    steps = [math.degrees(math.acos(np.clip((np.trace(a.T @ b) - 1) / 2, -1, 1))) for a, b in itertools.pairwise(neck)]
    joins = [int(s.frame_end) for s in layers.strips(rig)][:-1]  # the last frame of each take but the last
    assert max(steps[j - 1] for j in joins) < 3.0, [round(steps[j - 1], 2) for j in joins]
    gap = np.array(eyes[130:190])  # between the lines
    assert np.ptp(gap, axis=0).max() > 0.01
    # Regenerating one line leaves the other untouched.
    before = [tuple(k.co) for c in lines[1].action.fcurves for k in c.keyframe_points] if hasattr(lines[1].action, "fcurves") else None
    kept = lines[1].action
    request_one = GenerateRequest(audio=AudioChoice("STRIP", strip_name="Line one"), seed=5)
    pipeline.run(scene, request_one, rig)
    lines = layers.strips(rig, "line")
    assert lines[1].action == kept and lines[0].action["gaze_seed"] == 5
    if before is not None:
        assert [tuple(k.co) for c in kept.fcurves for k in c.keyframe_points] == before
    assert len(outcome.lines) == 2 and line_take(rig, 1)[0] == kept


def test_export_csv_carries_what_plays_including_edits_and_shape_key_blinks(empty_file, speech, tmp_path):
    from gaze_addon import compat, export
    from model_runtime.takes import load_take

    scene = empty_file
    rig = flame_rig()
    face_mesh(rig, keys=ARKIT_KEYS)
    outcome = pipeline.run(scene, request_for(speech, start=5), rig)
    target = rig_mapping.resolve(rig_mapping.MappingChoice(), rig, scene)
    first, last = export.take_range(target, 30)
    assert (first, last) == (5, 5 + outcome.clip.n_frames - 1)
    # The animator edits the take: the neck turns 0.3 rad further on one frame.
    action, slot = line_take(rig)
    edited = 20
    for curve in compat.fcurves(action, slot):
        if curve.data_path == 'pose.bones["neck"].rotation_quaternion' and curve.array_index == 3:
            curve.keyframe_points[edited].co.y += 0.15
            curve.update()
    clip = export.clip_from_scene(scene, target, first, last)
    out = export.write_live_link(clip, tmp_path / "take.csv")
    back = load_take(out).resample(25.0)
    n = min(back.n_frames, outcome.clip.n_frames)
    # Head and eyes as generated (the generated eyes come back in the head), blinks from the shape keys.
    untouched = np.r_[0:edited - 1, edited + 2:n]
    np.testing.assert_allclose(back.head[untouched], outcome.clip.head[untouched], atol=0.3)
    np.testing.assert_allclose(back.left_eye[untouched], outcome.clip.left_eye[untouched], atol=0.5)
    np.testing.assert_allclose(back.blinks[:n, 0], np.clip(outcome.clip.blinks[:n, 0], 0, 1), atol=0.02)
    assert abs(back.head[edited] - outcome.clip.head[edited]).max() > 5.0  # the edit is in the export
    with pytest.raises(GazeError, match=r"should end in \.csv"):
        export.write_live_link(clip, tmp_path / "take.txt")


def test_exports_carry_one_clip_per_take_in_use(empty_file, speech, tmp_path):
    import json

    from gaze_addon import compat

    scene = empty_file
    scene.frame_end = 300
    rig = flame_rig()
    face_mesh(rig, keys=ARKIT_KEYS)
    for seed in range(4):
        pipeline.run(scene, request_for(speech, start=20, seed=seed), rig)
    in_use = {s.action.name for s in layers.strips(rig)}
    assert len(bpy.data.actions) == len(in_use) * (1 if compat.SLOTTED_ACTIONS else 2)
    if not compat.SLOTTED_ACTIONS:
        return  # before 4.4 a take is two actions (armature, face): two clips
    out = tmp_path / "scene.gltf"
    bpy.ops.export_scene.gltf(filepath=str(out), export_format="GLTF_SEPARATE")
    clips = [a["name"] for a in json.loads(out.read_text()).get("animations", [])]
    assert sorted(clips) == sorted(in_use), clips
