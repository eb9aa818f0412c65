"""The batch's Blender step: a take keyed onto a character's rig and exported as FBX or glTF.

    blender -b --factory-startup --python gaze_addon/rig_export.py -- --serve

:func:`export_take` opens the rig's .blend afresh (so nothing of one line leaks into the next and
the .blend itself is never written), keys the take as a line take (the layered NLA strip the
panel's Apply makes), sets the scene to the take's rate and frames, and exports the armature with
the meshes it drives: FBX baked from the evaluated scene (layers and the rig's own animation
included), or a binary glTF with the scene's animation. The FBX writer's creation time and object
ids are made reproducible (:func:`_reproducible_fbx`), so the same take gives the same bytes.

``--serve`` is how a batch worker without the ``bpy`` module uses a Blender executable: one
request per stdin line (JSON: rig, armature, take, out, format), one answer per request on stdout,
on a line starting with :data:`ANSWER` (Blender prints other lines there too). Blender is started
once per worker, not once per line.
"""

if __name__ == "__main__" and not __package__:
    # Run as a script by ``--python``: import this file as part of its package, then hand over.
    import importlib
    import os
    import sys
    from pathlib import Path

    _here = Path(__file__).resolve().parent
    sys.path[:0] = [str(_here.parent)]
    sys.path += [p for p in os.environ.get("GAZE_PYTHONPATH", "").split(os.pathsep) if p]
    _argv = sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else []
    sys.exit(importlib.import_module(f"{_here.name}.rig_export").main(_argv))

import contextlib
import datetime
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Final

import bpy

from model_runtime.errors import GazeError

from . import compat, pipeline, rig_mapping
from .request import GenerateRequest

FORMATS: Final = ("fbx", "glb")
ANSWER: Final = "\x1egaze-export "
FBX_TIME: Final = datetime.datetime(2000, 1, 1)


def _ensure_registered() -> None:
    if not hasattr(bpy.types.Scene, "gaze"):
        from .registration import register

        register()


def _open(rig: Path) -> Any:
    if not rig.is_file():
        raise GazeError(f"rig {rig}: no such file; expected the character's .blend")
    if rig.suffix.lower() != ".blend":
        raise GazeError(f"rig {rig}: expected a .blend file with the character's armature")
    try:
        bpy.ops.wm.open_mainfile(filepath=str(rig), load_ui=False)
    except RuntimeError as exc:
        first = next((line for line in str(exc).splitlines() if line.strip()), "unreadable")
        raise GazeError(f"rig {rig}: Blender cannot open it ({first[:160]}); expected a .blend with the character's armature") from None
    scene = bpy.context.scene
    if scene is None:
        raise GazeError(f"rig {rig}: the file has no scene")
    return scene


def _armature(scene: Any, rig: Path, name: str) -> Any:
    if name:
        obj = scene.objects.get(name)
        if obj is None or obj.type != "ARMATURE":
            raise GazeError(f"rig {rig}: no armature named {name!r} in the scene {scene.name!r}")
        return obj
    armatures = [o for o in scene.objects if o.type == "ARMATURE"]
    if len(armatures) == 1:
        return armatures[0]
    if not armatures:
        raise GazeError(f"rig {rig}: the scene {scene.name!r} has no armature")
    listed = ", ".join(sorted(o.name for o in armatures))[:200]
    raise GazeError(f"rig {rig}: several armatures ({listed}); name one as {rig.name}#ARMATURE in the manifest")


def _set_rate(scene: Any, fps: float) -> None:
    whole = max(1, round(fps))
    scene.render.fps = whole
    scene.render.fps_base = whole / fps


def _stable_hash(key: object) -> int:
    return int.from_bytes(hashlib.sha256(repr(key).encode()).digest()[:8], "little", signed=True)


@contextlib.contextmanager
def _reproducible_fbx() -> Iterator[None]:
    """Blender's FBX writer stamps ``datetime.now()`` and makes object ids with Python's ``hash()``
    (salted per process) cached across exports; pin the time, hash stably and start each export
    with no cached ids, so equal takes give equal files whichever worker writes them."""
    from io_scene_fbx import export_fbx_bin, fbx_utils

    fbx_utils._keys_to_uuids.clear()
    fbx_utils._uuids_to_keys.clear()
    saved = export_fbx_bin.datetime
    export_fbx_bin.datetime = SimpleNamespace(datetime=SimpleNamespace(now=lambda: FBX_TIME))
    fbx_utils.hash = _stable_hash  # a module global shadows the builtin there
    try:
        yield
    finally:
        export_fbx_bin.datetime = saved
        del fbx_utils.hash


def _write(scene: Any, objects: list[Any], out: Path, fmt: str) -> None:
    for obj in scene.objects:
        obj.select_set(obj in objects)
    view_layer = bpy.context.view_layer
    if view_layer is not None:
        view_layer.objects.active = objects[0]
    if fmt == "fbx":
        with _reproducible_fbx():
            bpy.ops.export_scene.fbx(
                filepath=str(out), use_selection=True, object_types={"ARMATURE", "MESH"}, add_leaf_bones=False,
                bake_anim=True, bake_anim_use_all_actions=False, bake_anim_use_nla_strips=False,
                bake_anim_force_startend_keying=True, bake_anim_simplify_factor=0.0,
            )  # fmt: skip
    else:
        bpy.ops.export_scene.gltf(filepath=str(out), export_format="GLB", use_selection=True, export_animations=True, **compat.gltf_scene_animation())


def export_take(rig: Path, armature_name: str, take: Path, out: Path, fmt: str) -> str:
    """Key ``take`` onto the armature of ``rig`` and write ``out`` (FBX or GLB); a one-line summary."""
    if fmt not in FORMATS:
        raise GazeError(f"export format {fmt!r}: expected one of {', '.join(FORMATS)}")
    _ensure_registered()
    scene = _open(rig)
    armature = _armature(scene, rig, armature_name)
    from model_runtime.takes import load_take

    clip = load_take(take)
    _set_rate(scene, clip.fps)
    # From frame 0: the take's first frame at time 0 in the file, where engines start a clip.
    outcome = pipeline.apply_take(scene, GenerateRequest(), armature, str(take), 0.0, clip=clip)
    line = outcome.lines[0]
    scene.frame_start, scene.frame_end = round(line.first_frame), round(line.last_frame)
    objects = [armature, *rig_mapping.bound_meshes(armature, scene)]
    _write(scene, objects, out, fmt)
    if not out.is_file() or out.stat().st_size == 0:
        raise GazeError(f"{out}: Blender's {fmt.upper()} exporter wrote nothing")
    return f"{fmt.upper()} of {armature.name!r} ({len(objects) - 1} meshes), frames {scene.frame_start}-{scene.frame_end}"


def _answer(ok: bool, message: str) -> None:
    sys.stdout.write(ANSWER + json.dumps({"ok": ok, "message": " ".join(message.split())}) + "\n")
    sys.stdout.flush()


def serve() -> int:
    """Answer export requests from stdin until it closes."""
    for text in sys.stdin:
        try:
            request = json.loads(text)
            message = export_take(Path(request["rig"]), str(request.get("armature", "")), Path(request["take"]), Path(request["out"]), str(request["format"]))
        except GazeError as exc:
            _answer(False, str(exc))
        except Exception as exc:  # a bug or a rig Blender chokes on: reported on the line, the worker goes on
            _answer(False, f"unexpected {type(exc).__name__} in Blender: {str(exc)[:300]}")
        else:
            _answer(True, message)
    return 0


def main(argv: list[str]) -> int:
    if argv != ["--serve"]:
        print("usage: blender -b --python gaze_addon/rig_export.py -- --serve", file=sys.stderr)
        return 2
    return serve()
