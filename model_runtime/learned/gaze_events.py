"""World gaze as events: the generator says, per frame, how likely a saccade is to start and where
it would land; this module samples those events and renders the gaze they make.

Why events and not regressed angles: a regression onto gaze angles learns their average, which is
smooth, fixation-poor motion whose saccade rate and looks away do not follow the style (TalkingEyes
samples gaze codes from a codebook for the same reason). Here the landing point is a code from a
fixed grid over world gaze (:class:`GazeGrid`), sampled from the generator's probabilities (a
mixture of a distribution over the whole grid, for looks away and back, and a local hop around
wherever the gaze is at that frame, for the small saccades within a fixation spot:
:func:`landing_probabilities`), and the onset is a Bernoulli draw from its per-frame probability; between onsets the gaze holds still
in the world, so the eyes counter-rotate a moving head (compensation) by construction.

Every frame's onset and landing come in :data:`GAZE_STATES` versions: for a gaze that rests on the
listener and for one that is looking away (:func:`gaze_state`), and the renderer uses the version
for where its gaze is at that frame. The network predicts a chunk of frames at once, so without
them it could not know, within a chunk, whether the gaze has just looked away: how long looks
away last (and so the mutual-gaze share) would be the same hazard as mutual gaze's.

The generator's own motion layout (:data:`GENERATOR_MOTION`, degrees) is the head (pitch, yaw,
roll) and the world gaze (pitch, yaw) of the cyclopean eye, taken as head + mean eye-in-head (the
small-angle sum, as the evaluation's compensation score does); :func:`to_generator_motion` and
:func:`to_angles` convert from and to the product's 7 angle channels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Final

import numpy as np
from numpy.typing import NDArray

from model_runtime.conventions import HEAD, LEFT_EYE, RIGHT_EYE
from model_runtime.evaluation.literature import MUTUAL_RADIUS_DEG
from model_runtime.intervals import runs

if TYPE_CHECKING:
    from model_runtime.learned.steering import Steering

GENERATOR_MOTION: Final[tuple[str, ...]] = ("head_pitch", "head_yaw", "head_roll", "gaze_pitch", "gaze_yaw")
# Where the head and the world gaze sit in that layout (the head where a MotionClip has it).
GAZE: Final = slice(3, 5)
HEAD_PITCH_YAW: Final = slice(0, 2)
# A frame-to-frame world-gaze change faster than this (deg/s) is part of a saccade.
SACCADE_SPEED_DEG_S: Final[float] = 25.0
# Rendering speed cap (deg/s): the mean speed of a 20-30 deg saccade on the main sequence
# (peak ~550 deg/s with a cosine profile), so a small saccade is a one-frame jump at 25 fps and a
# 30 deg look away takes about three frames.
RENDER_SPEED_DEG_S: Final[float] = 350.0
# Shortest fixation between two onsets (s): the performer's, and the I-DT's 100 ms plus a margin.
MIN_FIXATION_S: Final[float] = 0.12
# Smallest spread of a local hop (deg): below a third of a grid bin the hop would only jitter in place.
MIN_HOP_DEG: Final[float] = 1.0
# The gaze states events are predicted for: 0 on the listener (world gaze within the evaluation's
# mutual-gaze radius of straight ahead), 1 looking away.
GAZE_STATES: Final[int] = 2


def gaze_state(gaze: NDArray[np.floating]) -> NDArray[np.int64]:
    """(...,) state index of world gaze points (..., 2) degrees: 0 on the listener, 1 away."""
    g = np.asarray(gaze, dtype=np.float64)
    out: NDArray[np.int64] = (np.hypot(g[..., 0], g[..., 1]) > MUTUAL_RADIUS_DEG).astype(np.int64)
    return out


def to_generator_motion(angles: NDArray[np.floating]) -> NDArray[np.float32]:
    """(frames, 7) ANGLE_CHANNELS degrees -> (frames, 5) head + world gaze."""
    a = np.asarray(angles, dtype=np.float64)
    world = a[:, HEAD_PITCH_YAW] + 0.5 * (a[:, LEFT_EYE] + a[:, RIGHT_EYE])
    return np.column_stack([a[:, HEAD], world]).astype(np.float32)


def to_angles(motion: NDArray[np.floating]) -> NDArray[np.float32]:
    """(frames, 5) head + world gaze -> (frames, 7) ANGLE_CHANNELS (both eyes = gaze - head; the
    engine then aims each eye from its own centre, see :func:`model_runtime.learned.engine.apply_controls`)."""
    m = np.asarray(motion, dtype=np.float64)
    eye = m[:, GAZE] - m[:, HEAD_PITCH_YAW]
    return np.column_stack([m[:, HEAD], eye, eye]).astype(np.float32)


@dataclass(frozen=True)
class GazeGrid:
    """Landing points: bin centres on a regular (pitch, yaw) grid of ``step_deg`` over
    +-``pitch_max_deg`` and +-``yaw_max_deg`` of world gaze; code k is row k // n_yaw, column k % n_yaw."""

    step_deg: float = 3.0
    pitch_max_deg: float = 24.0
    yaw_max_deg: float = 48.0

    @property
    def n_pitch(self) -> int:
        return round(2 * self.pitch_max_deg / self.step_deg)

    @property
    def n_yaw(self) -> int:
        return round(2 * self.yaw_max_deg / self.step_deg)

    @property
    def size(self) -> int:
        return self.n_pitch * self.n_yaw

    @cached_property
    def centres(self) -> NDArray[np.float64]:
        """(K, 2) pitch, yaw of every code."""
        pitch = -self.pitch_max_deg + self.step_deg * (np.arange(self.n_pitch) + 0.5)
        yaw = -self.yaw_max_deg + self.step_deg * (np.arange(self.n_yaw) + 0.5)
        p, y = np.meshgrid(pitch, yaw, indexing="ij")
        return np.column_stack([p.ravel(), y.ravel()])

    @cached_property
    def listener(self) -> NDArray[np.bool_]:
        """(K,) True for the codes whose centre is on the listener (:func:`gaze_state` 0)."""
        out: NDArray[np.bool_] = gaze_state(self.centres) == 0
        return out

    def code(self, gaze: NDArray[np.floating]) -> NDArray[np.int64]:
        """(n,) code of each (n, 2) gaze point (points outside the grid go to its edge)."""
        g = np.asarray(gaze, dtype=np.float64).reshape(-1, 2)
        row = np.clip(np.floor((g[:, 0] + self.pitch_max_deg) / self.step_deg), 0, self.n_pitch - 1)
        col = np.clip(np.floor((g[:, 1] + self.yaw_max_deg) / self.step_deg), 0, self.n_yaw - 1)
        codes: NDArray[np.int64] = (row * self.n_yaw + col).astype(np.int64)
        return codes


def saccade_events(gaze: NDArray[np.floating], fps: float) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
    """Training labels from a world gaze track (frames, 2) degrees: ``onset`` (frames,) true on the
    first frame of each movement faster than :data:`SACCADE_SPEED_DEG_S`, and ``landing``
    (frames, 2), the gaze where that movement comes to rest (NaN on frames without an onset)."""
    g = np.asarray(gaze, dtype=np.float64)
    n = g.shape[0]
    moving = np.zeros(n, dtype=bool)
    if n > 1:
        moving[1:] = np.linalg.norm(np.diff(g, axis=0), axis=1) * fps > SACCADE_SPEED_DEG_S
    onset = np.zeros(n, dtype=bool)
    landing = np.full((n, 2), np.nan)
    for start, end in runs(moving):
        onset[start] = True
        landing[start] = g[end - 1]
    return onset, landing


@dataclass
class GazeState:
    """What the renderer carries from chunk to chunk (all (B, ...) arrays for B streams)."""

    gaze: NDArray[np.float64]  # (B, 2) current world gaze, deg
    target: NDArray[np.float64]  # (B, 2) where the current saccade lands, deg
    since: NDArray[np.float64]  # (B,) frames since the last onset

    @classmethod
    def rest(cls, batch: int = 1) -> GazeState:
        """On the listener, as a take starts; an onset may come at once."""
        return cls(np.zeros((batch, 2)), np.zeros((batch, 2)), np.full(batch, 1e6))


def landing_probabilities(landing_prob: NDArray[np.floating], hop: NDArray[np.floating], gaze: NDArray[np.floating], grid: GazeGrid) -> NDArray[np.float64]:
    """(n, K) landing code probabilities for saccades starting at ``gaze`` (n, 2) degrees: with
    probability ``hop[:, 0]`` a local hop (codes weighted by a Gaussian of spread ``hop[:, 1]``
    degrees around the gaze), otherwise a code from ``landing_prob`` (n, K). The training loss is
    the cross-entropy of this same mixture (model_runtime.training.loops)."""
    distance2 = ((grid.centres[None, :, :] - np.asarray(gaze, dtype=np.float64)[:, None, :]) ** 2).sum(-1)
    spread = np.asarray(hop, dtype=np.float64)[:, 1:2]
    local = np.exp(-(distance2 - distance2.min(axis=1, keepdims=True)) / (2.0 * spread**2))
    local /= local.sum(axis=1, keepdims=True)
    share = np.asarray(hop, dtype=np.float64)[:, 0:1]
    out: NDArray[np.float64] = (1.0 - share) * np.asarray(landing_prob, dtype=np.float64) + share * local
    return out


def render_events(onset_prob: NDArray[np.floating], landing_prob: NDArray[np.floating], hop: NDArray[np.floating], state: GazeState,  # noqa: PLR0917
                  noise: NDArray[np.floating], grid: GazeGrid, fps: float, steering: Sequence[Steering] | None = None) -> NDArray[np.float64]:
    """Sample and render one chunk: ``onset_prob`` (B, N, S), ``landing_prob`` (B, N, S, K), ``hop``
    (B, N, S, 2) (see :func:`landing_probabilities`), each for the S = :data:`GAZE_STATES` gaze
    states, ``noise`` (B, N, 4) uniform in [0, 1) (onset draw, landing-code draw, jitter in pitch
    and yaw within the code's bin). ``steering``, one per stream, nudges the draws towards a
    style's statistics (:mod:`.steering`) and is advanced frame by frame. Returns the world gaze
    (B, N, 2) in degrees and advances ``state`` in place."""
    min_gap = MIN_FIXATION_S * fps
    step = RENDER_SPEED_DEG_S / fps
    radius2 = MUTUAL_RADIUS_DEG**2
    onset = np.asarray(onset_prob, dtype=np.float64).tolist()
    draw = noise[..., 0].tolist()
    batch, frames = len(onset), len(onset[0]) if len(onset) else 0
    out = np.empty((batch, frames, 2))
    for b in range(batch):
        (gp, gy), (tp, ty), since = state.gaze[b].tolist(), state.target[b].tolist(), float(state.since[b])
        steer = steering[b] if steering is not None else None
        row = out[b]
        for t in range(frames):
            away = int(gp * gp + gy * gy > radius2)  # gaze_state, inline: this loop runs per frame
            onset_factor, listener_weight = steer.onset_factors()[away] if steer is not None else (1.0, 1.0)
            if since >= min_gap and draw[b][t] < onset[b][t][away] * onset_factor:
                # Inverse-CDF draw of the landing code from where the gaze is now.
                codes = landing_prob[b, t, away] if steer is None else steer.landing_codes(landing_prob[b, t, away], grid.listener)
                probs = landing_probabilities(codes[None], hop[b, t, away][None], np.array([[gp, gy]]), grid)[0]
                if listener_weight != 1.0:
                    probs = np.where(grid.listener, probs * listener_weight, probs)
                cdf = np.cumsum(probs)
                code = min(int(np.searchsorted(cdf, noise[b, t, 1] * cdf[-1], side="right")), grid.size - 1)
                tp, ty = (grid.centres[code] + (noise[b, t, 2:4] - 0.5) * grid.step_deg).tolist()
                since = 0.0
            dp, dy = tp - gp, ty - gy
            distance = (dp * dp + dy * dy) ** 0.5
            share = 1.0 if distance <= step else step / distance
            gp, gy = gp + share * dp, gy + share * dy
            since += 1.0
            row[t, 0], row[t, 1] = gp, gy
            if steer is not None:
                steer.count(gp, gy, share * distance)
        state.gaze[b], state.target[b], state.since[b] = (gp, gy), (tp, ty), since
    return out
