"""Distances between a clip's distributions and human reference distributions.

Reference sets (see docs/metrics.md):

* the real conversational fixation data ``data/gaze/psyberlab`` in the shared data folder
  ("Eye Gaze During Conversation", Dembinsky, Watanabe, Dengel & Ishimaru, ETRA 2024,
  https://github.com/psyberlab/eye-gaze-during-conversation-dataset, Apache-2.0; converted to CSV,
  see that folder's README and LICENSE-NOTICE): saccade amplitudes and fixation durations while
  speaking and while listening; read in place, never copied;
* analytic literature distributions: saccade amplitude exponential with mean 6.9 deg (Lee, Badler &
  Badler 2002, "Eyes Alive"), saccade directions in 8 bins (Eyes Alive), inter-blink intervals with
  mean 5 s and sd 3 s (Garcia et al. 2011; a gamma distribution with those moments).
"""

from __future__ import annotations

import csv
import functools
import os
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

# Eyes Alive, conversation: share (%) of saccades per direction bin, in DIRECTION_BINS order.
EYES_ALIVE_DIRECTIONS: tuple[float, ...] = (15.7, 6.3, 17.6, 7.5, 16.9, 7.8, 20.4, 7.8)
EYES_ALIVE_AMPLITUDE_MEAN_DEG = 6.9
IBI_MEAN_S, IBI_SD_S = 5.0, 3.0
_QUANTILES = (np.arange(1000) + 0.5) / 1000


def ks_statistic(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the two empirical CDFs (0-1)."""
    x, y = np.sort(np.asarray(a, dtype=np.float64)), np.sort(np.asarray(b, dtype=np.float64))
    if x.size == 0 or y.size == 0:
        return float("nan")
    grid = np.concatenate([x, y])
    cdf_x = np.searchsorted(x, grid, side="right") / x.size
    cdf_y = np.searchsorted(y, grid, side="right") / y.size
    return float(np.max(np.abs(cdf_x - cdf_y)))


def wasserstein1(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    """First Wasserstein (earth mover's) distance between two samples, in their unit: the area between the CDFs."""
    x, y = np.sort(np.asarray(a, dtype=np.float64)), np.sort(np.asarray(b, dtype=np.float64))
    if x.size == 0 or y.size == 0:
        return float("nan")
    grid = np.sort(np.concatenate([x, y]))
    cdf_x = np.searchsorted(x, grid[:-1], side="right") / x.size
    cdf_y = np.searchsorted(y, grid[:-1], side="right") / y.size
    return float(np.sum(np.abs(cdf_x - cdf_y) * np.diff(grid)))


def total_variation(p: list[float] | tuple[float, ...], q: list[float] | tuple[float, ...]) -> float:
    """Half the L1 distance between two histograms, each normalised to sum 1 (0 same, 1 disjoint)."""
    pa, qa = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    if pa.sum() <= 0 or qa.sum() <= 0:
        return float("nan")
    return float(0.5 * np.sum(np.abs(pa / pa.sum() - qa / qa.sum())))


def shared_dir() -> Path | None:
    """The shared data folder: ``$GAZE_SHARED``, else ``../shared`` beside the repository; None if absent."""
    env = os.environ.get("GAZE_SHARED")
    candidate = Path(env) if env else Path(__file__).resolve().parents[3] / "shared"
    return candidate if candidate.is_dir() else None


@functools.lru_cache(maxsize=4)
def psyberlab(label: str, root: Path | None = None) -> dict[str, NDArray[np.float64]]:
    """Saccade amplitudes (deg) and fixation durations (s) of one role ("SPEAK" or "LISTEN"), pooled over participants.

    Amplitudes are taken only where the next fixation starts after a gap (``pause_after_ms`` > 0):
    back-to-back fixations are mostly one fixation split by the 30 px window (see the dataset's
    stats notes). Empty arrays when the data is not available.
    """
    base = (root or shared_dir() or Path("/nonexistent")) / "data" / "gaze" / "psyberlab"
    amplitudes: list[float] = []
    durations: list[float] = []
    for path in sorted(base.glob("participant_*.csv")):
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                if row["label"] != label:
                    continue
                durations.append(float(row["duration_ms"]) / 1000.0)
                if row["saccade_amplitude_deg"] and row["pause_after_ms"] and float(row["pause_after_ms"]) > 0:
                    amplitudes.append(float(row["saccade_amplitude_deg"]))
    return {"saccade_amplitude_deg": np.array(amplitudes), "fixation_duration_s": np.array(durations)}


def eyes_alive_amplitudes() -> NDArray[np.float64]:
    """1000 quantiles of the Eyes Alive saccade amplitude distribution, exponential with mean 6.9 deg."""
    out: NDArray[np.float64] = -EYES_ALIVE_AMPLITUDE_MEAN_DEG * np.log1p(-_QUANTILES)
    return out


def garcia_ibis() -> NDArray[np.float64]:
    """A fixed sample (5000) of inter-blink intervals (s): gamma with mean 5 s and sd 3 s (Garcia et al. 2011)."""
    shape = (IBI_MEAN_S / IBI_SD_S) ** 2
    out: NDArray[np.float64] = np.random.default_rng(0).gamma(shape, IBI_SD_S**2 / IBI_MEAN_S, size=5000)
    return out


def distribution_distances(
    amplitudes: NDArray[np.float64], fixation_durations: NDArray[np.float64], ibis: NDArray[np.float64], directions: list[float],
) -> dict[str, float]:
    """KS and Wasserstein-1 distances of a clip's distributions to every reference set that is available."""
    out: dict[str, float] = {}
    pairs: list[tuple[str, NDArray[np.float64], NDArray[np.float64]]] = [
        ("saccade_amplitude_eyes_alive", amplitudes, eyes_alive_amplitudes()),
        ("blink_ibi_garcia", ibis, garcia_ibis()),
    ]
    for label in ("SPEAK", "LISTEN"):
        ref = psyberlab(label)
        if ref["saccade_amplitude_deg"].size:
            pairs.append((f"saccade_amplitude_psyberlab_{label.lower()}", amplitudes, ref["saccade_amplitude_deg"]))
            pairs.append((f"fixation_duration_psyberlab_{label.lower()}", fixation_durations, ref["fixation_duration_s"]))
    for name, ours, ref_values in pairs:
        out[f"ks_{name}"] = ks_statistic(ours, ref_values)
        out[f"w1_{name}"] = wasserstein1(ours, ref_values)
    out["tv_saccade_direction_eyes_alive"] = total_variation(directions, EYES_ALIVE_DIRECTIONS)
    return out
