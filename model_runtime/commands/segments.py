"""``segments AUDIO [--json]``: the utterances (speech between pauses) of an audio file, in seconds."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from model_runtime.audio import features_from_file


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser("segments", help="utterance start/end times of an audio file", description=__doc__)
    parser.add_argument("audio", type=Path, help="audio file (wav, flac, ogg, mp3; m4a, aac, mp4 with PyAV)")
    parser.add_argument("--json", action="store_true", help='print [{"start": s, "end": s}, ...] instead of one "start end" line each')
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # The frame rate only sets the per-frame outputs, which are not printed; utterances do not depend on it.
    utterances = features_from_file(args.audio, fps=100.0, n_mels=1).utterances
    if args.json:
        print(json.dumps([{"start": round(u.start, 3), "end": round(u.end, 3)} for u in utterances]))
    else:
        for u in utterances:
            print(f"{u.start:.3f} {u.end:.3f}")
    return 0
