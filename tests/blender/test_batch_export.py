"""A batch line with a rig, exported by the ``bpy`` module in the batch's own process (``--blender
bpy``): the FBX plays the take keyed onto the rig in world space, equal takes give equal bytes, the
glTF binary carries the animation, and the rig's .blend is left as it was."""

from __future__ import annotations

import hashlib
import json
import struct
import sys
from pathlib import Path

import bpy

from model_runtime.batch import BatchLine, JobSettings
from model_runtime.batch.job import run_line
from tests.blender.conftest import ROOT
from tests.blender.test_production import demo_head


def _rig(folder: Path) -> Path:
    bpy.ops.wm.read_homefile(use_empty=True)
    demo_head()
    path = folder / "head.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    return path


def _glb_json(path: Path) -> dict:
    data = path.read_bytes()
    magic, _version, _length, chunk_length, chunk_type = struct.unpack_from("<4sIIII", data)
    assert magic == b"glTF" and chunk_type == 0x4E4F534A
    return json.loads(data[20 : 20 + chunk_length])


def test_bpy_exports_fbx_and_glb_that_play_the_take(addon, tmp_path, speech):
    sys.path.insert(0, str(ROOT / "tests" / "blender"))
    try:
        from fbx_roundtrip import roundtrip
    finally:
        sys.path.pop(0)
    rig = _rig(tmp_path)
    before = hashlib.sha256(rig.read_bytes()).hexdigest()
    line = BatchLine(2, speech, "thoughtful", 3, 30.0, "take", rig, "DemoRig")
    fbx_dir, again_dir, glb_dir = tmp_path / "fbx", tmp_path / "again", tmp_path / "glb"
    for folder in (fbx_dir, again_dir, glb_dir):
        folder.mkdir()
    result = run_line(line, JobSettings(fbx_dir, blender="bpy"))
    assert result.status == "ok", result.message
    assert run_line(line, JobSettings(again_dir, blender="bpy")).status == "ok"
    assert (fbx_dir / "take.fbx").read_bytes() == (again_dir / "take.fbx").read_bytes()
    found = roundtrip(rig, fbx_dir / "take.npz", fbx_dir / "take.fbx")
    assert found["bones"] == 5 and found["max_deg"] < 0.01 and found["max_m"] < 1e-4, found
    assert found["moved_deg"] > 3.0, found

    result = run_line(line, JobSettings(glb_dir, rig_format="glb", blender="bpy"))
    assert result.status == "ok", result.message
    gltf = _glb_json(glb_dir / "take.glb")
    channels = [(gltf["nodes"][c["target"]["node"]]["name"], c["target"]["path"]) for a in gltf["animations"] for c in a["channels"]]
    assert {("left_eye", "rotation"), ("right_eye", "rotation"), ("neck", "rotation"), ("DemoHeadMesh", "weights")} <= set(channels), channels
    assert hashlib.sha256(rig.read_bytes()).hexdigest() == before  # the rig's file is never written
