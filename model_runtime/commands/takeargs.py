"""Command-line options for reading takes, shared by every command that takes a TAKE argument."""

from __future__ import annotations

import argparse
from pathlib import Path

from model_runtime.clip import MotionClip
from model_runtime.commands.argtypes import bounded, frame_rate
from model_runtime.takes import FORMATS, FlameOptions, LiveLinkOptions, load_take


def add_take_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("reading takes")
    group.add_argument("--format", choices=FORMATS, help="input format (default: told from the file)")
    group.add_argument("--llf-angle-unit", choices=("auto", "radians", "degrees"), default="auto", help="unit of Live Link Face angle columns")
    group.add_argument("--llf-angle-scale", type=bounded(0.0, 1e6, open_low=True), help="degrees per unit of Live Link Face angle columns (overrides the unit)")
    for axis in ("yaw", "pitch", "roll"):
        group.add_argument(f"--llf-{axis}-sign", type=int, choices=(-1, 1), help=f"sign of Live Link Face {axis} (default: from the file, see docs)")
    group.add_argument("--take-fps", type=frame_rate, help="frame rate of the take when the file has none (FLAME) or to override it")
    group.add_argument("--flame-head", choices=("global+neck", "neck", "global"), default="global+neck", help="FLAME joints that make the head rotation")


def load_take_from_args(path: Path, args: argparse.Namespace) -> MotionClip:
    live_link = LiveLinkOptions(
        angle_unit=args.llf_angle_unit,
        angle_scale=args.llf_angle_scale,
        yaw_sign=args.llf_yaw_sign,
        pitch_sign=args.llf_pitch_sign,
        roll_sign=args.llf_roll_sign,
        fps=args.take_fps,
    )
    flame_options = FlameOptions(fps=args.take_fps, head_source=args.flame_head)
    return load_take(path, args.format, live_link=live_link, flame_options=flame_options)
