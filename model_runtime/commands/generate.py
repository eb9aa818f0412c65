"""``generate AUDIO -o OUT``: gaze, head and blink motion for a speech recording."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from model_runtime.commands.argtypes import frame_rate, seed
from model_runtime.generate import ENGINES, Controls, generate
from model_runtime.outputs import check_output
from model_runtime.performer.presets import DEFAULT_PRESET, PRESET_NAMES
from model_runtime.takes import FORMATS, save_take


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser("generate", help="generate motion from speech audio", description=__doc__)
    parser.add_argument("audio", type=Path, help="speech recording (wav, flac, ogg, mp3; m4a, aac, mp4 with PyAV)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="output take (.npz or .csv, or see --to)")
    parser.add_argument("--to", choices=FORMATS, help="output format (default: from the output extension)")
    parser.add_argument("--engine", default="procedural", help=f"generator: {', '.join(sorted(ENGINES))} (default procedural)")
    parser.add_argument(
        "--style", default=DEFAULT_PRESET,
        help=f"a preset ({', '.join(PRESET_NAMES)}), a STYLE.json, or a take file to take the style from (default {DEFAULT_PRESET})",
    )
    parser.add_argument("--seed", type=seed, default=0, help="random seed: the same seed gives the same motion (default 0)")
    parser.add_argument("--fps", type=frame_rate, default=30.0, help="frame rate of the output (default 30)")
    parser.add_argument(
        "--match-statistics", action=argparse.BooleanOptionalAction, default=True,
        help="learned engine: steer towards the style's measured saccade rate, mutual gaze, head size and where looks away go (default on)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    check_output(args.output, [args.audio, None if args.style in PRESET_NAMES else Path(args.style)])
    clip = generate(args.audio, args.fps, engine=args.engine, style=args.style, seed=args.seed, controls=Controls(match_statistics=args.match_statistics))
    save_take(clip, args.output, args.to)
    print(f"wrote {args.output}: {clip.n_frames} frames at {clip.fps:g} fps ({clip.duration:.2f} s), engine {args.engine}, style {args.style}, seed {args.seed}")
    return 0
