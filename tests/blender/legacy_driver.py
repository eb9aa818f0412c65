"""Run by test_packaging_legacy.py inside Blender 3.4-4.1 (``blender -b --python legacy_driver.py -- ZIP DEMO_HEAD_DIR``):
install the legacy add-on zip into the (temporary) user scripts folder, enable it, and generate
through the installed copy. Prints one JSON line prefixed ``RESULT``.
"""

import importlib
import json
import sys

import addon_utils
import bpy

package, demo_head = sys.argv[sys.argv.index("--") + 1 :][:2]
bpy.ops.preferences.addon_install(filepath=package)
module = addon_utils.enable("speech_gaze", default_set=True, handle_error=None)
report = {"enabled": module is not None and "speech_gaze" in bpy.context.preferences.addons}
import numpy  # noqa: E402
import onnxruntime  # noqa: E402

import model_runtime  # noqa: E402

report["modules"] = {m.__name__: m.__file__ for m in (model_runtime, onnxruntime, numpy)}
sys.path.append(demo_head)
import build_head  # noqa: E402

bpy.ops.wm.read_homefile(use_empty=True)
objects = build_head.build_demo_head()
headless = importlib.import_module("speech_gaze.addon.headless")
voice = model_runtime.assets.asset_path("voice/demo_voice.wav")
engine = "learned" if (model_runtime.assets.assets_dir() / "models" / "gaze_generator.onnx").exists() else "procedural"
report["engine"] = engine
report["exit_code"] = headless.main(["--audio", str(voice), "--style", "thoughtful", "--engine", engine, "--armature", objects["armature"].name])
rig = objects["armature"]
strips = [s for t in (rig.animation_data.nla_tracks if rig.animation_data else []) for s in t.strips if s.action and s.action.get("gaze_kind") == "line"]
action = strips[0].action if strips else None
report["rig_action"] = action.name if action else None
report["curves"] = sorted({fc.data_path for fc in action.fcurves}) if action else []
face_anim = objects["head"].data.shape_keys.animation_data
report["blink_keyed"] = bool(face_anim and any(s.action.get("gaze_kind") == "line" for t in face_anim.nla_tracks for s in t.strips))
print("RESULT " + json.dumps(report), flush=True)
