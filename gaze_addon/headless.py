"""Headless runs: one audio file or a folder of them, from a shell.

    blender -b scene.blend --python-exit-code 1 --python gaze_addon/headless.py -- --audio a.wav [--output out.blend]
    blender -b scene.blend --python-exit-code 1 --python gaze_addon/headless.py -- --audio FOLDER --output OUTDIR
    blender -c gaze --blend scene.blend --audio a.wav --output out.blend      (4.2+, extension enabled)

Exit code 0 when every file worked, 1 when any failed (the reason is printed), 2 for bad arguments.
Blender without the runtime's dependencies (Debian's 3.4) finds them through ``GAZE_PYTHONPATH``
(directories separated by ``os.pathsep``), appended to ``sys.path``.
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
    sys.exit(importlib.import_module(f"{_here.name}.headless").main(_argv))

import argparse
import sys
import time
from pathlib import Path

import bpy

from model_runtime.errors import GazeError

from . import keyframes, pipeline, rig_mapping

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".aif", ".aiff")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gaze", description="Key speech-driven gaze, head and blink motion onto a rig.")
    p.add_argument("--audio", help="audio file, or a folder of them (batch); default: the scene's sound strip")
    p.add_argument("--blend", help="open this .blend first (for `blender -c gaze`)")
    p.add_argument("--style", help="preset name, take file (.csv/.npz/.npy), STYLE.json, or action:NAME")
    p.add_argument("--armature", help="armature object name (default: the only armature in the scene)")
    p.add_argument("--mapping", default="AUTO", choices=sorted(rig_mapping.PRESET_LABELS), help="rig mapping preset")
    p.add_argument("--engine", default="procedural", choices=("procedural", "learned"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--head-intensity", type=float, default=1.0)
    p.add_argument("--gaze-intensity", type=float, default=1.0)
    p.add_argument("--blink-rate", type=float, default=0.0, help="blinks per minute (0: the style's)")
    p.add_argument("--match-statistics", action=argparse.BooleanOptionalAction, default=True,
                   help="learned engine: steer towards the style's measured statistics (default on)")
    p.add_argument("--start-frame", type=int, help="timeline frame where an audio file starts (default: scene start)")
    p.add_argument("--output", help="out.blend (one file), or a folder (batch: one .blend per audio file)")
    p.add_argument("--preview", help="folder for a preview still per file (Workbench, needs a camera)")
    return p


def _ensure_registered() -> None:
    if not hasattr(bpy.types.Scene, "gaze"):
        from .registration import register

        register()


def _armature(name: str | None) -> object:
    scene = bpy.context.scene
    if name:
        obj = scene.objects.get(name)
        if obj is None:
            raise GazeError(f"No object named '{name}' in the scene '{scene.name}'.")
        return obj
    armatures = [o for o in scene.objects if o.type == "ARMATURE"]
    if len(armatures) == 1:
        return armatures[0]
    if not armatures:
        raise GazeError(f"The scene '{scene.name}' has no armature: open the character's .blend (--blend, or the file before --python).")
    raise GazeError(f"Several armatures ({', '.join(o.name for o in armatures)}): name one with --armature.")


def _apply_args(settings: object, args: argparse.Namespace) -> None:
    s = settings
    s.engine = args.engine
    s.seed = max(0, args.seed)
    s.head_intensity = args.head_intensity
    s.gaze_intensity = args.gaze_intensity
    s.blink_rate = args.blink_rate
    s.match_statistics = args.match_statistics
    s.rig_preset = args.mapping
    style = args.style or ""
    if not style:
        s.style_source = "DEFAULT"
    elif style.startswith("action:"):
        action = bpy.data.actions.get(style[len("action:") :])
        if action is None:
            raise GazeError(f"--style {style}: no action of that name in the file.")
        s.style_source, s.style_action = "ACTION", action
    elif Path(style).suffix:
        if not Path(style).is_file():
            raise GazeError(f"--style {style}: no such file (expected a take .csv/.npz/.npy or a STYLE.json).")
        s.style_source, s.style_take = "TAKE", str(Path(style).resolve())
    else:
        from model_runtime.performer.presets import PRESET_NAMES

        if style not in PRESET_NAMES:
            raise GazeError(f"--style {style}: not a preset ({', '.join(PRESET_NAMES)}) and not a file path.")
        s.style_source, s.style_preset = "PRESET", style


def _preview(scene: object, folder: Path, stem: str, outcome: pipeline.Outcome) -> str:
    sc = scene
    if sc.camera is None:
        return "no camera: preview skipped"
    folder.mkdir(parents=True, exist_ok=True)
    sc.render.engine = "BLENDER_WORKBENCH"
    sc.render.resolution_x, sc.render.resolution_y = 320, 240
    sc.frame_set(round((outcome.result.first_frame + outcome.result.last_frame) / 2))
    sc.render.filepath = str(folder / f"{stem}.png")
    bpy.ops.render.render(write_still=True)
    return f"preview {sc.render.filepath}"


def run(args: argparse.Namespace) -> int:
    """Generate for each audio file; print one line per file and a summary. Returns the exit code."""
    if args.blend:
        if not Path(args.blend).is_file():
            raise GazeError(f"--blend {args.blend}: no such file.")
        bpy.ops.wm.open_mainfile(filepath=str(Path(args.blend).resolve()))
    _ensure_registered()
    scene = bpy.context.scene
    settings = scene.gaze
    armature = _armature(args.armature)
    _apply_args(settings, args)
    audio = Path(args.audio) if args.audio else None
    if audio is not None and not audio.exists():
        raise GazeError(f"--audio {audio}: no such file or folder.")
    batch = audio is not None and audio.is_dir()
    if batch:
        files = sorted(p for p in audio.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
        if not files:
            raise GazeError(f"--audio {audio}: the folder holds no audio files ({', '.join(AUDIO_SUFFIXES)}).")
        if not args.output or args.output.endswith(".blend"):
            raise GazeError("A folder of audio needs --output FOLDER (one .blend per audio file).")
    else:
        files = [audio] if audio is not None else [None]
    start = args.start_frame if args.start_frame is not None else scene.frame_start
    failures: list[tuple[str, str]] = []
    started = time.monotonic()
    for path in files:
        label = path.name if path is not None else "sound strip"
        if path is not None:
            settings.audio_source, settings.audio_file, settings.file_start_frame = "FILE", str(path.resolve()), start
        else:
            settings.audio_source = "STRIP"
        try:
            outcome = pipeline.run(scene, settings, armature)
            notes = list(outcome.warnings)
            if args.preview:
                notes.append(_preview(scene, Path(args.preview), Path(label).stem, outcome))
            if batch:
                out = Path(args.output) / f"{path.stem}.blend"
                out.parent.mkdir(parents=True, exist_ok=True)
                bpy.ops.wm.save_as_mainfile(filepath=str(out.resolve()), copy=True)
                keyframes.remove_generated([armature, *_shape_key_owners(armature)])
                notes.append(f"saved {out}")
            print(f"gaze: ok   {label}: {outcome.message}" + "".join(f"\n      note: {n}" for n in notes), flush=True)
        except (GazeError, ValueError, OSError) as error:
            failures.append((label, str(error)))
            print(f"gaze: FAIL {label}: {error}", flush=True)
    if not batch and args.output and not failures:
        out = Path(args.output).resolve()
        out.parent.mkdir(parents=True, exist_ok=True)
        bpy.ops.wm.save_as_mainfile(filepath=str(out), copy=True)
        print(f"gaze: saved {out}", flush=True)
    elif not args.output and not failures:
        print("gaze: note: no --output given, nothing saved", flush=True)
    print(f"gaze: summary: {len(files) - len(failures)} of {len(files)} ok in {time.monotonic() - started:.1f} s", flush=True)
    for label, reason in failures:
        print(f"gaze: failed: {label}: {reason}", flush=True)
    return 1 if failures else 0


def _shape_key_owners(armature: object) -> list[object]:
    meshes = rig_mapping.bound_meshes(armature, bpy.context.scene)
    return [m.data.shape_keys for m in meshes if m.data.shape_keys is not None]


def main(argv: list[str]) -> int:
    """Entry for ``--python`` runs and tests: parse ``argv`` (what follows ``--``) and run."""
    try:
        args = parser().parse_args(argv)
    except SystemExit as exit_:
        return 2 if exit_.code else 0
    try:
        return run(args)
    except GazeError as error:
        print(f"gaze: error: {error}", file=sys.stderr, flush=True)
        return 1


def cli_command(argv: list[str]) -> int:
    """``blender -c gaze ...`` (registered on 4.2+)."""
    return main(list(argv))
