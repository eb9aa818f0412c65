"""Steering the sampled motion towards a style's measured statistics.

The style vector tells the generator *how* a performer moves, but one draw of a 10 s clip wanders
from the statistics it implies: the number of saccades and how long the gaze stays on the
listener are a handful of random events each, and the head comes out smaller than the takes'
(measured in the model card). When the style comes with :class:`StyleTargets` (measured on the
reference take, or stored for a preset), the renderer keeps a running account of the clip so far
and nudges the draws towards them, as an animator would correct a take:

- saccade rate: the onset probabilities are scaled by ``exp(e / RATE_SCALE)``, ``e`` the saccades
  the clip is behind (+) or ahead (-) of the target rate so far;
- mutual-gaze share: with ``m`` the seconds of mutual gaze the clip is short of (+) or over (-),
  landing codes on the listener are weighted by ``exp(m / MUTUAL_SCALE)``, and the onset
  probability by ``exp(-m / MUTUAL_SCALE)`` on the listener and ``exp(m / MUTUAL_SCALE)`` away from it
  (a look away ends sooner while the clip is short of mutual gaze);
- how often the gaze looks away (and so, with the mutual-gaze share, how long each look lasts):
  with ``a`` the looks away the clip is behind (+) or ahead (-) of the target rate, the listener's
  codes are weighted by a further ``exp(-a / AVERSION_SCALE)`` on the listener (a look away
  begins sooner) and ``exp(a / AVERSION_SCALE)`` away (it ends sooner, so the next can begin);
- head std (pitch, yaw, roll) of the head's rest (the generator's head, before the runtime adds
  the follow of the gaze, :mod:`.head_follow`): scaled about the listener's direction by a gain per axis
  (target std / running std of the generator's head, times running std of that aim /
  running std of the head shown); each running std starts from ``HEAD_PRIOR_S`` seconds of the
  target, so the gain starts at 1 and settles as the clip goes on;
- head bursts: while the gaze holds still the shown head (all three axes) holds too, until the aim
  has moved more than ``DEADBAND_DEG`` from it; on the frames of a gaze shift it catches up at
  once. The generator's head drifts steadily where the takes' heads hold still and then move in
  bursts, and a steady drift breaks every eye-in-head fixation (the eyes counter-rotate it; a
  rolling head turns them too, as they are aimed from their own centres);
- where looks away go: the generator's distribution over the grid's codes away from the listener
  is multiplied by ``(d + LANDING_FLOOR) ** LANDING_POWER``, ``d`` a Gaussian density (spread
  ``LANDING_SPREAD_DEG``, peak 1) around the points where the reference's looks away landed,
  keeping its total (so the mutual-gaze share is not touched). The style vector alone does not
  carry the side and height of a performer's looks away into the generated clip (validation r
  about 0 for their mean direction); a performer who looks down-left should do so in the result.

Every correction is causal (it reads only frames already made) and per frame, so streamed and
whole-file generation stay identical; the generator itself always gets its own unscaled head back
as previous motion, and the world gaze is untouched by the head gain (the eyes counter-rotate).
The statistics use the evaluation's definitions (:mod:`model_runtime.evaluation`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from model_runtime.clip import MotionClip
from model_runtime.conventions import ANGLE_CHANNELS
from model_runtime.evaluation.analysis import EvalConfig
from model_runtime.evaluation.events import SACCADE_VELOCITY_DEG_S, detect_saccades, world_directions
from model_runtime.evaluation.literature import MUTUAL_RADIUS_DEG
from model_runtime.learned.gaze_events import GAZE, GazeGrid, gaze_state, saccade_events, to_generator_motion
from model_runtime.learned.head_follow import DEFAULT_HEAD_MOVER, measured_mover, rest_head_std

# The corrections' scales and bound, chosen on the validation split (benchmarks/steering_validation.py).
# Saccades behind the target that multiply the onset probabilities by e.
RATE_SCALE: Final[float] = 1.0
# Seconds of mutual gaze short of the target that weight the listener's codes by e.
MUTUAL_SCALE: Final[float] = 0.3
# Looks away behind the target count that weight the codes away from the listener by e (on the
# listener) and the listener's codes by e (away: the look ends sooner, so the next can begin).
AVERSION_SCALE: Final[float] = 1.0
# Largest exponent of that correction: below LIMIT, so the mutual-gaze share wins where the two
# disagree (a rare look away asked of a generator that keeps looking away).
AVERSION_LIMIT: Final[float] = 2.0
# Largest exponent of a correction: at most e^4 ~ 55x either way.
LIMIT: Final[float] = 4.0
# Seconds of the target head std the running std starts from.
HEAD_PRIOR_S: Final[float] = 2.0
# Bounds of the head gain.
HEAD_GAIN: Final[tuple[float, float]] = (0.5, 2.5)
# How far (deg) the generator's head may move from the shown head before it follows while the gaze holds still.
DEADBAND_DEG: Final[float] = 1.2
# Where looks away land: spread (deg) of the density around the reference's landing points, its
# floor (share of its peak that codes far from every point keep) and the power it is raised to.
LANDING_SPREAD_DEG: Final[float] = 6.0
LANDING_FLOOR: Final[float] = 0.05
LANDING_POWER: Final[float] = 3.0
# Landing points kept per style (evenly spaced in time): an hour-long take has thousands.
MAX_LANDINGS: Final[int] = 64


Landings = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class StyleTargets:
    """The statistics of a style the renderer steers to (the evaluation's definitions), and where
    its looks away landed: (pitch, yaw) degrees of world gaze in the generator's layout (listener
    at 0, 0), at most :data:`MAX_LANDINGS`. The head's standard deviations are of its rest, without
    the follow of the gaze (:mod:`.head_follow`), which the runtime adds with ``head_mover``."""

    saccade_rate_hz: float  # gaze shifts per second of clip
    mutual_gaze_share: float  # share of frames with the gaze within MUTUAL_RADIUS_DEG of the listener
    aversion_rate_hz: float  # looks away begun per second
    head_std_pitch_deg: float
    head_std_yaw_deg: float
    head_std_roll_deg: float
    head_mover: float | None = None  # head-mover share; None where the looks away are too small to show it
    away_landings: Landings = ()

    @classmethod
    def of_clip(cls, clip: MotionClip) -> StyleTargets | None:
        """Measured on a take; None if it is empty or any statistic is not finite."""
        if clip.n_frames < 2:
            return None
        config = EvalConfig()
        dirs = world_directions(clip)
        mutual = config.mutual(dirs)
        mover = measured_mover(clip)
        std = rest_head_std(clip, DEFAULT_HEAD_MOVER if mover is None else mover)
        targets = cls(
            saccade_rate_hz=len(detect_saccades(dirs, clip.fps, config.saccade_velocity_deg_s)) / clip.duration,
            mutual_gaze_share=float(mutual.mean()),
            aversion_rate_hz=aversion_starts(mutual) / clip.duration,
            head_std_pitch_deg=float(std[0]),
            head_std_yaw_deg=float(std[1]),
            head_std_roll_deg=float(std[2]),
            head_mover=mover,
            away_landings=away_landings(clip),
        )
        return targets if all(math.isfinite(getattr(targets, name)) for name in _STATISTICS) else None

    @classmethod
    def pooled(cls, targets: Sequence[StyleTargets]) -> StyleTargets:
        """One style's targets from several clips of it: the mean of each statistic and of the
        measured head-mover shares, every landing (evenly thinned)."""
        landings = tuple(point for t in targets for point in t.away_landings)
        movers = [t.head_mover for t in targets if t.head_mover is not None]
        return cls(**{name: float(np.mean([getattr(t, name) for t in targets])) for name in _STATISTICS},
                   head_mover=float(np.mean(movers)) if movers else None, away_landings=_thin(landings))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the statistics as numbers, the landings as [pitch, yaw] pairs."""
        return {**{name: getattr(self, name) for name in _STATISTICS}, "head_mover": self.head_mover,
                "away_landings": [list(p) for p in self.away_landings]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StyleTargets:
        """From :meth:`to_dict`'s form."""
        landings = tuple((float(p), float(y)) for p, y in data.get("away_landings", ()))
        mover = data.get("head_mover")
        return cls(**{name: float(data[name]) for name in _STATISTICS}, head_mover=None if mover is None else float(mover),
                   away_landings=_thin(landings))


# The statistics every StyleTargets has.
_STATISTICS = tuple(f.name for f in fields(StyleTargets) if f.name not in ("head_mover", "away_landings"))


def follow_share(targets: StyleTargets | None) -> float:
    """The head-mover share the runtime follows the gaze with: the style's, the default where it has
    no statistics or none was measured."""
    return DEFAULT_HEAD_MOVER if targets is None or targets.head_mover is None else targets.head_mover


def aversion_starts(mutual: NDArray[np.bool_]) -> int:
    """Looks away begun in a (frames,) mutual-gaze mask: frames off the listener after one on it."""
    return int(np.count_nonzero(mutual[:-1] & ~mutual[1:]))


def _thin(landings: Landings) -> Landings:
    if len(landings) <= MAX_LANDINGS:
        return landings
    return tuple(landings[i] for i in np.linspace(0, len(landings) - 1, MAX_LANDINGS).round().astype(int))


def away_landings(clip: MotionClip) -> Landings:
    """Where the clip's looks away land: the end points of its saccades (as the generator's training
    labels define them) that lie off the listener, in the generator's layout."""
    gaze = to_generator_motion(clip.data[:, : len(ANGLE_CHANNELS)])[:, GAZE]
    onset, landing = saccade_events(gaze, clip.fps)
    points = landing[onset]
    points = points[(gaze_state(points) == 1) & np.all(np.isfinite(points), axis=1)]
    return _thin(tuple((float(p), float(y)) for p, y in points))


def landing_weights(landings: Landings, grid: GazeGrid) -> NDArray[np.float64] | None:
    """(K,) weights on the grid's codes away from the listener (see the module doc), or None without landings."""
    if not landings:
        return None
    points = np.asarray(landings, dtype=np.float64)
    distance2 = ((grid.centres[:, None, :] - points[None, :, :]) ** 2).sum(axis=-1)
    density = np.exp(-distance2 / (2.0 * LANDING_SPREAD_DEG**2)).sum(axis=1)
    density /= max(float(density[~grid.listener].max()), 1e-12)
    out: NDArray[np.float64] = np.where(grid.listener, 1.0, (density + LANDING_FLOOR) ** LANDING_POWER)
    return out


@dataclass(slots=True)
class HeadAxis:
    """Steering of one head axis (pitch, yaw or roll), in degrees: running sums of the generator's
    head (raw), the aim (raw times the gain) and the head shown, pooled with ``prior_n`` frames of
    the target std; plain floats and slots, since it runs per frame."""

    target_std: float
    prior_n: float
    prior: float = field(init=False)  # prior_n x target std squared: the pooled frames' sum of squares
    n: int = 0
    raw_s1: float = 0.0
    raw_s2: float = 0.0
    aim_s1: float = 0.0
    aim_s2: float = 0.0
    shown_s1: float = 0.0
    shown_s2: float = 0.0
    last_shown: float = 0.0

    def __post_init__(self) -> None:
        self.prior = self.prior_n * self.target_std**2

    def aim_for(self, raw: float) -> float:
        """The aim for the generator's next value: times target std / std(raw) x std(aim) / std(shown)."""
        prior = self.prior
        n = self.n or 1
        pooled = self.prior_n + self.n
        raw_var = self.raw_s2 - self.raw_s1 * self.raw_s1 / n
        aim_var = self.aim_s2 - self.aim_s1 * self.aim_s1 / n
        shown_var = self.shown_s2 - self.shown_s1 * self.shown_s1 / n
        raw_std = math.sqrt((prior + (raw_var if raw_var > 0.0 else 0.0)) / pooled) + 1e-3
        aim_std = math.sqrt((prior + (aim_var if aim_var > 0.0 else 0.0)) / pooled) + 1e-3
        shown_std = math.sqrt((prior + (shown_var if shown_var > 0.0 else 0.0)) / pooled) + 1e-3
        gain = self.target_std / raw_std * aim_std / shown_std
        low, high = HEAD_GAIN
        return (low if gain < low else high if gain > high else gain) * raw

    def add(self, raw: float, aim: float, shown: float) -> None:
        self.n += 1
        self.raw_s1 += raw
        self.raw_s2 += raw * raw
        self.aim_s1 += aim
        self.aim_s2 += aim * aim
        self.shown_s1 += shown
        self.shown_s2 += shown * shown
        self.last_shown = shown


@dataclass
class Steering:
    """The running account of one stream (frames so far) and the corrections it gives."""

    targets: StyleTargets
    fps: float
    frames: int = 0
    shifts: int = 0  # saccades as the evaluation detects them on the rendered gaze
    mutual_frames: int = 0
    aversions: int = 0  # looks away begun
    was_mutual: bool = True  # a take starts on the listener (GazeState.rest)
    was_moving: bool = False
    axes: tuple[HeadAxis, HeadAxis, HeadAxis] | None = None  # pitch, yaw, roll; made on the first frame
    last_gaze: tuple[float, float] = (0.0, 0.0)  # where the gaze rests when a take starts
    landing: NDArray[np.float64] | None = None  # (K,) :func:`landing_weights` for the model's grid

    def landing_codes(self, probs: NDArray[np.float64], listener: NDArray[np.bool_]) -> NDArray[np.float64]:
        """The generator's (K,) landing probabilities with the codes away from the listener
        reweighted towards the reference's landings, their total kept."""
        if self.landing is None:
            return probs
        weighted = probs * self.landing
        total, new = float(probs[~listener].sum()), float(weighted[~listener].sum())
        out: NDArray[np.float64] = np.where(listener, probs, weighted * (total / max(new, 1e-12)))
        return out

    @property
    def min_shift_deg(self) -> float:
        """A one-frame jump the evaluation's velocity threshold counts."""
        return SACCADE_VELOCITY_DEG_S / self.fps

    def onset_factors(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """For the next frame, per gaze state (on the listener, away): the factor on the onset
        probability and the weight of the listener's landing codes."""
        t = (self.frames + 1) / self.fps
        behind = self.targets.saccade_rate_hz * t - self.shifts
        rate = math.exp(min(LIMIT, max(-LIMIT, behind / RATE_SCALE)))
        short = (self.targets.mutual_gaze_share * (self.frames + 1) - self.mutual_frames) / self.fps
        m = min(LIMIT, max(-LIMIT, short / MUTUAL_SCALE))
        a = min(AVERSION_LIMIT, max(-AVERSION_LIMIT, (self.targets.aversion_rate_hz * t - self.aversions) / AVERSION_SCALE))
        return (rate * math.exp(-m), math.exp(m - a)), (rate * math.exp(m), math.exp(m + a))

    def count(self, gaze_pitch: float, gaze_yaw: float, moved_deg: float) -> None:
        """Account for one rendered frame: the gaze where it ends and how far it moved on it. A
        saccade is a run of frames moving faster than the evaluation's velocity threshold (I-VT)."""
        self.frames += 1
        mutual = gaze_pitch * gaze_pitch + gaze_yaw * gaze_yaw <= MUTUAL_RADIUS_DEG**2
        self.mutual_frames += mutual
        self.aversions += self.was_mutual and not mutual
        self.was_mutual = mutual
        moving = moved_deg > self.min_shift_deg
        self.shifts += moving and not self.was_moving
        self.was_moving = moving

    def head(self, head: NDArray[np.floating], gaze: NDArray[np.floating]) -> NDArray[np.float64]:
        """(n, 3) steered head pitch, yaw, roll (degrees) for the generator's next ``head`` (n, 3)
        and rendered world ``gaze`` (n, 2) frames; advances the account frame by frame (see the
        module doc: the gain towards the target head std, and the dead band while the gaze holds)."""
        raw = np.asarray(head, dtype=np.float64).tolist()
        out = np.empty((len(raw), 3))
        if not raw:
            return out
        prior = HEAD_PRIOR_S * self.fps
        if self.axes is None:
            self.axes = (HeadAxis(self.targets.head_std_pitch_deg, prior), HeadAxis(self.targets.head_std_yaw_deg, prior),
                         HeadAxis(self.targets.head_std_roll_deg, prior))
            for axis, value in zip(self.axes, raw[0], strict=True):
                axis.last_shown = value
        pitch, yaw, roll_axis = self.axes
        step = self.min_shift_deg
        (gp, gy) = self.last_gaze
        for i, ((hp, hy, hr), (np_, ny)) in enumerate(zip(raw, np.asarray(gaze, dtype=np.float64).tolist(), strict=True)):
            moving = math.hypot(np_ - gp, ny - gy) > step
            gp, gy = np_, ny
            ap, ay, ar = pitch.aim_for(hp), yaw.aim_for(hy), roll_axis.aim_for(hr)
            sp, sy, sr = pitch.last_shown, yaw.last_shown, roll_axis.last_shown
            if moving or math.sqrt((ap - sp) ** 2 + (ay - sy) ** 2 + (ar - sr) ** 2) > DEADBAND_DEG:
                sp, sy, sr = ap, ay, ar
            pitch.add(hp, ap, sp)
            yaw.add(hy, ay, sy)
            roll_axis.add(hr, ar, sr)
            out[i] = sp, sy, sr
        self.last_gaze = (gp, gy)
        return out
