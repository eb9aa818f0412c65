"""Human reference ranges for the statistics :func:`model_runtime.evaluation.evaluate` returns.

Each entry maps an ``evaluate`` key to a (low, high) range that human behaviour falls in, from
../shared/REFERENCES.md. ``RANGE_CONFIDENCE`` says how hard each range is: "A" = read in a primary
source (use for hard checks), "B" = secondary source or our reading of it, "C" = plausibility
bound only. Several ranges widen a single published value into a band; the comment says how.
"""

from __future__ import annotations

import math
from typing import Final

HUMAN_RANGES: Final[dict[str, tuple[float, float]]] = {
    # Bentivoglio et al. 1997 (26/min in conversation); Doughty 2001 95% range in conversation 10.5-32.5;
    # real talkers on video (REFERENCES.md "Real talkers") 33/min, presenters 37; TalkingEyes 40.1.
    "blink_rate_per_min": (10.5, 40.0),
    # Garcia et al. 2011: inter-blink intervals strongly right-skewed (mean ~5 s, sd ~3 s; a gamma with
    # those moments has skewness 1.2). Band: clearly right-skewed, not a single outlier.
    "blink_ibi_skewness": (0.3, 4.0),
    # Sforza et al. 2008: closing 40-47% faster than opening -> closing/opening duration about 0.68-0.71;
    # Stern 1984: ~100 ms closing, 100-200 ms reopening -> 0.5-1.0. Band covers both.
    "blink_close_open_ratio": (0.4, 0.95),
    # Ousler 2014: about half of spontaneous blinks are partial.
    "blink_partial_share": (0.2, 0.8),
    # Evinger et al. 1994: 97% of gaze shifts over 33 deg carry a blink.
    "blinks_with_large_shift_share": (0.8, 1.0),
    # Argyle & Cook 1976: ~41% gaze at partner while speaking; Rogers et al. 2018: ~60% face-directed;
    # real presenters addressing a camera are within 5 deg of it 83% of the time (REFERENCES.md "Real talkers").
    "mutual_gaze_share_speech": (0.3, 0.95),
    # Argyle & Cook 1976: ~75% while listening (our "pause" frames are the closest we have to listening).
    "mutual_gaze_share_pause": (0.4, 0.95),
    # Kendon 1967 (via Beattie 1978): more than 70% of long utterances begin with the speaker looking away.
    "aversion_at_utterance_start_share": (0.7, 1.0),
    # Same source: more than 70% of long utterances end with the speaker looking at the listener.
    "look_at_listener_at_utterance_end_share": (0.7, 1.0),
    # Eyes Alive (talking): mutual gaze dwells ~3.1 s; Rogers et al. 2018: face bouts ~2.2 s; listening 7.9 s.
    "mutual_dwell_mean_s": (1.0, 8.0),
    # Eyes Alive: looking away ~0.9 s while talking, ~0.4 s while listening; Andrist: aversions ~1.0-1.2 s.
    "away_dwell_mean_s": (0.3, 2.0),
    # Malinov et al. 2000 (53% under 5 deg -> median ~5 deg); Eyes Alive exponential mean 6.9 (median 4.8);
    # psyberlab speaking median 2.4 deg (6.0 deg without back-to-back fixation splits).
    "saccade_amplitude_median_deg": (2.0, 8.0),
    # psyberlab: 3.3-3.8 fixations per second (90 Hz tracker); Eyes Alive dwell times imply fewer
    # large shifts. Frame-rate animation resolves fewer small saccades, hence the wide low end.
    "saccade_rate_hz": (0.5, 4.0),
    # StyGazeTalk Table IV: 61.13% fixation frames in the HAGE ground truth (I-DT, 25 fps); psyberlab
    # 89% time in fixation at 90 Hz. Band spans both. The ratio is of eye-in-head fixations: eyes that
    # hold the gaze while the head turns at real talkers' speed (median 14 deg/s, eye-in-head on head
    # slope -0.9 to -1.15; REFERENCES.md "Real talkers") move over 1 deg per 100 ms much of the time,
    # so the low end allows 0.35.
    "fixation_ratio": (0.35, 0.9),
    # StyGazeTalk Table IV: ground truth -0.3366; published models -0.20 to -0.31. The score is -|h|
    # while the gaze holds, so real talkers' head speed (above) with full counter-rotation reaches -0.7.
    "comp_score": (-0.75, -0.15),
    # Eye-movement textbooks: fixations typically 200-300 ms (100-500); psyberlab medians 0.20 / 0.22 s.
    "fixation_duration_median_s": (0.1, 0.5),
    # VOR literature: gain about 1 during head motion.
    "vor_gain": (0.7, 1.1),
    # Freedman & Sparks 1997: shifts under ~15-20 deg need little head.
    "head_share_small_median": (0.0, 0.3),
    # Freedman & Sparks 1997: head share grows with amplitude, eye-in-head saturates near 35 deg.
    "head_share_large_median": (0.2, 0.9),
    # Fotedar & Ghosh 2017: head lags prosody by about 30 ms; but real talkers on video move ahead of
    # the voice (head speed best matches loudness at -0.28 s for presenters, -0.24 s for all 31,
    # +0.20 s for interviewees; REFERENCES.md "Real talkers"). Band spans them.
    "head_rms_lag_s": (-0.35, 0.25),
    # No trustworthy per-axis figure: "a few degrees per axis" in talking-head video.
    "head_std_pitch_deg": (1.0, 10.0),
    "head_std_yaw_deg": (1.0, 10.0),
    "head_std_roll_deg": (0.5, 8.0),
}

RANGE_CONFIDENCE: Final[dict[str, str]] = {
    "blink_rate_per_min": "A",
    "blink_ibi_skewness": "A",
    "blink_close_open_ratio": "A",
    "blink_partial_share": "A",
    "blinks_with_large_shift_share": "A",
    "mutual_gaze_share_speech": "B",
    "mutual_gaze_share_pause": "B",
    "aversion_at_utterance_start_share": "A",
    "look_at_listener_at_utterance_end_share": "A",
    "mutual_dwell_mean_s": "B",
    "away_dwell_mean_s": "B",
    "saccade_amplitude_median_deg": "B",
    "saccade_rate_hz": "C",
    "fixation_ratio": "B",
    "comp_score": "B",
    "fixation_duration_median_s": "C",
    "vor_gain": "A",
    "head_share_small_median": "C",
    "head_share_large_median": "C",
    "head_rms_lag_s": "B",
    "head_std_pitch_deg": "C",
    "head_std_yaw_deg": "C",
    "head_std_roll_deg": "C",
}


def out_of_range(metrics: dict[str, object]) -> dict[str, tuple[float, tuple[float, float]]]:
    """The metrics that have a human range and fall outside it: key -> (value, range). Missing or NaN values are skipped."""
    out: dict[str, tuple[float, tuple[float, float]]] = {}
    for key, (low, high) in HUMAN_RANGES.items():
        value = metrics.get(key)
        if isinstance(value, (int, float)) and not math.isnan(value) and not low <= value <= high:
            out[key] = (float(value), (low, high))
    return out
