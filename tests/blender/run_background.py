"""The `blender -b ... --python` path on a real Blender binary (Debian's 3.4.1 in CI).

    GAZE_PYTHONPATH=$(.venv/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])") \
        blender -b --factory-startup --python-exit-code 1 --python tests/blender/run_background.py

Debian's Blender runs the system Python 3.11 without numpy or the runtime's other dependencies;
GAZE_PYTHONPATH lends it those of .venv (same Python version). Checks: keys written in-process
turn the head and eyes the right way in world space (legacy, pre-slotted actions), the demo
head meets a camera 0.7 m away within 1 deg while the performance holds on it, and the
headless entry run as a child `blender -b scene.blend --python gaze_addon/headless.py -- ...`
returns 0 on success and 1 with the reason on bad input or a batch with a broken file.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT)]
sys.path += [p for p in os.environ.get("GAZE_PYTHONPATH", "").split(os.pathsep) if p]

import bpy  # noqa: E402
import numpy as np  # noqa: E402

import gaze_addon  # noqa: E402
from gaze_addon import layers, rig_mapping, takes  # noqa: E402
from model_runtime import rig_pose  # noqa: E402
from model_runtime.conventions import direction_from_angles, head_matrix  # noqa: E402
from tests.blender.conftest import flame_rig  # noqa: E402
from tests.conftest import random_clip  # noqa: E402

C = rig_pose.CHARACTER_TO_ARMATURE


def check_world_directions(mode: str) -> None:
    bpy.ops.wm.read_homefile(use_empty=True)
    scene = bpy.context.scene
    obj = flame_rig(rotation_mode=mode)
    clip = random_clip(fps=25.0, seconds=2.0, seed=5)
    target = rig_mapping.resolve(rig_mapping.MappingChoice(), obj, scene)
    takes.key_take(scene, target, clip, start_frame=3, name="Gaze check", kind="line", line="check", goal=None, look=None)
    for i in (0, 25, 49):
        scene.frame_set(3 + i)
        for bone, eye in (("left_eye", clip.left_eye[i]), ("right_eye", clip.right_eye[i])):
            pose = np.array(obj.pose.bones[bone].matrix.to_3x3().normalized())
            rest = np.array(obj.data.bones[bone].matrix_local.to_3x3().normalized())
            seen = pose @ rest.T @ np.array([0.0, -1.0, 0.0])
            wanted = C @ head_matrix(*clip.head[i]) @ direction_from_angles(*eye)
            assert np.allclose(seen, wanted, atol=2e-3), (mode, bone, i, seen, wanted)
    print(f"background: world gaze ok ({mode})", flush=True)


def check_eye_contact() -> None:
    """The demo head meets the camera 0.7 m away, each eye within 1 deg while the performance holds."""
    sys.path.insert(0, str(ROOT / "assets" / "demo_head"))
    import build_head

    from gaze_addon import pipeline
    from gaze_addon.aim import EyeContact
    from gaze_addon.request import AudioChoice, GenerateRequest
    from model_runtime.performer.estimate import world_gaze

    bpy.ops.wm.read_homefile(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps = 25
    objects = build_head.build_demo_head()
    rig, camera = objects["armature"], objects["camera"]
    camera.location = (0.0, -0.778, 1.637)
    with tempfile.TemporaryDirectory() as tmp:
        speech = Path(tmp) / "line.wav"
        subprocess.run(["espeak-ng", "-w", str(speech), "Hello there. I was thinking, maybe we could go tomorrow, if the weather holds and nobody minds the early start."], check=True)
        request = GenerateRequest(audio=AudioChoice("FILE", file=str(speech)), contact=EyeContact("CAMERA"))
        outcome = pipeline.run(scene, request, rig)
    look = outcome.lines[0].look
    gaze = world_gaze(outcome.clip)
    held = np.nonzero(np.hypot(gaze[:, 0] - look.pitch_deg, gaze[:, 1] - look.yaw_deg) < 0.5)[0]
    goal = np.array(camera.matrix_world.translation)
    worst = 0.0
    for i in held:
        scene.frame_set(1 + int(i))
        for bone in ("left_eye", "right_eye"):
            pose = np.array(rig.pose.bones[bone].matrix.to_3x3())
            rest = np.array(rig.data.bones[bone].matrix_local.to_3x3())
            sight = pose @ rest.T @ np.array([0.0, -1.0, 0.0])
            to_goal = goal - np.array(rig.pose.bones[bone].head)
            worst = max(worst, float(np.degrees(np.arccos(np.clip(sight @ to_goal / np.linalg.norm(sight) / np.linalg.norm(to_goal), -1, 1)))))
    assert len(held) >= 5 and worst < 1.0, (len(held), worst)
    print(f"background: eye contact ok ({len(held)} held frames, worst {worst:.3f} deg)", flush=True)


def blender(*args: str) -> subprocess.CompletedProcess:
    command = [bpy.app.binary_path, "-b", "--factory-startup", *args]
    done = subprocess.run(command, check=False, capture_output=True, text=True, env=os.environ.copy(), timeout=300)
    print(done.stdout[-2000:], done.stderr[-2000:], sep="\n", flush=True)
    return done


def check_headless_entry() -> None:
    entry = str(ROOT / "gaze_addon" / "headless.py")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "lines"
        folder.mkdir()
        subprocess.run(["espeak-ng", "-w", str(folder / "one.wav"), "Hello, this is the first line."], check=True)
        subprocess.run(["espeak-ng", "-w", str(folder / "two.wav"), "And this is another one."], check=True)
        bpy.ops.wm.read_homefile(use_empty=True)
        flame_rig("Hero")
        scene_file = Path(tmp) / "scene.blend"
        bpy.ops.wm.save_as_mainfile(filepath=str(scene_file))
        out = Path(tmp) / "out.blend"
        done = blender(str(scene_file), "--python-exit-code", "1", "--python", entry, "--", "--audio", str(folder / "one.wav"), "--output", str(out))
        assert done.returncode == 0 and out.is_file() and "1 of 1 ok" in done.stdout
        done = blender(str(scene_file), "--python-exit-code", "1", "--python", entry, "--", "--audio", str(folder / "missing.wav"))
        assert done.returncode == 1 and "missing.wav: no such file" in done.stderr
        (folder / "three.wav").write_bytes(b"RIFF not really")
        done = blender(str(scene_file), "--python-exit-code", "1", "--python", entry, "--", "--audio", str(folder), "--output", str(Path(tmp) / "batch"))
        assert done.returncode == 1 and "2 of 3 ok" in done.stdout and "failed: three.wav" in done.stdout
        assert sorted(p.name for p in (Path(tmp) / "batch").iterdir()) == ["one.blend", "two.blend"]
        bpy.ops.wm.open_mainfile(filepath=str(out))
        assert [s.action.name for s in layers.strips(bpy.data.objects["Hero"], "line")] == ["Gaze one default s0"]
    print("background: headless entry ok", flush=True)


gaze_addon.register()
for rotation_mode in ("QUATERNION", "AXIS_ANGLE", "ZXY"):
    check_world_directions(rotation_mode)
check_eye_contact()
check_headless_entry()
print(f"background: all checks passed on Blender {bpy.app.version_string}", flush=True)
