"""Parsers for command-line numbers: each refuses what no run can use, naming what was expected.

argparse prints the refusal as one ``error: argument --fps: ...`` line after the usage.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from model_runtime.conventions import MAX_FPS, MIN_FPS
from model_runtime.limits import MAX_N_MELS


def _number(text: str) -> float:
    try:
        if "_" in text:  # float() reads "1_000"; no file format does
            raise ValueError
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def frame_rate(text: str) -> float:
    """Frames per second, within the product's rates."""
    value = _number(text)
    if not MIN_FPS <= value <= MAX_FPS:
        raise argparse.ArgumentTypeError(f"expected a frame rate of {MIN_FPS:g} to {MAX_FPS:g} fps, got {text}")
    return value


def bounded(low: float, high: float, *, open_low: bool = False) -> Callable[[str], float]:
    """A finite number in [low, high] (or (low, high] with ``open_low``)."""

    def parse(text: str) -> float:
        value = _number(text)
        if value > high or value < low or (open_low and value == low):
            raise argparse.ArgumentTypeError(f"expected a number {'above' if open_low else 'from'} {low:g} {'up ' if open_low else ''}to {high:g}, got {text}")
        return value

    return parse


def whole(low: int, high: int) -> Callable[[str], int]:
    """A whole number in [low, high]."""

    def parse(text: str) -> int:
        try:
            if "_" in text or len(text) > 20:
                raise ValueError
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text[:40]!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low} to {high}, got {text}")
        return value

    return parse


mel_bands = whole(1, MAX_N_MELS)
seed = whole(0, 2**32 - 1)
