"""``convert TAKE -o OUT``: any take format to another, optionally at another frame rate."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from model_runtime.commands.argtypes import frame_rate
from model_runtime.commands.takeargs import add_take_options, load_take_from_args
from model_runtime.outputs import check_output
from model_runtime.takes import FORMATS, save_take
from model_runtime.takes.values import check_length


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser("convert", help="convert a take between formats", description=__doc__)
    parser.add_argument("take", type=Path, help="input take (.npz, .csv, Live Link Face .csv, FLAME .npz/.npy)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="output file (.npz or .csv, or see --to)")
    parser.add_argument("--to", choices=FORMATS, help="output format (default: from the output extension)")
    parser.add_argument("--fps", type=frame_rate, help="resample to this frame rate")
    add_take_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    check_output(args.output, [args.take])
    clip = load_take_from_args(args.take, args)
    if args.fps is not None:
        check_length(args.output, round(clip.duration * args.fps), args.fps)  # before resampling allocates it
        clip = clip.resample(args.fps)
    save_take(clip, args.output, args.to)
    print(f"wrote {args.output}: {clip.n_frames} frames at {clip.fps:g} fps ({clip.duration:.2f} s)")
    return 0
