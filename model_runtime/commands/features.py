"""``features AUDIO --fps F -o OUT.npz``: per-frame speech features of an audio file.

The .npz holds one row per animation frame (frame i at i / fps seconds, ceil(duration * fps)
frames): f0_hz (frames,) Hz, 0 where unvoiced; voiced (frames,) bool; rms (frames,) linear full
scale; onset (frames,) log-mel flux; speech (frames,) bool; logmel (frames, n_mels) ln power;
plus fps (scalar), utterances (k, 2) start/end seconds and, with --wav2vec2, wav2vec2
(frames, hidden). See docs/audio.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from model_runtime.audio import features_from_file, load_audio, wav2vec2_features
from model_runtime.commands.argtypes import frame_rate, mel_bands
from model_runtime.generate import check_audio_length
from model_runtime.limits import MAX_N_MELS
from model_runtime.outputs import atomic_output, check_output


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "features", help="per-frame speech features of an audio file", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("audio", type=Path, help="audio file (wav, flac, ogg, mp3; m4a, aac, mp4 with PyAV)")
    parser.add_argument("--fps", type=frame_rate, required=True, help="animation frame rate (rows per second)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="output .npz")
    parser.add_argument("--n-mels", type=mel_bands, default=40, help=f"mel bands, 1 to {MAX_N_MELS} (default 40)")
    parser.add_argument("--wav2vec2", type=Path, metavar="MODEL_DIR", help="also store wav2vec 2.0 hidden states from this local model directory")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    output = args.output if args.output.suffix == ".npz" else args.output.with_name(args.output.name + ".npz")
    check_output(output, [args.audio])
    check_audio_length(args.audio, args.fps)  # features have a row per frame, as a take has
    features = features_from_file(args.audio, args.fps, args.n_mels)
    arrays: dict[str, Any] = {
        "fps": np.float64(features.fps),
        "f0_hz": features.f0_hz,
        "voiced": features.voiced,
        "rms": features.rms,
        "onset": features.onset,
        "speech": features.speech,
        "logmel": features.logmel,
        "utterances": np.array([[u.start, u.end] for u in features.utterances], dtype=np.float64).reshape(-1, 2),
    }
    if args.wav2vec2 is not None:
        arrays["wav2vec2"] = wav2vec2_features(load_audio(args.audio), args.wav2vec2, args.fps)
    with atomic_output(output) as temporary:
        np.savez_compressed(temporary, **arrays)
    print(
        f"wrote {output}: {features.n_frames} frames at {features.fps:g} fps ({features.duration:.2f} s), "
        f"{int(features.voiced.sum())} voiced, {int(features.speech.sum())} speech, {len(features.utterances)} utterances"
    )
    return 0
