"""Child process of test_install_extension.py: install the extension zip into a clean user profile,
enable it and generate through the installed copy. Prints one JSON line prefixed ``RESULT``.

Runs with ``python -S`` (no .pth files, so no editable model_runtime) and the bpy venv's
site-packages appended to sys.path, with the venv's copies of the runtime's dependencies hidden, so
the runtime and its dependencies can only come from the wheels inside the zip.
Usage: python -S install_driver.py SITE_PACKAGES ZIP DEMO_HEAD_DIR
"""

import importlib
import importlib.abc
import importlib.machinery
import json
import sys
from pathlib import Path

site, package, demo_head = sys.argv[1:4]
HIDDEN = {"model_runtime", "onnxruntime", "soundfile", "_soundfile", "_soundfile_data", "soxr", "cffi", "_cffi_backend", "typing_extensions"}


class HideVenvCopies(importlib.abc.MetaPathFinder):
    """Looks up the runtime's packages everywhere on sys.path except the test venv's site-packages."""

    def find_spec(self, name, path=None, target=None):
        if path is not None or name not in HIDDEN:
            return None  # submodules follow their package, wherever that came from
        elsewhere = [p for p in sys.path if Path(p).resolve() != Path(site).resolve()]
        return importlib.machinery.PathFinder.find_spec(name, elsewhere)


sys.meta_path.insert(0, HideVenvCopies())
sys.path.append(site)

import bpy  # noqa: E402

bpy.ops.wm.read_homefile(use_empty=True)
result = bpy.ops.extensions.package_install_files(filepath=package, repo="user_default", enable_on_install=True)
module = "bl_ext.user_default.speech_gaze"
report = {"install": sorted(result), "enabled": module in bpy.context.preferences.addons}

import onnxruntime  # noqa: E402
import soundfile  # noqa: E402
import soxr  # noqa: E402

import model_runtime  # noqa: E402
from model_runtime.assets import asset_path, assets_dir  # noqa: E402

report["modules"] = {m.__name__: m.__file__ for m in (model_runtime, onnxruntime, soundfile, soxr)}
report["assets"] = str(assets_dir())

# Generate through the installed add-on, as a user would headless, on the demo head.
sys.path.append(demo_head)
import build_head  # noqa: E402

objects = build_head.build_demo_head()
headless = importlib.import_module(f"{module}.headless")
voice = asset_path("voice/demo_voice.wav")
# The learned engine runs the shipped ONNX networks through the extension's onnxruntime.
engine = "learned" if (assets_dir() / "models" / "gaze_generator.onnx").exists() else "procedural"
report["engine"] = engine
report["exit_code"] = headless.main(["--audio", str(voice), "--style", "calm_presenter", "--engine", engine, "--armature", objects["armature"].name])
rig, face = objects["armature"], objects["head"]
lines = [s for t in (rig.animation_data.nla_tracks if rig.animation_data else []) for s in t.strips if s.action and s.action.get("gaze_kind") == "line"]
report["rig_action"] = lines[0].action.name if lines else None


def pose_and_blink(frame):
    """Evaluated pose-space bone matrices and the left blink key at ``frame``."""
    bpy.context.scene.frame_set(frame)
    depsgraph = bpy.context.evaluated_depsgraph_get()
    bones = {b.name: [list(row) for row in b.matrix] for b in rig.evaluated_get(depsgraph).pose.bones}
    return bones, face.data.shape_keys.key_blocks["eyeBlinkLeft"].value


start, blinked = pose_and_blink(1)
moved = set()
for frame in range(1, 250, 3):
    bones, blink = pose_and_blink(frame)
    blinked = max(blinked, blink)
    moved |= {name for name, m in bones.items() if max(abs(a - b) for ra, rb in zip(m, start[name]) for a, b in zip(ra, rb)) > 1e-4}
report["moved_bones"] = sorted(moved)
report["max_blink"] = blinked
print("RESULT " + json.dumps(report), flush=True)
