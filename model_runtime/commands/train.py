"""``train``: reproduce the learned engine's weights (needs the training extra: torch, onnx).

Builds the synthetic corpus from ``shared/data/speech``, trains the style encoder and the
generator, exports both to ONNX under ``OUT/models`` and writes the model card. ``--quick`` runs a
seconds-long smoke version (tiny networks, few steps) that proves the pipeline, not the quality.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from model_runtime.errors import GazeError

_ROOT = Path(__file__).resolve().parents[2]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser("train", help="train the learned engine and export it to ONNX", description=__doc__)
    shared = Path(os.environ.get("GAZE_SHARED", _ROOT.parent / "shared"))
    parser.add_argument("--speech", type=Path, default=shared / "data" / "speech", help="folder with MANIFEST.csv and speech clips")
    parser.add_argument("--out", type=Path, default=_ROOT / "assets", help="folder to write models/*.onnx into (default: the repo's assets)")
    parser.add_argument("--card", type=Path, default=_ROOT / "docs" / "model_card.md", help="model card to write")
    parser.add_argument("--takes", type=Path, default=None, help="CSV manifest of real takes (take,audio,speaker,performer[,split])")
    parser.add_argument("--quick", action="store_true", help="seconds-long smoke run with tiny networks (does not reach the quality bars)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        from model_runtime.training.pipeline import TrainSettings, train
    except ImportError as exc:
        raise GazeError(f"training needs the 'train' extra (torch, onnx): {exc}") from None
    if args.quick:
        settings = TrainSettings.quick(args.speech, args.out, args.card)
    else:
        settings = TrainSettings(speech_dir=args.speech, out_dir=args.out, card=args.card, manifest=args.takes)
    if args.takes is not None:
        from dataclasses import replace

        settings = replace(settings, manifest=args.takes)
    results = train(settings)
    for key in ("sim_score", "fixation_ratio", "reference_fixation_ratio", "comp_score", "reference_comp_score",
                "retrieval_top1_single_window", "retrieval_top1_generated", "diversity_deg", "total_s"):
        print(f"{key:32} {results.get(key)}")
    return 0
