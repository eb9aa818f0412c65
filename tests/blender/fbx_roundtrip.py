"""How far a batch's FBX strays from the take keyed in Blender, in world space.

    blender -b --factory-startup --python tests/blender/fbx_roundtrip.py -- RIG.blend TAKE.npz EXPORT.fbx

The rig is opened and the take applied from frame 0, as the batch does; then the FBX is imported into an
empty scene. At frames across the take, every bone of the rig is compared with the imported bone of
the same name: the angle between their world orientations (deg) and the distance between their
world positions (m). Prints one line ``roundtrip: bones=N frames=F max_deg=A max_m=D moved_deg=M``
(``moved_deg``: the eyes' largest turn over the take in the import, so a still export fails too).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path[:0] = [str(ROOT)]
sys.path += [p for p in os.environ.get("GAZE_PYTHONPATH", "").split(os.pathsep) if p]

import bpy  # noqa: E402
import numpy as np  # noqa: E402

SAMPLES = 12


def _world(armature: bpy.types.Object, frames: list[int]) -> dict[str, np.ndarray]:
    """Each bone's world matrix (4x4, metres) at each frame: {bone: (frames, 4, 4)}."""
    scene = bpy.context.scene
    out: dict[str, list[np.ndarray]] = {bone.name: [] for bone in armature.pose.bones}
    for frame in frames:
        scene.frame_set(frame)
        for bone in armature.pose.bones:
            out[bone.name].append(np.array(armature.matrix_world @ bone.matrix))
    return {name: np.array(rows) for name, rows in out.items()}


def _angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle (deg) between the rotations of world matrices a and b, shape (frames,)."""
    def unit(m: np.ndarray) -> np.ndarray:
        r = m[:, :3, :3]
        return r / np.linalg.norm(r, axis=1, keepdims=True)

    relative = np.einsum("fji,fjk->fik", unit(a), unit(b))
    return np.degrees(np.arccos(np.clip((np.trace(relative, axis1=1, axis2=2) - 1) / 2, -1, 1)))


def roundtrip(rig: Path, take: Path, fbx: Path) -> dict[str, float]:
    from gaze_addon import pipeline
    from gaze_addon.registration import register
    from gaze_addon.request import GenerateRequest
    from model_runtime.takes import load_take

    if not hasattr(bpy.types.Scene, "gaze"):
        register()
    bpy.ops.wm.open_mainfile(filepath=str(rig), load_ui=False)
    scene = bpy.context.scene
    fps = load_take(take).fps
    scene.render.fps, scene.render.fps_base = max(1, round(fps)), max(1, round(fps)) / fps
    armature = next(o for o in scene.objects if o.type == "ARMATURE")
    line = pipeline.apply_take(scene, GenerateRequest(), armature, str(take), 0.0).lines[0]
    frames = sorted({round(f) for f in np.linspace(line.first_frame, line.last_frame, SAMPLES)})
    keyed = _world(armature, frames)
    bpy.ops.wm.read_homefile(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = max(1, round(fps)), max(1, round(fps)) / fps
    bpy.ops.import_scene.fbx(filepath=str(fbx), anim_offset=0.0)  # the file's time 0 at frame 0, as exported
    imported_armature = next(o for o in bpy.context.scene.objects if o.type == "ARMATURE")
    imported = _world(imported_armature, frames)
    common = sorted(set(keyed) & set(imported))
    degrees = max(float(_angle(keyed[b], imported[b]).max()) for b in common)
    metres = max(float(np.linalg.norm(keyed[b][:, :3, 3] - imported[b][:, :3, 3], axis=1).max()) for b in common)
    eyes = [b for b in common if "eye" in b.lower()]
    moved = max(float(_angle(imported[b][:1].repeat(len(frames), 0), imported[b]).max()) for b in eyes) if eyes else 0.0
    return {"bones": len(common), "frames": len(frames), "max_deg": degrees, "max_m": metres, "moved_deg": moved}


if __name__ == "__main__":
    rig_path, take_path, fbx_path = (Path(a) for a in sys.argv[sys.argv.index("--") + 1 :][:3])
    found = roundtrip(rig_path, take_path, fbx_path)
    print("roundtrip: " + " ".join(f"{k}={v:g}" for k, v in found.items()), flush=True)
