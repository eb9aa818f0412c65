"""StyGazeTalk's gaze-pattern metrics: fixation ratio, eye-head compensation score, similarity.

Definitions follow StyGazeTalk (arXiv 2509.17168, Sec. "gaze patterns"); see docs/metrics.md for
where the paper leaves units open and what this module assumes.
"""

from __future__ import annotations

import numpy as np

from model_runtime.clip import MotionClip
from model_runtime.evaluation.events import IDT_DISPERSION_DEG, IDT_MIN_DURATION_S, eye_in_head, idt_fixations, interval_mask

# Gaze-shift speed bands of the compensation score (deg/s), and the frame rate the paper used: the
# -|h| term is head speed in degrees per frame at this rate, so the score does not depend on the clip rate.
COMP_SMALL_DEG_S = 20.0
COMP_LARGE_DEG_S = (25.0, 90.0)
PAPER_FPS = 25.0


def fixation_ratio(clip: MotionClip, dispersion: float = IDT_DISPERSION_DEG, min_duration_s: float = IDT_MIN_DURATION_S) -> float:
    """Share of frames inside I-DT fixations of the cyclopean eye-in-head gaze (0-1).

    Eye-in-head, as the paper's gaze channels are eye angles; NaN for an empty clip.
    """
    if clip.n_frames == 0:
        return float("nan")
    fixations = idt_fixations(eye_in_head(clip), clip.fps, dispersion, min_duration_s)
    return float(interval_mask(fixations, clip.n_frames).mean())


def compensation_score(clip: MotionClip) -> float:
    """Mean over frames of the eye-head compensation score.

    With head velocity h and mean eye velocity e (both (pitch, yaw) in deg/s) and gaze velocity
    g = e + h: score = -|h| (deg per 1/25 s) if |g| < 20; -cos(angle(h, e)) if 25 <= |g| <= 90;
    else 0. Negative during fixations when the head moves, and -1 for a shift where eye and head
    move together, +1 where the eyes counter-rotate.
    """
    if clip.n_frames < 2:
        return float("nan")
    h = np.diff(clip.head[:, :2], axis=0) * clip.fps
    e = (np.diff(clip.left_eye, axis=0) + np.diff(clip.right_eye, axis=0)) / 2.0 * clip.fps
    g = np.linalg.norm(e + h, axis=1)
    h_norm = np.linalg.norm(h, axis=1)
    e_norm = np.linalg.norm(e, axis=1)
    cos = np.sum(h * e, axis=1) / np.maximum(h_norm * e_norm, 1e-12)
    cos = np.where((h_norm > 0) & (e_norm > 0), cos, 0.0)
    score = np.where(g < COMP_SMALL_DEG_S, -h_norm / PAPER_FPS, 0.0)
    large = (g >= COMP_LARGE_DEG_S[0]) & (g <= COMP_LARGE_DEG_S[1])
    score = np.where(large, -cos, score)
    return float(score.mean())


def similarity_score(fix_pred: float, comp_pred: float, fix_ref: float, comp_ref: float) -> float:
    """1 - (|Fix_ref - Fix_pred| + |Comp_ref - Comp_pred|), fixation ratios as fractions (0-1)."""
    return 1.0 - (abs(fix_ref - fix_pred) + abs(comp_ref - comp_pred))

