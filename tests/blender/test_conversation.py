"""A two-character conversation keyed in one go: each listener looks at the speaker's eyes, in world space."""

from __future__ import annotations

import math

import bpy
import numpy as np
import pytest
from mathutils import Matrix

from gaze_addon import compat, conversation, layers
from gaze_addon.request import GenerateRequest
from model_runtime.errors import GazeError
from tests.blender.conftest import build_armature, flame_rig, sound_strip, speak

WORLD_FORWARD = np.array([0.0, -1.0, 0.0])


def sight(rig, bone: str) -> tuple[np.ndarray, np.ndarray]:
    """World line of sight and centre of an eye bone whose rest looks along the character's forward."""
    world = np.array(rig.matrix_world.to_3x3())
    pose = np.array(rig.pose.bones[bone].matrix.to_3x3())
    rest = np.array(rig.data.bones[bone].matrix_local.to_3x3())
    forward = np.linalg.inv(world) @ WORLD_FORWARD  # at rest each character faces -Y in its own space
    return world @ (pose @ rest.T @ forward), np.array(rig.matrix_world @ rig.pose.bones[bone].head)


def angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    return math.degrees(math.acos(np.clip(a @ b / np.linalg.norm(a) / np.linalg.norm(b), -1.0, 1.0)))


def two_characters(scene, tmp_path):
    ann = flame_rig("Ann")
    ben = flame_rig("Ben")
    ben.matrix_world = Matrix.Translation((0.0, -3.0, 0.0)) @ Matrix.Rotation(math.pi, 4, "Z")  # 3 m away, facing Ann
    lines = [("Ann: hello", 1, "Hello Ben. I wanted to ask you about the trip tomorrow, if you have a minute."),
             ("Ben: reply", 140, "Sure. I think we should leave early, before the traffic gets bad on the bridge."),
             ("Ann: again", 280, "That works for me. I will bring the coffee and the maps.")]  # fmt: skip
    for name, start, text in lines:
        sound_strip(scene, speak(tmp_path / f"{name.split(':')[0]}{start}.wav", text), frame_start=start, name=name)
    scene.frame_end = 400
    return ann, ben


@pytest.mark.parametrize("engine", ["procedural", "learned"])
def test_listeners_look_at_the_speaker_and_everyone_keeps_living(empty_file, tmp_path, engine):
    scene = empty_file
    ann, ben = two_characters(scene, tmp_path)
    results = conversation.run(scene, GenerateRequest(engine=engine))
    assert all(layers.strips(r, "line")[0].action["gaze_engine"] == f"dialogue {engine}" for r in (ann, ben))
    assert len(results) == 2 and all(len(layers.strips(r)) == 1 for r in (ann, ben))
    on_speaker = []
    for frame in range(150, 260, 2):  # Ben speaks, Ann listens
        scene.frame_set(frame)
        target = np.mean([sight(ben, b)[1] for b in ("left_eye", "right_eye")], axis=0)
        errors = [angle_deg(d, target - c) for d, c in (sight(ann, b) for b in ("left_eye", "right_eye"))]
        on_speaker.append(max(errors) < 3.0)
    share = float(np.mean(on_speaker))
    print(f"listener on the speaker within 3 deg: {share:.2f} of listening frames")
    assert 0.5 <= share <= 0.95, share
    # The listener is not frozen: its eyes and head move while it listens.
    turns = []
    for frame in range(150, 260, 5):
        scene.frame_set(frame)
        turns.append(sight(ann, "left_eye")[0])
    assert np.ptp(np.array(turns), axis=0).max() > 0.005


def test_listeners_follow_a_speaker_who_walks(empty_file, tmp_path):
    """Ben walks 2.5 m to the side while he speaks, turning to keep facing Ann, by his root bone
    (as a walk cycle moves a character); Ann's eyes stay on his, in world space."""
    scene = empty_file
    ann, ben = two_characters(scene, tmp_path)
    root = ben.pose.bones["root"]
    root.rotation_mode = "XYZ"
    for frame, x, turn in ((150, 0.0, 0.0), (250, 2.5, -math.atan2(2.5, 3.0))):
        root.location = (x, 0.0, 0.0)  # the root's rest points up (+Z): its local X is Ben's world -X, so he walks to -X
        root.rotation_euler = (0.0, turn, 0.0)  # about the root's own axis, which is world Z
        root.keyframe_insert("location", frame=frame)
        root.keyframe_insert("rotation_euler", frame=frame)
    conversation.run(scene, GenerateRequest())
    on_speaker, moved = [], []
    for frame in range(150, 260, 2):
        scene.frame_set(frame)
        target = np.mean([sight(ben, b)[1] for b in ("left_eye", "right_eye")], axis=0)
        moved.append(target)
        errors = [angle_deg(d, target - c) for d, c in (sight(ann, b) for b in ("left_eye", "right_eye"))]
        on_speaker.append(max(errors) < 3.0)
    share = float(np.mean(on_speaker))
    print(f"listener on a walking speaker within 3 deg: {share:.2f} of listening frames")
    assert 0.5 <= share <= 0.95, share
    ann_eyes = sight(ann, "left_eye")[1]
    assert angle_deg(moved[0] - ann_eyes, moved[-1] - ann_eyes) > 30.0  # eyes that stayed where he began would miss him


def test_a_strip_nobody_speaks_is_named(empty_file, tmp_path):
    scene = empty_file
    two_characters(scene, tmp_path)
    sound_strip(scene, speak(tmp_path / "x.wav", "Who said this?"), frame_start=350, name="Narrator")
    with pytest.raises(GazeError, match="'Narrator'"):
        conversation.run(scene, GenerateRequest())
    assert not bpy.data.actions


def test_a_speaker_whose_eyes_cannot_be_found_is_named(empty_file, tmp_path):
    scene = empty_file
    two_characters(scene, tmp_path)
    build_armature("Prop", [("Bone", None, (5, 0, 0), (5, 0, 1), 0.0)])  # no head or eyes: left out, the others still talk
    assert len(conversation.run(scene, GenerateRequest())) == 2
    sound_strip(scene, speak(tmp_path / "p.wav", "I am only a prop."), frame_start=350, name="Prop: line")
    with pytest.raises(GazeError, match="'Prop' speaks the sound strip 'Prop: line', but the add-on cannot map its rig"):
        conversation.run(scene, GenerateRequest())


def test_headless_conversation(empty_file, tmp_path, capsys):
    from gaze_addon import headless

    two_characters(empty_file, tmp_path)
    scene_file = tmp_path / "talk.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(scene_file))
    out = tmp_path / "keyed.blend"
    assert headless.main(["--blend", str(scene_file), "--conversation", "--seed", "3", "--output", str(out)]) == 0
    assert "2 characters keyed" in capsys.readouterr().out
    bpy.ops.wm.open_mainfile(filepath=str(out))
    assert all(layers.strips(bpy.data.objects[n], "line")[0].action["gaze_seed"] == 3 for n in ("Ann", "Ben"))


def test_assigned_strips_addressees_and_one_character_at_a_time(empty_file, tmp_path):
    scene = empty_file
    ann, ben = two_characters(scene, tmp_path)
    carl = flame_rig("Carl")
    carl.matrix_world = Matrix.Translation((2.5, -1.5, 0.0)) @ Matrix.Rotation(math.radians(90), 4, "Z")  # beside them, facing them
    strip = sound_strip(scene, speak(tmp_path / "c.wav", "Can I come along too?"), frame_start=360, name="extra line")
    scene.sequence_editor.active_strip = strip
    scene.gaze.armature = carl
    assert bpy.ops.gaze.assign_strip() == {"FINISHED"} and strip["gaze_character"] == "Carl"
    strip["gaze_addressee"] = "Ann"
    results = conversation.run(scene, GenerateRequest(seed=1))
    assert len(results) == 3
    kept = {r.name: layers.strips(r, "line")[0].action for r in (ann, ben)}
    conversation.run(scene, GenerateRequest(seed=2), only="Carl")
    assert {r.name: layers.strips(r, "line")[0].action for r in (ann, ben)} == kept
    assert layers.strips(carl, "line")[0].action["gaze_seed"] == 2
    strip["gaze_addressee"] = "Nobody"
    with pytest.raises(GazeError, match="said to 'Nobody'"):
        conversation.run(scene, GenerateRequest(seed=1))


def _take_keys(rig) -> dict:
    strip = layers.strips(rig, "line")[0]
    curves = compat.fcurves(strip.action, getattr(strip, "action_slot", None))
    return {(fc.data_path, fc.array_index): [tuple(k.co) for k in fc.keyframe_points] for fc in curves}


def _pose_track(rig, scene, frames) -> np.ndarray:
    """World sight lines of both eyes and the world head (neck) matrix at each frame, flattened."""
    out = []
    for frame in frames:
        scene.frame_set(frame)
        head = np.array(rig.matrix_world @ rig.pose.bones["neck"].matrix)
        out.append(np.concatenate([sight(rig, "left_eye")[0], sight(rig, "right_eye")[0], head.ravel()]))
    return np.array(out)


def test_regenerate_one_line_changes_that_line_only(empty_file, tmp_path):
    scene = empty_file
    ann, ben = two_characters(scene, tmp_path)
    scene.gaze.seed = 4
    assert bpy.ops.gaze.conversation() == {"FINISHED"}
    ann_action = layers.strips(ann, "line")[0].action
    ann_keys = _take_keys(ann)
    assert ann_keys
    far = list(range(1, 100, 3)) + list(range(330, 400, 3))  # over a second from Ben's line (frames 140-265)
    near = list(range(170, 240, 3))
    before_far, before_near = _pose_track(ben, scene, far), _pose_track(ben, scene, near)
    strip = next(s for s in compat.sound_strips(scene) if s.name == "Ben: reply")
    scene.sequence_editor.active_strip = strip
    assert bpy.ops.gaze.regenerate_line() == {"FINISHED"}
    assert isinstance(strip["gaze_seed"], int)
    assert layers.strips(ann, "line")[0].action == ann_action  # Ann's take is the same action, keys untouched
    assert _take_keys(ann) == ann_keys
    after_far, after_near = _pose_track(ben, scene, far), _pose_track(ben, scene, near)
    assert np.abs(after_far - before_far).max() < 1e-5  # the rest of Ben's performance is as it was
    assert np.abs(after_near - before_near).max() > 0.02  # his motion while saying the line is new
    # Headless: the same line seed gives the same keys again.
    from gaze_addon import headless

    scene_file = tmp_path / "talk.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(scene_file))
    seed = strip["gaze_seed"]
    out = tmp_path / "again.blend"
    assert headless.main(["--blend", str(scene_file), "--conversation", "--seed", "4", "--character", "Ben", "--line-seed", f"Ben: reply={seed}", "--output", str(out)]) == 0
    bpy.ops.wm.open_mainfile(filepath=str(out))
    scene = bpy.context.scene
    assert np.abs(_pose_track(bpy.data.objects["Ben"], scene, near) - after_near).max() < 1e-5
    assert headless.main(["--blend", str(scene_file), "--conversation", "--line-seed", "Nobody=3"]) == 1
    assert headless.main(["--blend", str(scene_file), "--line-seed", "Ben: reply=3"]) == 1


def test_said_to_is_set_per_strip_in_the_panel(empty_file, tmp_path):
    scene = empty_file
    two_characters(scene, tmp_path)
    strip = next(s for s in compat.sound_strips(scene) if s.name == "Ann: again")
    scene.sequence_editor.active_strip = strip
    assert bpy.ops.gaze.set_addressee(addressee="Ben") == {"FINISHED"} and strip["gaze_addressee"] == "Ben"
    assert bpy.ops.gaze.set_addressee(addressee="DEFAULT") == {"FINISHED"} and "gaze_addressee" not in strip
