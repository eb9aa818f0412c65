"""``train``: reproduce the learned engine's weights (needs the training extra: torch, onnx).

Builds the synthetic corpus from ``shared/data/speech``, trains the style encoder and the
generator, exports both to ONNX under ``OUT/models`` and writes the model card. ``--quick`` runs a
seconds-long smoke version (tiny networks, few steps) that proves the pipeline, not the quality.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from model_runtime.errors import GazeError

if TYPE_CHECKING:
    from model_runtime.training.pipeline import TrainSettings

_ROOT = Path(__file__).resolve().parents[2]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser("train", help="train the learned engine and export it to ONNX", description=__doc__)
    shared = Path(os.environ.get("GAZE_SHARED", _ROOT.parent / "shared"))
    parser.add_argument("--speech", type=Path, default=shared / "data" / "speech", help="folder with MANIFEST.csv and speech clips")
    parser.add_argument("--out", type=Path, default=_ROOT / "assets", help="folder to write models/*.onnx into (default: the repo's assets)")
    parser.add_argument("--card", type=Path, default=_ROOT / "docs" / "model_card.md", help="model card to write")
    parser.add_argument("--takes", type=Path, default=None, help="CSV manifest of real takes (take,audio,speaker,performer[,split])")
    parser.add_argument("--quick", action="store_true", help="seconds-long smoke run with tiny networks (does not reach the quality bars)")
    parser.add_argument("--generator-seed", type=int, default=None, metavar="N",
                        help="seed of the generator's initial weights and training batches (default 0: the shipped weights); "
                             "other seeds show how much the measured quality depends on it")
    parser.set_defaults(func=run)


def settings_from(args: argparse.Namespace) -> TrainSettings:
    """The training run the command line asks for (needs torch: the pipeline module imports it)."""
    from model_runtime.training.pipeline import TrainSettings

    settings = TrainSettings.quick(args.speech, args.out, args.card) if args.quick else TrainSettings(speech_dir=args.speech, out_dir=args.out, card=args.card)
    if args.takes is not None:
        settings = replace(settings, manifest=args.takes)
    if args.generator_seed is not None:
        settings = replace(settings, generator=replace(settings.generator, seed=args.generator_seed))
    return settings


def run(args: argparse.Namespace) -> int:
    try:
        from model_runtime.training.pipeline import train
    except ImportError as exc:
        raise GazeError(f"training needs the 'train' extra (torch, onnx): {exc}") from None
    results = train(settings_from(args))
    for key in ("sim_score", "fixation_ratio", "reference_fixation_ratio", "comp_score", "reference_comp_score",
                "retrieval_top1_single_window", "retrieval_top1_generated", "diversity_deg", "total_s"):
        print(f"{key:32} {results.get(key)}")
    return 0
