"""The procedural engine: speech features + style -> a motion clip of head, eyes and blinks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
from numpy.typing import NDArray

from model_runtime.audio.types import SpeechFeatures
from model_runtime.clip import MotionClip
from model_runtime.conventions import (
    CHANNELS,
    EYE_LIMIT_DEG,
    HEAD_LIMIT_DEG,
    angles_from_direction,
    direction_from_angles,
    head_matrix,
)
from model_runtime.performer.blinks import sample_blinks
from model_runtime.performer.gaze import plan_gaze
from model_runtime.performer.head import facing, follow_basis, prosody_head, shift_activity
from model_runtime.performer.style import PerformerStyle

# Distance between the centres of the two eyes (m), an adult average.
EYE_SEPARATION_M: Final[float] = 0.063
# Nearest vergence target (m): closer than this the eyes would cross unnaturally.
_MIN_TARGET_DISTANCE_M: Final[float] = 0.15
_BLOCK_FRAMES: Final[int] = 65536


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
    streams = np.random.SeedSequence([int(seed) & 0xFFFFFFFF, int(seed) >> 32 & 0xFFFFFFFF]).spawn(3)
    gaze_rng, head_rng, blink_rng = (np.random.default_rng(s) for s in streams)
    report = progress or (lambda fraction: None)

    plan = plan_gaze(features, fps, style, gaze_rng, gaze_scale=max(0.0, gaze_intensity))
    report(0.4)
    look_at = np.array(look_at_deg, dtype=np.float64)
    head_share = min(2.0, max(0.0, head_intensity))
    follow = style.head_mover * follow_basis(plan.spot, plan.gaze, fps)
    head = prosody_head(features, fps, style, head_rng, busy=shift_activity(plan.spot, fps)) * head_share
    head[:, :2] += (facing(look_at) + follow) * min(1.0, head_share)
    head = np.clip(head, -HEAD_LIMIT_DEG, HEAD_LIMIT_DEG)
    report(0.7)

    world_gaze = look_at + plan.gaze
    left_eye, right_eye = eyes_on_target(head, world_gaze, max(_MIN_TARGET_DISTANCE_M, look_at_distance_m))
    blinks = sample_blinks(features, fps, style, blink_rng, gaze_shifts=plan.shifts, rate_per_min=blink_rate_per_min)
    report(1.0)
    data = np.column_stack([head, left_eye, right_eye, blinks]) if n else np.zeros((0, len(CHANNELS)))
    return MotionClip(fps=fps, data=np.nan_to_num(data), meta={"made_by": "performer", "engine": "procedural", "seed": str(seed)})


def eyes_on_target(head: NDArray[np.float64], world_gaze: NDArray[np.float64], distance_m: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Eye-in-head (pitch, yaw) of each eye, (frames, 2) each, fixating a point ``distance_m`` away.

    The point lies along ``world_gaze`` (pitch, yaw in the character frame) from between the eyes.
    Turning it into the head frame is the vestibulo-ocular reflex: whatever the head does, the
    eyes counter-rotate to stay on the point. Each eye aims from its own centre, so the eyes
    converge (vergence) instead of sharing one offset.
    """
    left, right = np.empty((len(head), 2)), np.empty((len(head), 2))
    # Per-frame maths in blocks, so the (frames, 3, 3) rotations stay small however long the take.
    for start in range(0, len(head), _BLOCK_FRAMES):
        block = slice(start, start + _BLOCK_FRAMES)
        left[block], right[block] = _aim(head[block], world_gaze[block], distance_m)
    return left, right


def _aim(head: NDArray[np.float64], world_gaze: NDArray[np.float64], distance_m: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """:func:`eyes_on_target` for one block of frames."""
    point = distance_m * direction_from_angles(world_gaze[:, 0], world_gaze[:, 1])
    rotation = head_matrix(head[:, 0], head[:, 1], head[:, 2])
    in_head = np.einsum("nji,nj->ni", rotation, point)  # R^T p
    half = np.array([EYE_SEPARATION_M / 2.0, 0.0, 0.0])  # the left eye sits towards LEFT (+x)
    eyes = []
    for centre in (half, -half):
        pitch, yaw = angles_from_direction(in_head - centre)
        eyes.append(np.clip(np.column_stack([pitch, yaw]), -EYE_LIMIT_DEG, EYE_LIMIT_DEG))
    return eyes[0], eyes[1]
