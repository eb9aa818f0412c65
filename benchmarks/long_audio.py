"""Long audio (issue #25): streamed frame counts against the whole file, and generate's peak memory.

Run: .venv/bin/python benchmarks/long_audio.py [--minutes 180] [--rates 24 25 29.97 30 60]
                                               [--generate-minutes 120] [--source-rate 48000]
Writes synthetic speech-like audio (a buzzy tone, 2 s on, 1 s off) to a temporary folder, then
prints, per rate, the frames ``features_from_file`` streams, the frames ``compute_features`` gives
on the whole decoded file and ceil(duration * fps); then the peak resident memory of
``python -m model_runtime generate`` with each engine on --generate-minutes of audio, and on a
tenth of it, to show how memory grows with length.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.peak_memory import peak_rss_mb  # noqa: E402
from model_runtime.audio import SAMPLE_RATE, compute_features, features_from_file, load_audio, n_frames_for  # noqa: E402


def write_audio(path: Path, minutes: float, rate: int) -> None:
    total = round(minutes * 60 * rate)
    with soundfile.SoundFile(str(path), "w", rate, 1, subtype="PCM_16") as handle:
        for start in range(0, total, 10 * rate):
            t = (start + np.arange(min(10 * rate, total - start))) / rate
            voice = 0.3 * np.sign(np.sin(2 * np.pi * 140 * t)) * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)) * ((t % 3.0) < 2.0)
            handle.write(voice.astype(np.float32))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=180.0, help="length for the frame counts (default 180)")
    parser.add_argument("--rates", type=float, nargs="+", default=[24.0, 25.0, 30000 / 1001, 30.0, 60.0])
    parser.add_argument("--generate-minutes", type=float, default=120.0, help="length for generate's memory; 0 skips it (default 120)")
    parser.add_argument("--source-rate", type=int, default=48000, help="sample rate of the audio file (default 48000)")
    args = parser.parse_args()
    mismatches = 0
    with tempfile.TemporaryDirectory() as scratch:
        audio = Path(scratch) / "long.wav"
        if args.minutes > 0:
            write_audio(audio, args.minutes, args.source_rate)
            samples = round(args.minutes * 60 * SAMPLE_RATE)
            print(f"{args.minutes:g} min at {args.source_rate} Hz: frames streamed / whole file / ceil(duration * fps)")
            for fps in args.rates:
                started = time.perf_counter()
                streamed = features_from_file(audio, fps, n_mels=1).n_frames
                whole = compute_features(load_audio(audio), fps, n_mels=1).n_frames
                expected = n_frames_for(samples, fps)
                mismatches += streamed != whole or whole != expected
                print(f"  {fps:8.3f} fps  {streamed:9d} {whole:9d} {expected:9d}  {'same' if streamed == whole == expected else 'DIFFERENT'}  ({time.perf_counter() - started:.0f} s)", flush=True)
        if args.generate_minutes > 0:
            print(f"peak resident memory of generate (30 fps), MB: {args.generate_minutes / 10:g} min, {args.generate_minutes:g} min")
            for engine in ("procedural", "learned"):
                peaks = []
                for minutes in (args.generate_minutes / 10, args.generate_minutes):
                    write_audio(audio, minutes, args.source_rate)
                    command = [sys.executable, "-m", "model_runtime", "generate", str(audio), "--engine", engine, "-o", str(Path(scratch) / "out.npz")]
                    peaks.append(peak_rss_mb(command, ROOT))
                print(f"  {engine:10s} {peaks[0]:7.0f} {peaks[1]:7.0f}", flush=True)
    return 1 if mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
