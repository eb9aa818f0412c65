"""Fixtures for the tests that run inside real Blender (the PyPI ``bpy`` module).

Run with a Blender venv: ``.venv-bpy-4.5/bin/python -m pytest tests/blender``. Under a Python
without ``bpy`` these tests are not collected at all. Each test starts from an empty file.
Rigs are built here with bpy: FLAME names with rolled bones whose axes do not line up with the
character, Rigify-like and Mixamo-like names, and a face mesh with ARKit shape keys.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import bpy
except ImportError:
    bpy = None

ROOT = Path(__file__).resolve().parents[2]
if bpy is None:
    collect_ignore_glob = ["test_*.py"]
else:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import gaze_addon


_exit_status: list[int] = []


def pytest_sessionfinish(session, exitstatus):
    _exit_status.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """Leave with pytest's status before Python tears the bpy module down.

    The PyPI bpy 4.2 module segfaults while the interpreter shuts down once a property with a
    ``poll`` callback has been registered, even after it is unregistered again (4.5 can hang there
    instead); Blender itself exits through its window manager and is not affected. The results are
    all reported by now, so only that teardown is skipped.
    """
    if bpy is not None and _exit_status:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status[0])


@pytest.fixture(scope="session", autouse=True)
def addon():
    if bpy is None:
        pytest.skip("bpy is not importable")
    gaze_addon.register()
    yield gaze_addon
    gaze_addon.unregister()


@pytest.fixture(autouse=True)
def empty_file(addon):
    bpy.ops.wm.read_homefile(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 25, 1.0
    yield scene


def speak(path: Path, text: str, speed: int = 160) -> Path:
    """A real speech recording made with espeak-ng (16-bit WAV)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    subprocess.run(["espeak-ng", "-s", str(speed), "-w", str(path), text], check=True, capture_output=True)
    return path


@pytest.fixture(scope="session")
def speech(tmp_path_factory) -> Path:
    """About three seconds of speech with a pause."""
    return speak(tmp_path_factory.mktemp("speech") / "hello line.wav", "Hello there. I was thinking, maybe we could go tomorrow?")


# Bones: (name, parent, head, tail, roll in degrees). Tails and rolls are deliberately skewed so
# that no bone axis lines up with the character frame.
FLAME_BONES = (
    ("root", None, (0, 0, 0), (0, 0, 1.0), 0.0),
    ("neck", "root", (0, 0.01, 1.5), (0.02, -0.03, 1.62), 35.0),
    ("jaw", "neck", (0, -0.02, 1.6), (0, -0.1, 1.56), 0.0),
    ("left_eye", "neck", (0.032, -0.08, 1.66), (0.05, -0.1, 1.69), -50.0),
    ("right_eye", "neck", (-0.032, -0.08, 1.66), (-0.04, -0.09, 1.63), 120.0),
)


def build_armature(name: str, bones, rotation_mode: str = "QUATERNION"):
    data = bpy.data.armatures.new(name)
    obj = bpy.data.objects.new(name, data)
    bpy.context.scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    obj.select_set(True)
    bpy.ops.object.mode_set(mode="EDIT")
    for bone_name, parent, head, tail, roll in bones:
        bone = data.edit_bones.new(bone_name)
        bone.head, bone.tail, bone.roll = head, tail, math.radians(roll)
        if parent:
            bone.parent = data.edit_bones[parent]
    bpy.ops.object.mode_set(mode="OBJECT")
    for pose_bone in obj.pose.bones:
        pose_bone.rotation_mode = rotation_mode
    return obj


def flame_rig(name: str = "Rig", rotation_mode: str = "QUATERNION"):
    return build_armature(name, FLAME_BONES, rotation_mode)


def renamed_rig(name: str, names: dict[str, str]):
    return build_armature(name, [(names.get(b, b), names.get(p, p) if p else None, h, t, r) for b, p, h, t, r in FLAME_BONES])


def rigify_rig():
    return renamed_rig("Rigify", {"root": "spine", "neck": "head", "left_eye": "eye.L", "right_eye": "eye.R"})


def mixamo_rig():
    names = {"root": "mixamorig:Neck", "neck": "mixamorig:Head", "jaw": "mixamorig:Jaw", "left_eye": "mixamorig:LeftEye", "right_eye": "mixamorig:RightEye"}
    return renamed_rig("Mixamo", names)


ARKIT_KEYS = (
    "eyeBlinkLeft", "eyeBlinkRight", "eyeLookUpLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft",
    "eyeLookUpRight", "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight", "eyeWideLeft", "eyeWideRight", "jawOpen",
)  # fmt: skip


def face_mesh(armature, keys=ARKIT_KEYS, name: str = "Face"):
    """A small mesh bound to ``armature`` by an armature modifier, with the given shape keys."""
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata([(0, 0, 1.6), (0.1, 0, 1.6), (0, 0, 1.7)], [], [(0, 1, 2)])
    obj = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(obj)
    modifier = obj.modifiers.new("Armature", "ARMATURE")
    modifier.object = armature
    obj.shape_key_add(name="Basis")
    for key in keys:
        obj.shape_key_add(name=key)
    return obj


def sound_strip(scene, path: Path, frame_start: int = 1, name: str = "Dialogue"):
    from gaze_addon import compat

    if not compat.has_audio():
        pytest.skip(f"bpy {bpy.app.version_string} has no audaspace: sound strips cannot be made (the PyPI 4.2 wheel)")
    return compat.new_sound_strip(scene, name, str(path), 1, frame_start)


def generate_ready(scene, armature, audio: Path | None = None, start: int = 1):
    """Point the panel at ``armature`` and (if given) an audio file starting at ``start``."""
    settings = scene.gaze
    settings.armature = armature
    if audio is not None:
        settings.audio_source, settings.audio_file, settings.file_start_frame = "FILE", str(audio), start
    return settings


def line_take(obj, index: int = 0):
    """(action, slot) of the owner's ``index``-th line take on the gaze layer, in time order."""
    from gaze_addon import layers

    strips = layers.strips(obj, "line")
    assert strips, f"no line take on {obj.name}"
    strip = strips[index]
    return strip.action, getattr(strip, "action_slot", None)


def take_curves(obj, index: int = 0):
    from gaze_addon import compat

    action, slot = line_take(obj, index)
    return {(c.data_path, c.array_index): c for c in compat.fcurves(action, slot)}


def keyed_frames(obj, index: int = 0):
    """The timeline frames the line take keys, from its first F-curve."""
    import numpy as np

    curve = next(iter(take_curves(obj, index).values()))
    co = np.zeros(2 * len(curve.keyframe_points), dtype=np.float32)
    curve.keyframe_points.foreach_get("co", co)
    return co[0::2]
