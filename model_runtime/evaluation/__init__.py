"""Evaluation of generated or captured motion: event detection, the papers' metrics, human statistics.

``evaluate(clip, features, reference=None)`` is the one call: it returns a flat dict of numbers (and
a few lists) whose keys are documented in docs/metrics.md. Undefined values (no blinks, no long
utterances ...) are NaN. Keys starting ``rt_`` are the real-talker figures
(:mod:`model_runtime.evaluation.real_talkers`, measured as REFERENCES.md's real talking-head
clips). ``HUMAN_RANGES`` holds the human reference ranges for many of those keys.
Nothing here imports matplotlib; :mod:`model_runtime.evaluation.report` does, when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from model_runtime.audio.types import SpeechFeatures
from model_runtime.clip import MotionClip
from model_runtime.evaluation import gaze_metrics, literature, motion_metrics
from model_runtime.evaluation.analysis import Analysis, EvalConfig, analyze
from model_runtime.evaluation.distributions import distribution_distances
from model_runtime.evaluation.events import angular_speed, interval_mask
from model_runtime.evaluation.real_talkers import real_talker_figures
from model_runtime.evaluation.reference_ranges import HUMAN_RANGES, RANGE_CONFIDENCE, out_of_range
from model_runtime.evaluation.style_metrics import shipped_style_error, style_error

if TYPE_CHECKING:
    from model_runtime.learned.models import LoadedModel

# Numbers, a few lists (per-axis, per-bin) and, rarely, a note that explains an undefined value.
Metrics = dict[str, float | list[float] | str]

__all__ = ["HUMAN_RANGES", "RANGE_CONFIDENCE", "Analysis", "EvalConfig", "Metrics", "analyze", "evaluate", "out_of_range"]

# Gaze shifts below this are "small" (eye-only range, Freedman & Sparks 1997), from this one "large".
SMALL_SHIFT_DEG = 15.0
LARGE_SHIFT_MIN_DEG = 25.0


def _median(values: NDArray[np.float64]) -> float:
    return float(np.median(values)) if len(values) else float("nan")


def _mean(values: NDArray[np.float64]) -> float:
    return float(np.mean(values)) if len(values) else float("nan")


def gaze_statistics(a: Analysis) -> Metrics:
    clip = a.clip
    amplitudes = np.array([s.amplitude_deg for s in a.saccades])
    fix_durations = np.array([(e - s) / clip.fps for s, e in a.fixations_world])
    on, off = literature.dwell_durations(a.mutual, clip.fps)
    directions = literature.direction_histogram(a.saccades)
    return {
        "fixation_ratio": gaze_metrics.fixation_ratio(clip),
        "fixation_ratio_world": float(interval_mask(a.fixations_world, clip.n_frames).mean()) if clip.n_frames else float("nan"),
        "comp_score": gaze_metrics.compensation_score(clip),
        "saccade_rate_hz": len(a.saccades) / clip.duration if clip.duration > 0 else float("nan"),
        "saccade_amplitude_median_deg": _median(amplitudes),
        "saccade_amplitude_mean_deg": _mean(amplitudes),
        "saccade_direction_shares": directions,
        "fixation_duration_median_s": _median(fix_durations),
        "mutual_gaze_share": float(a.mutual.mean()) if clip.n_frames else float("nan"),
        "mutual_gaze_share_speech": literature.share(a.mutual, a.speech),
        "mutual_gaze_share_pause": literature.share(a.mutual, ~a.speech),
        "mutual_dwell_mean_s": _mean(on),
        "away_dwell_mean_s": _mean(off),
        "aversion_at_utterance_start_share": literature.aversion_at_utterance_starts(a.mutual, clip.fps, a.utterances),
        "look_at_listener_at_utterance_end_share": literature.look_at_listener_at_utterance_ends(a.mutual, clip.fps, a.utterances),
        "head_share_small_median": _median(a.head_shares[a.shift_amplitudes < SMALL_SHIFT_DEG]),
        "head_share_large_median": _median(a.head_shares[a.shift_amplitudes >= LARGE_SHIFT_MIN_DEG]),
        **distribution_distances(amplitudes, fix_durations, literature.inter_blink_intervals(a.blinks), directions),
    }


def vor_gain(a: Analysis, saccade_velocity_deg_s: float) -> float:
    clip = a.clip
    if clip.n_frames < 2:
        return float("nan")
    steady = angular_speed(a.world_dirs, clip.fps) < saccade_velocity_deg_s
    eye_v = np.diff(a.eye, axis=0) * clip.fps
    head_v = np.diff(clip.head[:, :2], axis=0) * clip.fps
    return literature.vor_gain(eye_v, head_v, steady)


def blink_statistics(a: Analysis, speech: NDArray[np.bool_]) -> Metrics:
    clip = a.clip
    ibis = literature.inter_blink_intervals(a.blinks)
    closing = np.array([b.closing_s for b in a.blinks])
    opening = np.array([b.opening_s for b in a.blinks])
    near, chance = literature.blinks_near_pauses(a.blinks, speech, clip.fps)
    open_median = _median(opening)
    return {
        "blink_rate_per_min": len(a.blinks) / clip.duration * 60.0 if clip.duration > 0 else float("nan"),
        "blink_ibi_mean_s": _mean(ibis),
        "blink_ibi_sd_s": float(np.std(ibis)) if len(ibis) else float("nan"),
        "blink_ibi_skewness": literature.skewness(ibis),
        "blink_close_open_ratio": _median(closing) / open_median if open_median > 0 else float("nan"),
        "blink_partial_share": _mean(np.array([b.partial for b in a.blinks], dtype=float)),
        "blink_duration_median_s": _median(np.array([b.end_s - b.onset_s for b in a.blinks])),
        "blinks_near_pause_share": near,
        "blinks_near_pause_chance": chance,
        "blinks_with_large_shift_share": literature.blinks_with_large_shifts(a.saccades, a.blinks, clip.fps),
    }


def head_statistics(a: Analysis, features: SpeechFeatures, config: EvalConfig) -> Metrics:
    clip = a.clip
    std = clip.head.std(axis=0) if clip.n_frames else np.full(3, np.nan)
    speed = motion_metrics.head_speed(clip)
    rms_r, rms_lag = literature.lagged_correlation(speed, features.rms, clip.fps)
    f0_r, f0_lag = literature.lagged_correlation(speed, literature.f0_semitones(features.f0_hz), clip.fps)
    beats = motion_metrics.motion_beats(speed, clip.fps)
    bas, chance = motion_metrics.bas_with_chance(beats, a.onsets, clip.duration, n_shifts=config.bas_shifts, seed=config.seed)
    return {
        "head_std_deg": [float(v) for v in std],
        "head_std_pitch_deg": float(std[0]),
        "head_std_yaw_deg": float(std[1]),
        "head_std_roll_deg": float(std[2]),
        "head_rms_xcorr": rms_r,
        "head_rms_lag_s": rms_lag,
        "head_f0_xcorr": f0_r,
        "head_f0_lag_s": f0_lag,
        "bas": bas,
        "bas_chance": chance,
        "vor_gain": vor_gain(a, config.saccade_velocity_deg_s),
        "l1div": motion_metrics.l1div(clip),
    }


def reference_metrics(clip: MotionClip, reference: MotionClip, fix_pred: float, comp_pred: float) -> Metrics:
    """Paired metrics against a reference take (resampled to the clip's rate, cut to the shorter)."""
    pred, ref = motion_metrics.align(clip, reference)
    angles, head, eyes = slice(0, 7), slice(0, 3), slice(3, 7)
    ref_clip = reference.resample(clip.fps)
    fix_ref, comp_ref = gaze_metrics.fixation_ratio(ref_clip), gaze_metrics.compensation_score(ref_clip)
    return {
        "sim_score": gaze_metrics.similarity_score(fix_pred, comp_pred, fix_ref, comp_ref),
        "reference_fixation_ratio": fix_ref,
        "reference_comp_score": comp_ref,
        "mae_deg": motion_metrics.mae_deg(pred[:, angles], ref[:, angles]),
        "mae_head_deg": motion_metrics.mae_deg(pred[:, head], ref[:, head]),
        "mae_eye_deg": motion_metrics.mae_deg(pred[:, eyes], ref[:, eyes]),
        "vel_error": motion_metrics.velocity_error(pred[:, angles], ref[:, angles], clip.fps),
        "mee": motion_metrics.motion_energy_error(pred[:, angles], ref[:, angles], clip.fps),
    }


def style_metrics(clip: MotionClip, reference: MotionClip, encoder: LoadedModel | None) -> Metrics:
    """``style_error`` (and ``style_error_note`` when it is undefined or a fallback was used)."""
    result = style_error(clip, reference, encoder) if encoder is not None else shipped_style_error(clip, reference)
    out: Metrics = {"style_error": result.value}
    if result.note:
        out["style_error_note"] = result.note
    return out


def evaluate(
    clip: MotionClip, features: SpeechFeatures, reference: MotionClip | None = None, config: EvalConfig | None = None, *, style_encoder: LoadedModel | None = None,
) -> Metrics:
    """Every metric of one clip against its speech (and a reference take, when given).

    ``features`` must be computed at the clip's frame rate (``compute_features(signal, clip.fps)``).
    ``style_encoder``: the network for ``style_error`` (with a reference); default the shipped one.
    """
    cfg = config or EvalConfig()
    a = analyze(clip, features, cfg)
    out: Metrics = {"frames": float(clip.n_frames), "fps": clip.fps, "duration_s": clip.duration}
    out.update(gaze_statistics(a))
    out.update(blink_statistics(a, a.speech))
    out.update(head_statistics(a, features, cfg))
    out.update({f"rt_{key}": value for key, value in real_talker_figures(clip, features).items()})
    if reference is not None:
        fix, comp = out["fixation_ratio"], out["comp_score"]
        assert isinstance(fix, float) and isinstance(comp, float)
        out.update(reference_metrics(clip, reference, fix, comp))
        out.update(style_metrics(clip, reference, style_encoder))
    return out
