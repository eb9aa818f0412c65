"""Dataset mode: evaluate every clip of a folder against the audio with the same file stem."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model_runtime.errors import GazeError
from model_runtime.evaluation import Metrics

TAKE_SUFFIXES = (".npz", ".npy", ".csv")
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif")


@dataclass(frozen=True)
class Pairing:
    """Clips matched to audio (and optionally reference takes) by file stem."""

    pairs: list[tuple[Path, Path, Path | None]]  # (take, audio, reference or None)
    unpaired: list[Path]  # takes without audio


def _by_stem(folder: Path, suffixes: tuple[str, ...]) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() in suffixes:
            if path.stem in out:
                raise GazeError(f"{folder}: two files share the stem {path.stem!r} ({out[path.stem].name}, {path.name}); pairing by stem needs one")
            out[path.stem] = path
    return out


def pair_files(takes: Path, audio: Path, references: Path | None = None) -> Pairing:
    """Pair every take in ``takes`` with the audio file of the same stem in ``audio``."""
    for folder in (takes, audio, references):
        if folder is not None and not folder.is_dir():
            raise GazeError(f"{folder}: expected a folder (dataset mode pairs the files of folders by name)")
    clip_files = _by_stem(takes, TAKE_SUFFIXES)
    audio_files = _by_stem(audio, AUDIO_SUFFIXES)
    reference_files = _by_stem(references, TAKE_SUFFIXES) if references else {}
    pairs = [(path, audio_files[stem], reference_files.get(stem)) for stem, path in clip_files.items() if stem in audio_files]
    unpaired = [path for stem, path in clip_files.items() if stem not in audio_files]
    if not pairs:
        raise GazeError(f"{takes}: no take (.npz, .npy, .csv) has an audio file of the same name in {audio}")
    return Pairing(pairs, unpaired)


def scalar_columns(rows: list[Metrics]) -> list[str]:
    """Keys whose values are numbers in every row, in first-seen order."""
    keys: list[str] = []
    for row in rows:
        keys += [k for k, v in row.items() if isinstance(v, float) and k not in keys]
    return keys


def summarize(rows: list[Metrics]) -> dict[str, dict[str, float]]:
    """Per metric over clips: n (clips with a value), mean, sd, median, min, max; NaN values are left out."""
    out: dict[str, dict[str, float]] = {}
    for key in scalar_columns(rows):
        values = np.array([v for row in rows if isinstance(v := row.get(key), float) and not math.isnan(v)])
        if values.size == 0:
            out[key] = {"n": 0.0, "mean": math.nan, "sd": math.nan, "median": math.nan, "min": math.nan, "max": math.nan}
            continue
        out[key] = {
            "n": float(values.size), "mean": float(values.mean()), "sd": float(values.std()),
            "median": float(np.median(values)), "min": float(values.min()), "max": float(values.max()),
        }
    return out


def write_csv(path: Path, names: list[str], rows: list[Metrics]) -> None:
    """One row per clip, scalar metrics as columns (empty cell = undefined)."""
    columns = scalar_columns(rows)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["clip", *columns])
        for name, row in zip(names, rows, strict=True):
            cells = [row.get(k) for k in columns]
            writer.writerow([name, *("" if not isinstance(c, float) or math.isnan(c) else f"{c:.6g}" for c in cells)])


def print_table(names: list[str], rows: list[Metrics], columns: list[str], out: Callable[[str], None] = print) -> None:
    """A fixed-width table of the chosen columns, one line per clip, then mean and median."""
    width = max([len(n) for n in names] + [6])
    heads = [c[:14] for c in columns]
    out(f"{'clip':<{width}}  " + "  ".join(f"{h:>14}" for h in heads))

    def cell(value: object) -> str:
        return f"{value:>14.4g}" if isinstance(value, float) and not math.isnan(value) else f"{'-':>14}"

    for name, row in zip(names, rows, strict=True):
        out(f"{name:<{width}}  " + "  ".join(cell(row.get(c)) for c in columns))
    summary = summarize(rows)
    for stat in ("mean", "median"):
        out(f"{stat:<{width}}  " + "  ".join(cell(summary.get(c, {}).get(stat)) for c in columns))
