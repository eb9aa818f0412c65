"""``dialogue SCENE.json -o OUTDIR``: one take per character of a dialogue scene (docs/dialogue.md)."""

from __future__ import annotations

import argparse
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from model_runtime.commands.argtypes import frame_rate, seed
from model_runtime.dialogue import parse_dialogue, perform_dialogue
from model_runtime.generate import ENGINES
from model_runtime.inputs import AudioInput
from model_runtime.outputs import OutputError, check_output
from model_runtime.performer.presets import DEFAULT_PRESET, PRESET_NAMES
from model_runtime.takes import FORMATS, save_take

_SUFFIX = {"npz": ".npz", "csv": ".csv", "livelink": ".csv", "flame": ".npz"}


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser("dialogue", help="motion for every character of a dialogue scene", description=__doc__)
    parser.add_argument("scene", type=Path, help="dialogue JSON: characters with positions, lines with audio and start times (docs/dialogue.md)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="folder for the takes, one CHARACTER.npz per character (created if missing)")
    parser.add_argument("--to", choices=FORMATS, default="npz", help="take format (default npz)")
    parser.add_argument("--style", default=DEFAULT_PRESET, help=f"style of characters without their own: a preset ({', '.join(PRESET_NAMES)}), a STYLE.json or a take file")
    parser.add_argument("--seed", type=seed, default=0, help="random seed: the same seed gives the same motion (default 0)")
    parser.add_argument("--fps", type=frame_rate, help="frame rate of the takes (default: the scene's fps)")
    parser.add_argument("--engine", choices=sorted(ENGINES), default="procedural", help="who performs the speakers' own lines (default procedural; listening is the performer's either way)")
    parser.set_defaults(func=run)


def take_names(names: list[str], suffix: str) -> dict[str, str]:
    """A distinct, portable file name per character name."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "character"
        candidate, k = stem, 2
        while candidate.lower() in used:
            candidate, k = f"{stem}_{k}", k + 1
        used.add(candidate.lower())
        out[name] = candidate + suffix
    return out


def run(args: argparse.Namespace) -> int:
    dialogue = parse_dialogue(args.scene)
    if args.fps is not None:
        dialogue = replace(dialogue, fps=args.fps).validated()
    folder: Path = args.output
    if folder.exists() and not folder.is_dir():
        raise OutputError(folder, "is a file; expected a folder for the takes")
    if not folder.parent.is_dir():
        raise OutputError(folder, f"the folder {folder.parent} does not exist; create it first")
    folder.mkdir(exist_ok=True)
    files = take_names([c.name for c in dialogue.characters], _SUFFIX[args.to])
    audio: list[AudioInput] = [line.audio for line in dialogue.lines]
    inputs = [args.scene] + [a for a in audio if isinstance(a, Path)]
    if args.style not in PRESET_NAMES:
        inputs.append(Path(args.style))
    inputs += [Path(c.style) for c in dialogue.characters if c.style is not None and c.style not in PRESET_NAMES]
    for name in files.values():
        check_output(folder / name, inputs)
    clips = perform_dialogue(dialogue, seed=args.seed, style=args.style, engine=args.engine)
    for character, clip in clips.items():
        save_take(clip, folder / files[character], args.to)
        print(f"wrote {folder / files[character]}: {character}, {clip.n_frames} frames at {clip.fps:g} fps ({clip.duration:.2f} s)")
    return 0
