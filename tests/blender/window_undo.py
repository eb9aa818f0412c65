"""Undo of the Gaze operators in Debian's Blender 3.4.1 with a real window (under Xvfb).

    GAZE_PYTHONPATH=$(.venv/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])") \
        xvfb-run -a -s "-screen 0 1280x800x24" \
        blender --factory-startup --python-exit-code 1 --python tests/blender/window_undo.py -- SPEECH.wav

`bpy.ops.ed.undo()` needs a window, so the background runs cannot check it; tests/test_blender_window.py
runs this script. The add-on is loaded from the checkout (the legacy add-on path). A FLAME-named rig
gets a user action and a spare fake-user action (one undo step, as if made by hand); Generate
(procedural engine, run as a UI call would, with an undo push) then one Ctrl+Z must give back exactly
that: the same actions, the user's action active with the same keys, no gaze track, the same
pose. Redo brings the take back, and Remove is one undo step too. The checks run from a timer once
the window is up; the script quits Blender itself: exit code 0 when all passed, 1 otherwise.
"""

import os
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT)]
sys.path += [p for p in os.environ.get("GAZE_PYTHONPATH", "").split(os.pathsep) if p]

import bpy  # noqa: E402

import gaze_addon  # noqa: E402
from tests.blender.conftest import flame_rig  # noqa: E402

SPEECH = Path(sys.argv[sys.argv.index("--") + 1]) if "--" in sys.argv else None
RIG = "Hero"
USER_ACTION = "Hero nod"
SPARE_ACTION = "Hero spare"
GAZE_ACTION = f"Gaze {SPEECH.stem} default s3" if SPEECH else ""


def ui_context() -> dict:
    """The window, 3D viewport area and its main region, as a click in the viewport would have."""
    window = bpy.context.window_manager.windows[0]
    area = next(a for a in window.screen.areas if a.type == "VIEW_3D")
    region = next(r for r in area.regions if r.type == "WINDOW")
    return {"window": window, "screen": window.screen, "area": area, "region": region}


def make_scene() -> None:
    """The rig with a hand-keyed action and a spare one, as one undo step of its own."""
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 25, 1.0
    for obj in list(bpy.data.objects):
        bpy.data.objects.remove(obj)
    rig = flame_rig(RIG)
    for frame, angle in ((1, 0.0), (12, 0.3), (30, -0.2)):
        for bone in ("neck", "left_eye"):
            pose_bone = rig.pose.bones[bone]
            pose_bone.rotation_quaternion = (1.0, angle, 0.5 * angle, 0.0)
            pose_bone.keyframe_insert("rotation_quaternion", frame=frame)
    rig.animation_data.action.name = USER_ACTION
    spare = bpy.data.actions.new(SPARE_ACTION)
    spare.use_fake_user = True
    spare.fcurves.new("location", index=2).keyframe_points.insert(1, 0.25)
    settings = scene.gaze
    settings.armature = rig
    settings.audio_source, settings.audio_file, settings.file_start_frame = "FILE", str(SPEECH), 1
    settings.engine, settings.seed = "procedural", 3
    scene.frame_set(12)
    bpy.ops.ed.undo_push(message="Gaze test: rig and user action")


def state() -> dict:
    """Everything Generate may touch, read afresh (undo reloads the data, old references die)."""
    scene = bpy.context.scene
    rig = bpy.data.objects[RIG]
    anim = rig.animation_data
    scene.frame_set(12)
    keys = {
        action.name: sorted((c.data_path, c.array_index, tuple(round(v, 6) for k in c.keyframe_points for v in k.co)) for c in action.fcurves)
        for action in bpy.data.actions
    }
    return {
        "actions": sorted(bpy.data.actions.keys()),
        "users": {a.name: (a.users, a.use_fake_user) for a in bpy.data.actions},
        "active": anim.action.name if anim and anim.action else None,
        "tracks": [t.name for t in anim.nla_tracks] if anim else [],
        "keys": keys,
        "pose": {b.name: tuple(round(v, 6) for v in b.rotation_quaternion) for b in rig.pose.bones},
        "rig properties": sorted(rig.keys()),
        "status": scene.gaze.status,
    }


def call(operator, **override) -> set:
    """Run an operator as the UI does: in the viewport's context, pushing its own undo step."""
    with bpy.context.temp_override(**ui_context(), **override):
        return operator("EXEC_DEFAULT", True)


def check() -> None:
    make_scene()
    before = state()
    assert before["active"] == USER_ACTION and before["tracks"] == [], before

    assert call(bpy.ops.gaze.generate) == {"FINISHED"}, bpy.context.scene.gaze.status
    generated = state()
    assert generated["active"] == USER_ACTION, generated["active"]  # a layer: the user's action stays
    assert {USER_ACTION, SPARE_ACTION, GAZE_ACTION} <= set(generated["actions"]), generated["actions"]
    assert generated["keys"][USER_ACTION] == before["keys"][USER_ACTION]
    assert len(generated["tracks"]) == 1 and generated["pose"] != before["pose"], generated
    assert "gaze_blink_left" in generated["rig properties"] and "gaze_blink_left" not in before["rig properties"]
    print(f"window: generated {GAZE_ACTION} ({generated['status']})", flush=True)

    with bpy.context.temp_override(**ui_context()):
        bpy.ops.ed.undo()
    undone = state()
    for key in before:
        assert undone[key] == before[key], (key, undone[key], before[key])
    print("window: one undo restored the actions, the active action, its keys and the pose", flush=True)

    with bpy.context.temp_override(**ui_context()):
        bpy.ops.ed.redo()
    redone = state()
    assert redone == generated, "redo did not bring the generated take back as it was"
    print("window: redo brought the take back", flush=True)

    assert call(bpy.ops.gaze.remove) == {"FINISHED"}
    removed = state()
    assert removed["actions"] == before["actions"] and removed["active"] == USER_ACTION and removed["tracks"] == []
    with bpy.context.temp_override(**ui_context()):
        bpy.ops.ed.undo()
    assert state() == redone, "one undo after Remove did not bring the take back"
    print("window: Remove is one undo step too", flush=True)


def run_checks():
    try:
        assert SPEECH is not None and SPEECH.is_file(), f"pass a speech WAV after --, got {SPEECH}"
        assert bpy.context.window_manager.windows, "no window: run this without -b, under xvfb-run"
        check()
    except Exception:
        traceback.print_exc()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)
    print(f"window: all undo checks passed on Blender {bpy.app.version_string}", flush=True)
    bpy.ops.wm.quit_blender()
    return None


gaze_addon.register()
# Timers run from the window manager's loop: by the first one the window and its screen are up.
bpy.app.timers.register(run_checks, first_interval=0.5)
