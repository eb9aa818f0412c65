"""The demo's Blender half: build the head, key gaze from the voice twice (a preset, then the style of
the reference take) with the add-on, save the .blend and render the frames.

Run by ``python build.py demo`` with a bpy venv's Python (or ``blender -b --python-exit-code 1
--python render_demo.py -- ARGS``); writes into ``--out``: demo.blend, frames/NNNN.png (the
reference-style take, the video), frames_preset/NNNN.png (the preset, one frame a second),
demo_preset.npz and demo_reference_style.npz (the generated clips) and demo_blender.json (timings).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import bpy

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(HERE), str(ROOT)]

import build_head  # noqa: E402

import gaze_addon  # noqa: E402
from gaze_addon import pipeline  # noqa: E402
from gaze_addon.request import from_settings  # noqa: E402
from model_runtime.errors import GazeError  # noqa: E402
from model_runtime.generate import ENGINES  # noqa: E402
from model_runtime.takes import save_take  # noqa: E402

FPS = 25
PRESET = "animated_storyteller"


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--voice", type=Path, required=True)
    p.add_argument("--take", type=Path, default=ROOT / "assets" / "takes" / "reference_livelink.csv")
    p.add_argument("--seconds", type=float, default=10.0, help="length of the rendered animation")
    p.add_argument("--size", type=int, default=320, help="frame width and height in pixels")
    p.add_argument("--samples", type=int, default=6, help="Cycles samples per pixel (denoised)")
    return p.parse_args(argv)


def setup_render(scene: bpy.types.Scene, size: int, samples: int) -> None:
    scene.render.engine = "CYCLES"
    cycles = scene.cycles
    cycles.device = "CPU"
    cycles.samples = samples
    cycles.use_adaptive_sampling = False
    cycles.max_bounces, cycles.diffuse_bounces, cycles.glossy_bounces = 3, 1, 1
    cycles.transmission_bounces = cycles.volume_bounces = cycles.transparent_max_bounces = 0
    # OpenImageDenoise on RGB alone is the cheapest denoise that still removes the noise of 6 samples.
    cycles.use_denoising = True
    cycles.denoiser = "OPENIMAGEDENOISE"
    cycles.denoising_input_passes = "RGB"
    cycles.denoising_prefilter = "NONE"
    if hasattr(cycles, "denoising_quality"):
        cycles.denoising_quality = "FAST"
    scene.render.use_persistent_data = True
    scene.render.resolution_x = scene.render.resolution_y = size
    scene.render.resolution_percentage = 100
    scene.render.image_settings.file_format = "PNG"
    render = scene.render
    for flag in ("date", "time", "render_time", "frame", "frame_range", "memory", "hostname", "camera", "lens", "scene", "marker", "filename", "sequencer_strip"):
        setattr(render, f"use_stamp_{flag}", flag == "frame")
    render.use_stamp = render.use_stamp_note = True
    render.stamp_font_size = max(10, size // 28)


def add_voice_strip(scene: bpy.types.Scene, voice: Path) -> None:
    editor = scene.sequence_editor or scene.sequence_editor_create()
    strips = editor.strips if hasattr(editor, "strips") else editor.sequences
    strips.new_sound("voice", str(voice.resolve()), 2, 1)


def pick_engine() -> str:
    """The learned engine when its networks are shipped, else the physiological performer."""
    if "learned" not in ENGINES:
        return "procedural"
    from model_runtime.learned.models import shipped_models

    try:
        shipped_models()
    except GazeError as error:
        print(f"[demo] learned engine unavailable ({error}); using the procedural performer", flush=True)
        return "procedural"
    return "learned"


def generate(scene: bpy.types.Scene, rig: bpy.types.Object, style_source: str, style: str, seed: int) -> pipeline.Outcome:
    settings = scene.gaze
    settings.audio_source = "STRIP"
    settings.engine = pick_engine()
    settings.seed = seed
    settings.eye_contact = "CAMERA"
    settings.style_source = style_source
    if style_source == "PRESET":
        settings.style_preset = style
    else:
        settings.style_take = style
    return pipeline.run(scene, from_settings(settings), rig)


def render_frames(scene: bpy.types.Scene, frames: list[int], folder: Path, note: str) -> list[float]:
    """Render each frame to folder/NNNN.png (NNNN: 1, 2, ... in order); seconds per frame."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    scene.render.stamp_note_text = note
    seconds = []
    for index, frame in enumerate(frames, start=1):
        started = time.monotonic()
        scene.frame_set(frame)
        scene.render.filepath = str(folder / f"{index:04d}.png")
        bpy.ops.render.render(write_still=True)
        seconds.append(time.monotonic() - started)
    return seconds


def main(argv: list[str]) -> int:
    args = parse(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    steps: dict[str, float] = {}
    clock = time.monotonic()

    def step(name: str) -> None:
        nonlocal clock
        now = time.monotonic()
        steps[name] = round(now - clock, 2)
        print(f"[demo] {name}: {steps[name]:.1f} s", flush=True)
        clock = now

    bpy.ops.wm.read_homefile(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = FPS, 1.0
    objects = build_head.build_demo_head(scene)
    rig = objects["armature"]
    n_frames = round(args.seconds * FPS)
    scene.frame_start, scene.frame_end = 1, n_frames
    add_voice_strip(scene, args.voice)
    setup_render(scene, args.size, args.samples)
    gaze_addon.register()
    step("build head and scene")

    preset = generate(scene, rig, "PRESET", PRESET, seed=1)
    save_take(preset.clip, out / "demo_preset.npz")
    print(f"[demo] {preset.message}", flush=True)
    step(f"generate ({PRESET} preset)")
    one_per_second = [s * FPS + FPS // 2 + 1 for s in range(int(args.seconds))]  # the frames the contact sheet picks
    preset_seconds = render_frames(scene, one_per_second, out / "frames_preset", f"preset: {PRESET}")
    step("render preset frames")

    styled = generate(scene, rig, "TAKE", str(args.take.resolve()), seed=1)
    save_take(styled.clip, out / "demo_reference_style.npz")
    print(f"[demo] {styled.message}", flush=True)
    step("generate (reference take style)")
    blend = out / "demo.blend"
    scene.render.stamp_note_text = f"style of {args.take.name}"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend))
    step("save demo.blend")

    frame_seconds = render_frames(scene, list(range(1, n_frames + 1)), out / "frames", f"style of {args.take.name}")
    step("render video frames")
    report = {
        "blender": bpy.app.version_string,
        "engine": scene.gaze.engine,
        "preset": PRESET,
        "take": str(args.take),
        "size": args.size,
        "samples": args.samples,
        "frames": n_frames,
        "steps_s": steps,
        "first_frame_s": round(frame_seconds[0], 3),
        "per_frame_s": round(sum(frame_seconds[1:]) / max(1, len(frame_seconds) - 1), 3),
        "preset_frames": len(preset_seconds),
        "keys": {"preset": sum(r.keys for r in preset.lines), "reference_style": sum(r.keys for r in styled.lines)},
    }
    (out / "demo_blender.json").write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else sys.argv[1:]))
