"""``style TAKE -o STYLE.json``: estimate the performer style of a recorded or generated take."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from model_runtime.commands.takeargs import add_take_options, load_take_from_args
from model_runtime.outputs import check_output
from model_runtime.performer.estimate import estimate_style
from model_runtime.performer.style import PARAMETERS


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser("style", help="estimate a style from a take", description=__doc__)
    parser.add_argument("take", type=Path, help="input take (.npz, .csv, Live Link Face .csv, FLAME .npz/.npy)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="STYLE.json to write")
    parser.add_argument("--audio", type=Path, help="the take's speech recording, to tell speaking from pausing")
    add_take_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    check_output(args.output, [args.take, args.audio])
    clip = load_take_from_args(args.take, args)
    features = None
    if args.audio is not None:
        from model_runtime.audio import compute_features, load_audio

        features = compute_features(load_audio(args.audio), clip.fps)
    style = estimate_style(clip, features, source=str(args.take))
    style.save(args.output)
    for name, value in style.to_dict().items():
        print(f"{name:24s} {value:8.3f} {PARAMETERS[name].unit}")
    print(f"wrote {args.output}")
    return 0
