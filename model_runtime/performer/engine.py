"""The procedural engine: speech features + style -> a motion clip of head, eyes and blinks.

It plans the gaze and the head; the finishing stage both engines share (:mod:`model_runtime.finishing`)
turns them into eyes held on target, fixational movements, blinks and lids.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from model_runtime.audio.types import SpeechFeatures
from model_runtime.clip import MotionClip
from model_runtime.conventions import CHANNELS
from model_runtime.finishing import EYE_SEPARATION_M, Finish, eyes_on_target, finish
from model_runtime.performer.gaze import plan_gaze
from model_runtime.performer.head import facing, follow_basis, prosody_head, shift_activity
from model_runtime.performer.style import PerformerStyle

__all__ = ["EYE_SEPARATION_M", "eyes_on_target", "perform"]


def perform(
    features: SpeechFeatures,
    style: PerformerStyle,
    seed: int,
    *,
    head_intensity: float = 1.0,
    gaze_intensity: float = 1.0,
    blink_rate_per_min: float | None = None,
    look_at_deg: tuple[float, float] = (0.0, 0.0),
    look_at_distance_m: float = 1.0,
    progress: Callable[[float], None] | None = None,
) -> MotionClip:
    """Generate a clip at ``features.fps``; the style is clamped into range, angles into human limits."""
    style = style.clamped()
    fps = features.fps
    n = features.n_frames
    # One independent stream per part, so e.g. a blink-rate change leaves gaze and head as they were.
    streams = np.random.SeedSequence([int(seed) & 0xFFFFFFFF, int(seed) >> 32 & 0xFFFFFFFF]).spawn(4)
    gaze_rng, head_rng, blink_rng, fixation_rng = (np.random.default_rng(s) for s in streams)
    lid_rng = np.random.default_rng(streams[2].spawn(1)[0])
    report = progress or (lambda fraction: None)

    plan = plan_gaze(features, fps, style, gaze_rng, gaze_scale=max(0.0, gaze_intensity))
    report(0.4)
    look_at = np.array(look_at_deg, dtype=np.float64)
    head_share = min(2.0, max(0.0, head_intensity))
    follow = style.head_mover * follow_basis(plan.spot, plan.gaze, fps)
    head = prosody_head(features, fps, style, head_rng, busy=shift_activity(plan.spot, fps)) * head_share
    head[:, :2] += (facing(look_at) + follow) * min(1.0, head_share)
    report(0.7)

    how = Finish(blink_style=style, gaze_shifts=plan.shifts, blink_rate_per_min=blink_rate_per_min, look_at_distance_m=look_at_distance_m,
                 fixational_scale=gaze_intensity)
    data = finish(head, look_at + plan.gaze, features, fps, how=how, rngs=(blink_rng, lid_rng, fixation_rng)) if n else np.zeros((0, len(CHANNELS)))
    report(1.0)
    return MotionClip(fps=fps, data=np.nan_to_num(data), meta={"made_by": "performer", "engine": "procedural", "seed": str(seed)})
