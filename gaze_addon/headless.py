"""Headless runs: one audio file or a folder of them, from a shell.

    blender -b scene.blend --python-exit-code 1 --python gaze_addon/headless.py -- --audio a.wav [--output out.blend]
    blender -b scene.blend --python-exit-code 1 --python gaze_addon/headless.py -- --audio FOLDER --output OUTDIR
    blender -c gaze --blend scene.blend --audio a.wav --output out.blend      (4.2+, extension enabled)

Exit code 0 when every file worked, 1 when any failed (the reason is printed), 2 for bad arguments.
Every panel choice has a flag; nothing is taken from the panel state saved in the .blend unless
``--use-panel-settings`` is given (then the flags given override it). The input .blend is never
written: ``--output`` must be another file, and ``--preview`` renders without changing what is saved.
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
import math
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import bpy

from model_runtime.errors import GazeError

from . import aim, pipeline, rig_mapping, sound, takes
from .properties import scene_settings
from .request import LAYERINGS, AudioChoice, GenerateRequest, StyleChoice, from_settings

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".aif", ".aiff", ".m4a", ".aac", ".mp4", ".mov", ".mkv", ".opus", ".wma")
MAX_SEED = 2**31 - 1
MAX_FRAME = 1_048_574  # Blender's last timeline frame


def _number(low: float, high: float, kind: type = float) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text) if kind is int else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a{'n integer' if kind is int else ' number'}") from None
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(f"{text} is out of range: expected {low:g} to {high:g}")
        return value

    return parse


def _pair(text: str) -> tuple[str, str]:
    parts = text.split(",")
    if len(parts) != 2 or not all(parts):
        raise argparse.ArgumentTypeError(f"{text!r}: expected LEFT,RIGHT")
    return parts[0], parts[1]


def _line_seed(text: str) -> tuple[str, int]:
    strip, equals, seed = text.rpartition("=")
    if not equals or not strip or not seed.isdigit() or int(seed) > MAX_SEED:
        raise argparse.ArgumentTypeError(f"{text!r}: expected STRIP=SEED, a sound strip's name and a whole number from 0 to {MAX_SEED}")
    return strip, int(seed)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gaze", description="Key speech-driven gaze, head and blink motion onto a rig.")
    p.add_argument("--audio", help="audio file, or a folder of them (batch); default: the scene's sound strip")
    p.add_argument("--strip", help="the sound strip to use (default: the one under the playhead, or the only one)")
    p.add_argument("--all-lines", action="store_true", default=None, help="one take per unmuted sound strip of the scene")
    p.add_argument("--conversation", action="store_true", help="the whole conversation: every armature speaks its strips (named 'Ann: ...') and listens to the others'")
    p.add_argument("--character", help="with --conversation: key only this character again; the others' takes stay")
    p.add_argument(
        "--line-seed", type=_line_seed, action="append", default=[], metavar="STRIP=SEED",
        help="with --conversation: the line of this sound strip performed with its own seed (the rest stays as it was); repeatable",
    )  # fmt: skip
    p.add_argument("--blend", help="open this .blend first (for `blender -c gaze`)")
    p.add_argument("--style", help="preset name, take file (.csv/.npz/.npy), STYLE.json, or action:NAME")
    p.add_argument("--armature", help="armature object name (default: the only armature in the scene)")
    p.add_argument("--mapping", choices=sorted(rig_mapping.PRESET_LABELS), help="rig mapping (default AUTO)")
    p.add_argument("--head-bone", help="custom mapping: the head bone")
    p.add_argument("--left-eye-bone", help="custom mapping: the left eye bone")
    p.add_argument("--right-eye-bone", help="custom mapping: the right eye bone")
    p.add_argument("--facing", choices=sorted(rig_mapping.FACINGS), help="the character's facing in armature space (default AUTO: from the rig)")
    p.add_argument("--face-mesh", help="the face mesh object (default: found from the armature)")
    p.add_argument("--blink-target", choices=("AUTO", "SHAPE_KEYS", "BONES", "LID_CONTROLS", "PROPERTY", "NONE"), help="where blinks go (default AUTO)")
    p.add_argument("--blink-keys", type=_pair, help="LEFT,RIGHT shape keys for blinks")
    p.add_argument("--lid-bones", type=_pair, help="LEFT,RIGHT eyelid bones")
    p.add_argument("--lid-angle", type=_number(-180, 180), help="rotation of a closed lid bone, degrees")
    p.add_argument("--engine", choices=("procedural", "learned"))
    p.add_argument("--seed", type=_number(0, MAX_SEED, int))
    p.add_argument("--head-intensity", type=_number(0, 2))
    p.add_argument("--gaze-intensity", type=_number(0, 2))
    p.add_argument("--blink-rate", type=_number(0, 60), help="blinks per minute (0: the style's)")
    p.add_argument("--match-statistics", action=argparse.BooleanOptionalAction, default=None,
                   help="learned engine: steer towards the style's measured statistics (default on)")
    p.add_argument("--eye-contact", help="forward (default), camera, object:NAME or bone:ARMATURE:BONE")
    p.add_argument("--layering", choices=sorted(LAYERINGS), help="ADD: your head keys and the generated head add up (default); USER: your keys win")
    p.add_argument("--idle", action=argparse.BooleanOptionalAction, default=None, help="keep the character alive before, between and after lines (default on)")
    p.add_argument("--max-minutes", type=_number(0.1, 180))
    p.add_argument("--start-frame", type=_number(-MAX_FRAME, MAX_FRAME, int), help="timeline frame where an audio file starts (default: scene start)")
    p.add_argument("--use-panel-settings", action="store_true", help="start from the Gaze panel's settings saved in the .blend")
    p.add_argument("--output", help="out.blend (one file), or a folder (batch: one .blend per audio file)")
    p.add_argument("--preview", help="folder for a preview still per file (Workbench, needs a camera)")
    p.add_argument("--export-csv", help="also write each take as an ARKit / Live Link Face CSV: a file (one audio) or a folder (batch)")
    return p


def _ensure_registered() -> None:
    if not hasattr(bpy.types.Scene, "gaze"):
        from .registration import register

        register()


def _object(name: str, what: str) -> Any:
    obj = bpy.data.objects.get(name)
    if obj is None:
        raise GazeError(f"{what}: no object named '{name}' in the file.")
    return obj


def _current_scene() -> bpy.types.Scene:
    scene = bpy.context.scene
    if scene is None:
        raise GazeError("The file has no scene.")
    return scene


def _armature(name: str | None) -> Any:
    scene = _current_scene()
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


def _style(text: str | None, base: StyleChoice) -> StyleChoice:
    if text is None:
        return base
    if not text:
        return StyleChoice()
    if text.startswith("action:"):
        action = bpy.data.actions.get(text[len("action:") :])
        if action is None:
            raise GazeError(f"--style {text}: no action of that name in the file.")
        return StyleChoice("ACTION", action=action)
    if Path(text).suffix:
        if not Path(text).is_file():
            raise GazeError(f"--style {text}: no such file (expected a take .csv/.npz/.npy or a STYLE.json).")
        return StyleChoice("TAKE", take=str(Path(text).resolve()))
    from model_runtime.performer.presets import PRESET_NAMES

    if text not in PRESET_NAMES:
        raise GazeError(f"--style {text}: not a preset ({', '.join(PRESET_NAMES)}) and not a file path.")
    return StyleChoice("PRESET", preset=text)


def _contact(text: str | None, base: aim.EyeContact) -> aim.EyeContact:
    if text is None:
        return base
    mode, _, rest = text.partition(":")
    mode = mode.upper()
    if mode in ("FORWARD", "CAMERA") and not rest:
        return aim.EyeContact(mode)
    if mode == "OBJECT" and rest:
        return aim.EyeContact("OBJECT", _object(rest, "--eye-contact"))
    if mode == "BONE" and ":" in rest:
        arm, _, bone = rest.partition(":")
        return aim.EyeContact("BONE", _object(arm, "--eye-contact"), bone)
    raise GazeError(f"--eye-contact {text}: expected forward, camera, object:NAME or bone:ARMATURE:BONE.")


def request_from_args(args: argparse.Namespace, scene: Any) -> GenerateRequest:
    """The request the flags describe; defaults (or, with --use-panel-settings, the saved panel) for the rest."""
    base = from_settings(scene_settings(scene)) if args.use_panel_settings else GenerateRequest()

    def pick(value: Any, default: Any) -> Any:
        return default if value is None else value

    m = base.mapping
    mapping = replace(
        m,
        preset=pick(args.mapping, m.preset),
        head_bone=pick(args.head_bone, m.head_bone),
        left_eye_bone=pick(args.left_eye_bone, m.left_eye_bone),
        right_eye_bone=pick(args.right_eye_bone, m.right_eye_bone),
        face_mesh=_object(args.face_mesh, "--face-mesh") if args.face_mesh else m.face_mesh,
        blink_target=pick(args.blink_target, m.blink_target),
        blink_left_key=args.blink_keys[0] if args.blink_keys else m.blink_left_key,
        blink_right_key=args.blink_keys[1] if args.blink_keys else m.blink_right_key,
        left_lid_bone=args.lid_bones[0] if args.lid_bones else m.left_lid_bone,
        right_lid_bone=args.lid_bones[1] if args.lid_bones else m.right_lid_bone,
        lid_angle_deg=pick(args.lid_angle, m.lid_angle_deg),
        facing=pick(args.facing, m.facing),
    )
    if any((args.head_bone, args.left_eye_bone, args.right_eye_bone)) and args.mapping is None:
        mapping = replace(mapping, preset="CUSTOM")
    audio = replace(
        base.audio,
        strip_name=pick(args.strip, base.audio.strip_name),
        all_strips=pick(args.all_lines, base.audio.all_strips),
        max_minutes=pick(args.max_minutes, base.audio.max_minutes),
    )
    return replace(
        base,
        audio=audio,
        style=_style(args.style, base.style),
        engine=pick(args.engine, base.engine),
        seed=pick(args.seed, base.seed),
        head_intensity=pick(args.head_intensity, base.head_intensity),
        gaze_intensity=pick(args.gaze_intensity, base.gaze_intensity),
        blink_rate=(args.blink_rate or None) if args.blink_rate is not None else base.blink_rate,
        match_statistics=pick(args.match_statistics, base.match_statistics),
        contact=_contact(args.eye_contact, base.contact),
        mapping=mapping,
        layering=pick(args.layering, base.layering),
        fill_idle=pick(args.idle, base.fill_idle),
    )


def _preview(scene: Any, folder: Path, stem: str, outcome: pipeline.Outcome) -> str:
    """A Workbench still of the take's middle frame; the scene's render settings are put back."""
    if scene.camera is None:
        return "no camera: preview skipped"
    folder.mkdir(parents=True, exist_ok=True)
    render = scene.render
    saved = (render.engine, render.resolution_x, render.resolution_y, render.resolution_percentage, render.filepath, scene.frame_current)
    try:
        render.engine = "BLENDER_WORKBENCH"
        render.resolution_x, render.resolution_y, render.resolution_percentage = 320, 240, 100
        scene.frame_set(round((outcome.first_frame + outcome.last_frame) / 2))
        render.filepath = str(folder / f"{stem}.png")
        bpy.ops.render.render(write_still=True)
        return f"preview {render.filepath}"
    finally:
        render.engine, render.resolution_x, render.resolution_y, render.resolution_percentage, render.filepath = saved[:5]
        scene.frame_set(saved[5])


def _export(args: argparse.Namespace, *, stem: str | None, outcome: pipeline.Outcome) -> str:
    from . import export

    path = Path(args.export_csv) / f"{stem}.csv" if stem is not None else Path(args.export_csv)
    if stem is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    clip = export.clip_from_scene(_current_scene(), outcome.target, round(outcome.first_frame), round(outcome.last_frame))
    return f"exported {export.write_live_link(clip, path)}"


def _same_file(a: Path, b: str) -> bool:
    return bool(b) and Path(a).resolve() == Path(bpy.path.abspath(b)).resolve()


def _check_output(args: argparse.Namespace, batch: bool) -> None:
    opened = bpy.data.filepath
    if batch and not args.output:
        raise GazeError("A folder of audio needs --output FOLDER (one .blend per audio file).")
    if not args.output:
        return
    out = Path(args.output)
    if batch:
        if out.suffix.lower() == ".blend":
            raise GazeError("A folder of audio needs --output FOLDER (one .blend per audio file).")
        if out.exists() and not out.is_dir():
            raise GazeError(f"--output {out}: exists and is not a folder.")
        return
    if out.suffix.lower() != ".blend":
        raise GazeError(f"--output {out}: expected a .blend file path.")
    if opened and _same_file(out, opened):
        raise GazeError(f"--output {out} is the opened scene itself: the input is never overwritten; name another file.")
    if out.is_dir():
        raise GazeError(f"--output {out}: is a folder; expected a .blend file path.")


def _save(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    bpy.ops.wm.save_as_mainfile(filepath=str(path.resolve()), copy=True)


def run(args: argparse.Namespace) -> int:
    """Generate for each audio file; print one line per file and a summary. Returns the exit code."""
    if args.blend:
        blend = Path(args.blend)
        if not blend.is_file():
            raise GazeError(f"--blend {args.blend}: no such file.")
        with blend.open("rb") as handle:
            magic = handle.read(7)
        # Plain, zstd- or gzip-compressed .blend.
        if magic != b"BLENDER" and magic[:4] != b"\x28\xb5\x2f\xfd" and magic[:2] != b"\x1f\x8b":
            raise GazeError(f"--blend {args.blend}: not a .blend file (expected a file saved by Blender).")
        try:
            bpy.ops.wm.open_mainfile(filepath=str(blend.resolve()))
        except RuntimeError as error:
            raise GazeError(f"--blend {args.blend}: Blender cannot open it ({str(error).strip().splitlines()[-1]}).") from None
    _ensure_registered()
    scene = _current_scene()
    if (args.character or args.line_seed) and not args.conversation:
        raise GazeError("--character and --line-seed go with --conversation.")
    if args.conversation:
        return _conversation(args, scene)
    armature = _armature(args.armature)
    request = request_from_args(args, scene)
    audio = Path(args.audio) if args.audio else None
    if audio is not None and not audio.exists():
        raise GazeError(f"--audio {audio}: no such file or folder.")
    batch = audio is not None and audio.is_dir()
    files: list[Path | None]
    if batch and audio is not None:
        files = [*sorted((p for p in audio.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES), key=lambda p: p.name)]
        if not files:
            raise GazeError(f"--audio {audio}: the folder holds no audio files ({', '.join(AUDIO_SUFFIXES)}).")
    else:
        files = [audio]
    _check_output(args, batch)
    start = args.start_frame if args.start_frame is not None else scene.frame_start
    failures: list[tuple[str, str]] = []
    outcomes: list[pipeline.Outcome] = []
    started = time.monotonic()
    for path in files:
        label = path.name if path is not None else "sound strips" if request.audio.all_strips else "sound strip"
        if path is not None:
            line_request = replace(request, audio=AudioChoice("FILE", file=str(path.resolve()), file_start_frame=start, max_minutes=request.audio.max_minutes))
        else:
            line_request = replace(request, audio=replace(request.audio, source="STRIP"))
        try:
            outcome = pipeline.run(scene, line_request, armature)
            notes = list(outcome.warnings)
            if args.preview:
                notes.append(_preview(scene, Path(args.preview), Path(label).stem, outcome))
            if args.export_csv:
                notes.append(_export(args, stem=Path(label).stem if batch else None, outcome=outcome))
            if batch and path is not None:
                out = Path(args.output) / f"{path.stem}.blend"
                _save(out)
                takes.remove_all([armature, *_shape_key_owners(armature)])
                notes.append(f"saved {out}")
            outcomes.append(outcome)
            print(f"gaze: ok   {label}: {outcome.message}" + "".join(f"\n      note: {n}" for n in notes), flush=True)
        except Exception as error:
            failures.append((label, _one_line(error)))
            print(f"gaze: FAIL {label}: {_one_line(error)}", flush=True)
    if not batch and args.output and not failures:
        out = Path(args.output).resolve()
        _save(out)
        print(f"gaze: saved {out}", flush=True)
    elif not args.output and not failures:
        print("gaze: note: no --output given, nothing saved", flush=True)
    print(f"gaze: summary: {len(files) - len(failures)} of {len(files)} ok in {time.monotonic() - started:.1f} s", flush=True)
    for label, reason in failures:
        print(f"gaze: failed: {label}: {reason}", flush=True)
    return 1 if failures else 0


def _conversation(args: argparse.Namespace, scene: Any) -> int:
    from . import conversation

    _check_output(args, batch=False)
    for name, seed in args.line_seed:
        try:
            strip = sound.pick_strip(scene, name)
        except GazeError as exc:
            raise GazeError(f"--line-seed {name}={seed}: {exc}") from None
        strip[conversation.LINE_SEED_PROPERTY] = seed
    results = conversation.run(scene, request_from_args(args, scene), only=args.character)
    print(f"gaze: ok   conversation: {len(results)} characters keyed, frames {results[0].first_frame:g}-{results[0].last_frame:g}", flush=True)
    if args.output:
        out = Path(args.output).resolve()
        _save(out)
        print(f"gaze: saved {out}", flush=True)
    return 0


def _one_line(error: BaseException) -> str:
    if isinstance(error, (GazeError, ValueError, OSError)):
        return str(error)
    return f"unexpected {type(error).__name__}: {error} (a bug; please report it with this line)"


def _shape_key_owners(armature: Any) -> list[Any]:
    meshes = rig_mapping.bound_meshes(armature, _current_scene())
    return [m.data.shape_keys for m in meshes if m.data.shape_keys is not None]


def main(argv: list[str]) -> int:
    """Entry for ``--python`` runs and tests: parse ``argv`` (what follows ``--``) and run."""
    try:
        args = parser().parse_args(argv)
    except SystemExit as exit_:
        return 2 if exit_.code else 0
    try:
        return run(args)
    except Exception as error:
        print(f"gaze: error: {_one_line(error)}", file=sys.stderr, flush=True)
        return 1


def cli_command(argv: list[str]) -> int:
    """``blender -c gaze ...`` (registered on 4.2+)."""
    return main(list(argv))
