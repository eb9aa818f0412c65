"""One pass of event detection over a clip and its speech, shared by the metrics and the report."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from model_runtime.audio.types import SpeechFeatures, Utterance
from model_runtime.clip import MotionClip
from model_runtime.conventions import direction_from_angles
from model_runtime.evaluation import events
from model_runtime.evaluation.literature import MUTUAL_RADIUS_DEG, head_share_of_shifts, mutual_gaze_mask
from model_runtime.evaluation.motion_metrics import speech_onsets


@dataclass(frozen=True)
class EvalConfig:
    """Thresholds of the evaluation; the defaults are documented in docs/metrics.md."""

    idt_dispersion_deg: float = events.IDT_DISPERSION_DEG
    idt_min_duration_s: float = events.IDT_MIN_DURATION_S
    saccade_velocity_deg_s: float = events.SACCADE_VELOCITY_DEG_S
    mutual_radius_deg: float = MUTUAL_RADIUS_DEG
    listener_pitch_deg: float = 0.0  # where the listener is, in the character's rest frame (default: straight ahead)
    listener_yaw_deg: float = 0.0
    bas_shifts: int = 200
    seed: int = 0

    def mutual(self, directions: NDArray[np.float64]) -> NDArray[np.bool_]:
        """(frames,) True where unit gaze ``directions`` (frames, 3) are within the mutual-gaze radius of the listener."""
        listener = direction_from_angles(np.array(self.listener_pitch_deg), np.array(self.listener_yaw_deg))
        return mutual_gaze_mask(directions, listener, self.mutual_radius_deg)


@dataclass(frozen=True)
class Analysis:
    """Per-frame signals and events of one clip; arrays have one row per clip frame."""

    clip: MotionClip
    speech: NDArray[np.bool_]  # (frames,) speech mask aligned to the clip, False past the audio's end
    utterances: tuple[Utterance, ...]
    eye: NDArray[np.float64]  # (frames, 2) cyclopean eye-in-head pitch, yaw
    world: NDArray[np.float64]  # (frames, 2) cyclopean gaze-in-world pitch, yaw
    world_dirs: NDArray[np.float64]  # (frames, 3) unit gaze directions in the world
    fixations_world: list[tuple[int, int]]
    saccades: list[events.Saccade]  # gaze shifts of the world gaze
    blinks: list[events.Blink]
    mutual: NDArray[np.bool_]  # (frames,) gaze within the mutual-gaze radius of the listener
    shift_amplitudes: NDArray[np.float64]  # per saccade with a defined head share
    head_shares: NDArray[np.float64]
    onsets: NDArray[np.float64]  # audio events (s) for BAS: utterance starts and onset peaks within the clip


def frame_mask(features: SpeechFeatures, n_frames: int) -> NDArray[np.bool_]:
    """The speech mask cut or padded (with pause) to ``n_frames``."""
    out = np.zeros(n_frames, dtype=bool)
    m = min(n_frames, features.n_frames)
    out[:m] = features.speech[:m]
    return out


def analyze(clip: MotionClip, features: SpeechFeatures, config: EvalConfig | None = None) -> Analysis:
    """Detect the events of ``clip``; ``features`` must be computed at the clip's frame rate."""
    cfg = config or EvalConfig()
    if abs(features.fps - clip.fps) > 1e-6 * clip.fps:
        raise ValueError(f"speech features are at {features.fps:g} fps but the clip is at {clip.fps:g} fps; compute them at the clip's rate")
    eye = events.eye_in_head(clip)
    dirs = events.world_directions(clip)
    world = events.gaze_in_world(clip)
    fixations = events.idt_fixations(world, clip.fps, cfg.idt_dispersion_deg, cfg.idt_min_duration_s)
    saccades = events.detect_saccades(dirs, clip.fps, cfg.saccade_velocity_deg_s)
    blinks = events.detect_blinks(events.blink_closure(clip), clip.fps)
    mutual = cfg.mutual(dirs)
    amplitudes, shares = head_share_of_shifts(saccades, world, clip.head, clip.fps)
    onsets = speech_onsets(features)
    return Analysis(
        clip=clip, speech=frame_mask(features, clip.n_frames), utterances=features.utterances, eye=eye, world=world, world_dirs=dirs,
        fixations_world=fixations, saccades=saccades, blinks=blinks, mutual=mutual, shift_amplitudes=amplitudes, head_shares=shares,
        onsets=onsets[onsets < clip.duration],
    )
