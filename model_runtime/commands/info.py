"""``info TAKE``: frames, frame rate, duration and the range of each channel."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from model_runtime.commands.takeargs import add_take_options, load_take_from_args
from model_runtime.commands.terminal import printable
from model_runtime.conventions import BLINK_CHANNELS


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser("info", help="summarise a take", description=__doc__)
    parser.add_argument("take", type=Path)
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_take_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    clip = load_take_from_args(args.take, args)
    summary = clip.summary()
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(printable(str(args.take)))
    print(f"  frames    {clip.n_frames}")
    print(f"  fps       {clip.fps:.6g}")
    print(f"  duration  {clip.duration:.3f} s")
    for key, value in clip.meta.items():
        print(f"  {printable(key):<9} {printable(value)}")
    print(f"  {'channel':<16}{'min':>9}{'max':>9}{'mean':>9}{'std':>9}  unit")
    channels: dict[str, dict[str, float]] = summary["channels"]  # type: ignore[assignment]
    for name, stats in channels.items():
        unit = "closure" if name in BLINK_CHANNELS else "deg"
        print(f"  {name:<16}{stats['min']:9.2f}{stats['max']:9.2f}{stats['mean']:9.2f}{stats['std']:9.2f}  {unit}")
    return 0
