"""The finishing stage both engines end in: from a head and a world gaze to the clip's nine channels.

An engine decides where the head is and where the eyes look in the world (the performer plans it,
the learned engine draws it); this stage does the rest the same way for both:

* the head's speed bound (:func:`~model_runtime.performer.head.limit_speed`, within the joint limits);
* fixational eye movements around the planned gaze (:func:`~model_runtime.performer.gaze.fixational_movements`),
  where the engine asks for them (the learned engine's own draws already hold what it learned);
* eye-head coordination: each eye aimed at the fixated point through the inverse head rotation
  (:func:`eyes_on_target`: vestibulo-ocular counter-rotation with gain 1, and vergence), so only gaze
  shifts move the world gaze;
* blinks (:func:`~model_runtime.performer.blinks.sample_blinks`, pulled onto large gaze shifts and
  speech pauses) and the lids' resting closure (:func:`~model_runtime.performer.blinks.lid_rest`),
  both lids open at the clip's end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from model_runtime.audio.types import SpeechFeatures
from model_runtime.conventions import CHANNELS, EYE_LIMIT_DEG, HEAD_LIMIT_DEG, angles_from_direction, direction_from_angles, head_matrix
from model_runtime.performer.blinks import lid_rest, sample_blinks
from model_runtime.performer.gaze import fixational_movements
from model_runtime.performer.head import limit_speed
from model_runtime.performer.style import PerformerStyle

# Distance between the centres of the two eyes (m), an adult average.
EYE_SEPARATION_M: Final[float] = 0.063
# Nearest vergence target (m): closer than this the eyes would cross unnaturally.
MIN_TARGET_DISTANCE_M: Final[float] = 0.15
_BLOCK_FRAMES: Final[int] = 65536


@dataclass(frozen=True)
class Finish:
    """What the finishing stage needs besides the motion: the style whose blinks it draws, the
    animator's blink rate and fixation distance, the gaze shifts blinks go with ((k, 2) time s,
    amplitude deg), whether the blink rate is a take's own (``exact_count``), and the scale of the
    fixational movements (None: none are added)."""

    blink_style: PerformerStyle
    gaze_shifts: NDArray[np.float64]
    blink_rate_per_min: float | None = None
    look_at_distance_m: float = 1.0
    exact_count: bool = False
    fixational_scale: float | None = 1.0


def finish(
    head: NDArray[np.float64], world_gaze: NDArray[np.float64], features: SpeechFeatures, fps: float, *, how: Finish, rngs: tuple[np.random.Generator, ...],
) -> NDArray[np.float64]:
    """The clip's data (frames, 9) in CHANNELS order from the head (frames, 3) and the world gaze
    (frames, 2; pitch, yaw in the character frame). ``rngs``: independent streams for the blinks,
    the lids' rest and the fixational movements, in that order."""
    blink_rng, lid_rng, fixation_rng = rngs
    n = head.shape[0]
    if n == 0:
        return np.zeros((0, len(CHANNELS)))
    head = limit_speed(np.clip(head, -HEAD_LIMIT_DEG, HEAD_LIMIT_DEG), fps)
    if how.fixational_scale is not None:
        world_gaze = world_gaze + fixational_movements(n, fps, fixation_rng, scale=max(0.0, how.fixational_scale))
    left, right = eyes_on_target(head, world_gaze, max(MIN_TARGET_DISTANCE_M, how.look_at_distance_m))
    blinks = sample_blinks(features, fps, how.blink_style, blink_rng, gaze_shifts=how.gaze_shifts, rate_per_min=how.blink_rate_per_min,
                           exact_count=how.exact_count)
    # The lids rest a little lowered between blinks, lower still when the gaze goes down.
    blinks = np.maximum(blinks, lid_rest(n, fps, lid_rng, world_gaze[:, 0]))
    out: NDArray[np.float64] = np.column_stack([head, left, right, blinks])
    return out


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
