"""Distribution distances, reference sets, and our I-DT against pymovements' on real eye-tracking data."""

from __future__ import annotations

import csv
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from model_runtime.evaluation import distributions
from model_runtime.evaluation.events import idt_fixations, interval_mask
from model_runtime.intervals import runs


def test_ks_and_wasserstein_known_values():
    a = np.array([0.0, 1.0, 2.0, 3.0])
    assert distributions.ks_statistic(a, a) == 0.0
    assert distributions.ks_statistic(a, a + 10.0) == 1.0
    assert distributions.ks_statistic(a, np.array([0.0, 1.0])) == pytest.approx(0.5)
    assert distributions.wasserstein1(a, a + 2.5) == pytest.approx(2.5)
    assert distributions.wasserstein1(np.array([0.0]), np.array([0.0, 2.0])) == pytest.approx(1.0)
    assert math.isnan(distributions.ks_statistic(a, np.zeros(0)))


def test_wasserstein_matches_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    x, y = rng.exponential(5.0, 300), rng.gamma(2.0, 2.0, 170)
    assert distributions.wasserstein1(x, y) == pytest.approx(stats.wasserstein_distance(x, y))
    assert distributions.ks_statistic(x, y) == pytest.approx(stats.ks_2samp(x, y).statistic)


def test_total_variation():
    assert distributions.total_variation([1, 0], [0, 1]) == 1.0
    assert distributions.total_variation([2, 2], [1, 1]) == 0.0


def test_analytic_reference_sets_have_the_published_moments():
    amplitudes = distributions.eyes_alive_amplitudes()
    assert amplitudes.mean() == pytest.approx(6.9, rel=0.01)
    ibis = distributions.garcia_ibis()
    assert ibis.mean() == pytest.approx(5.0, rel=0.03)
    assert ibis.std() == pytest.approx(3.0, rel=0.05)


def test_psyberlab_reference_matches_its_published_statistics(shared: Path):
    distributions.psyberlab.cache_clear()
    speak = distributions.psyberlab("SPEAK", shared)
    listen = distributions.psyberlab("LISTEN", shared)
    if speak["fixation_duration_s"].size == 0:
        pytest.skip("psyberlab data not present")
    # data/gaze/psyberlab_stats.md: 10061 / 12217 fixations; duration medians 199.9 / 222.1 ms;
    # amplitude medians over transitions with a gap 6.05 / 2.66 deg.
    assert speak["fixation_duration_s"].size == 10061
    assert listen["fixation_duration_s"].size == 12217
    assert np.median(speak["fixation_duration_s"]) == pytest.approx(0.1999, abs=1e-3)
    assert np.median(listen["fixation_duration_s"]) == pytest.approx(0.2221, abs=1e-3)
    assert np.median(speak["saccade_amplitude_deg"]) == pytest.approx(6.05, abs=0.01)
    assert np.median(listen["saccade_amplitude_deg"]) == pytest.approx(2.66, abs=0.01)


def _i2mc_positions(path: Path) -> np.ndarray:
    """Binocular mean gaze in degrees of visual angle from the screen centre (I2MC README geometry); NaN where invalid."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))

    def column(name: str) -> np.ndarray:
        return np.array([float(r[name]) if r[name] else np.nan for r in rows])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # mean of two missing eyes is NaN, as wanted
        x = np.nanmean([column("left_x_px"), column("right_x_px")], axis=0)
        y = np.nanmean([column("left_y_px"), column("right_y_px")], axis=0)
    cm_x = (x - 960) * 50.9174 / 1920
    cm_y = (y - 540) * 28.6411 / 1080
    return np.degrees(np.arctan2(np.stack([cm_x, cm_y], axis=1), 65.0))


def _pymovements_labels(positions: np.ndarray, dispersion: float, min_samples: int) -> np.ndarray:
    """pymovements' I-DT run on each stretch without missing data (its own NaN path lets windows span gaps)."""
    idt = pytest.importorskip("pymovements.events.detection").idt
    labels = np.zeros(len(positions), dtype=bool)
    for start, end in runs(~np.isnan(positions[:, 0])):
        if end - start <= min_samples:
            continue
        found = idt(positions[start:end], minimum_duration=min_samples, dispersion_threshold=dispersion).frame
        for onset, offset in zip(found["onset"], found["offset"], strict=True):
            labels[start + onset:start + offset] = True  # its offset is the sample that broke the window
    return labels


@pytest.mark.parametrize("dispersion", [1.0, 1.5])
def test_idt_agrees_with_pymovements_on_real_recordings(shared: Path, dispersion: float):
    files = sorted((shared / "data" / "eyetracking" / "i2mc").glob("participant*_trial*.csv"))
    if not files:
        pytest.skip("I2MC recordings not present")
    agree, total, fixation_samples = 0, 0, 0
    for path in files:
        positions = _i2mc_positions(path)
        # Tobii TX300 at a nominal 300 Hz: 100 ms = 30 samples (pymovements wants whole samples).
        reference = _pymovements_labels(positions, dispersion, 30)
        ours = interval_mask(idt_fixations(positions, 300.0, dispersion, 0.1), len(positions))
        per_file = float(np.mean(ours == reference))
        assert per_file >= 0.99, f"{path.name}: {per_file:.4f}"
        agree += int(np.sum(ours == reference))
        total += len(positions)
        fixation_samples += int(reference.sum())
    assert agree / total >= 0.99
    assert fixation_samples > 0.3 * total  # the comparison is not over empty labels
