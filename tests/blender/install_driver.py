"""Child process of test_install_extension.py: install the extension zip into a clean user profile,
enable it and generate through the installed copy. Prints one JSON line prefixed ``RESULT``.

Runs with ``python -S`` and a sys.path holding only the bpy module and numpy (Blender's own), so the
runtime and its dependencies can only come from the wheels inside the zip.
Usage: python -S install_driver.py SITE_DIR ZIP DEMO_HEAD_DIR
"""

import importlib
import json
import sys
from pathlib import Path

site, package, demo_head = sys.argv[1:4]
sys.path.append(site)

import bpy  # noqa: E402

bpy.ops.wm.read_homefile(use_empty=True)
result = bpy.ops.extensions.package_install_files(filepath=package, repo="user_default", enable_on_install=True)
module = "bl_ext.user_default.speech_gaze"
report = {"install": sorted(result), "enabled": module in bpy.context.preferences.addons}

import model_runtime  # noqa: E402
import onnxruntime  # noqa: E402
import soundfile  # noqa: E402
import soxr  # noqa: E402
from model_runtime.assets import asset_path, assets_dir  # noqa: E402

report["modules"] = {m.__name__: m.__file__ for m in (model_runtime, onnxruntime, soundfile, soxr)}
report["assets"] = str(assets_dir())

# Generate through the installed add-on, as a user would headless, on the demo head.
sys.path.append(demo_head)
import build_head  # noqa: E402

objects = build_head.build_demo_head()
headless = importlib.import_module(f"{module}.headless")
voice = asset_path("voice/demo_voice.wav")
report["exit_code"] = headless.main(["--audio", str(voice), "--style", "calm_presenter", "--armature", objects["armature"].name])
rig, face = objects["armature"], objects["head"]
report["rig_action"] = rig.animation_data.action.name if rig.animation_data and rig.animation_data.action else None
bpy.context.scene.frame_set(1)
start = {b.name: tuple(b.matrix) for b in rig.pose.bones}
moved, blinked = set(), 0.0
for frame in range(1, 250, 3):
    bpy.context.scene.frame_set(frame)
    moved |= {b.name for b in rig.pose.bones if max(abs(x - y) for row_a, row_b in zip(b.matrix, start[b.name]) for x, y in zip(row_a, row_b)) > 1e-4}
    blinked = max(blinked, face.data.shape_keys.key_blocks["eyeBlinkLeft"].value)
report["moved_bones"] = sorted(moved)
report["max_blink"] = blinked
print("RESULT " + json.dumps(report), flush=True)
