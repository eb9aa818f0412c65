"""``batch MANIFEST.csv --out DIR``: a take (.npz) and a Live Link Face CSV for every line of a manifest,
and for a line with a rig .blend, the take keyed onto the rig and exported through Blender (FBX or glTF).

Manifest columns: audio (needed), style, seed, fps, output, rig; see model_runtime.batch.manifest.
A rerun skips the lines whose inputs and settings are unchanged; a bad line is reported and the
batch goes on. Exit status 0 when every line is done, 1 when any line failed (see the report CSV),
2 when the manifest itself cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from model_runtime.batch import Defaults, JobSettings, read_manifest, run_batch
from model_runtime.batch.blender import RIG_FORMATS
from model_runtime.commands.argtypes import frame_rate, seed, whole
from model_runtime.commands.terminal import printable
from model_runtime.generate import ENGINES
from model_runtime.outputs import OutputError
from model_runtime.performer.presets import DEFAULT_PRESET, PRESET_NAMES


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "batch", help="generate motion for every line of a manifest CSV", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("manifest", type=Path, help="CSV with the columns audio[,style,seed,fps,output,rig]")
    parser.add_argument("--out", type=Path, required=True, help="output folder (created if missing): NAME.npz, NAME.csv (Live Link), NAME.done.json")
    parser.add_argument("--report", type=Path, help="report CSV: line, output, status, message, seconds (default OUT/report.csv)")
    parser.add_argument("--jobs", type=whole(1, 1024), help="worker processes (default: every core)")
    parser.add_argument("--ray", metavar="auto|ADDRESS|local", help="run the lines as Ray tasks on a cluster (auto: the one this machine joined; local: a new one here)")
    parser.add_argument("--engine", default="procedural", choices=sorted(ENGINES), help="generator (default procedural)")
    parser.add_argument("--style", default=DEFAULT_PRESET, help=f"style of lines with an empty style cell: a preset ({', '.join(PRESET_NAMES)}) or a file (default {DEFAULT_PRESET})")
    parser.add_argument("--seed", type=seed, default=0, help="seed of lines with an empty seed cell (default 0)")
    parser.add_argument("--fps", type=frame_rate, default=30.0, help="frame rate of lines with an empty fps cell (default 30)")
    parser.add_argument("--rig-format", default="fbx", choices=RIG_FORMATS, help="what a line with a rig also writes through Blender: OUT/NAME.fbx or OUT/NAME.glb (default fbx)")
    parser.add_argument(
        "--blender", default="auto", metavar="auto|bpy|PATH",
        help="Blender for the rig exports: auto (the bpy module when it imports, else blender on PATH), bpy, or an executable's path",
    )  # fmt: skip
    parser.add_argument("--force", action="store_true", help="redo every line, even those unchanged since the last run")
    parser.add_argument("--quiet", action="store_true", help="no progress line")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise OutputError(out, "is a file; expected an output folder")
    style = args.style if args.style in PRESET_NAMES else str(Path(args.style).resolve())
    rows = read_manifest(args.manifest, Defaults(style=style, seed=args.seed, fps=args.fps))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(out, f"cannot be created ({exc.strerror or exc})") from None
    report = args.report or out / "report.csv"
    summary = run_batch(
        rows,
        JobSettings(out_dir=out.resolve(), engine=args.engine, force=args.force, rig_format=args.rig_format, blender=args.blender),
        report_path=report,
        jobs=args.jobs,
        ray_address=args.ray,
        progress=None if args.quiet else sys.stderr,
    )
    failed = [result for result in summary.results if result.status == "failed"]
    for result in failed[:20]:
        print(f"failed: line {result.number} ({printable(result.output) or 'no output name'}): {printable(result.message)}", file=sys.stderr)
    if len(failed) > 20:
        print(f"... and {len(failed) - 20} more failed lines: see {report}", file=sys.stderr)
    print(
        f"{len(summary.results)} lines in {summary.seconds:.1f} s: {summary.count('ok')} done, {summary.count('skipped')} unchanged, "
        f"{len(failed)} failed; report {report}"
    )
    return 1 if failed else 0
