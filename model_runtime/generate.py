"""The public generation API: speech in, a motion clip of head, eyes and blinks out.

    clip = generate("line.wav", 30.0, style="thoughtful", seed=3, controls=Controls(head_intensity=0.5))

Engines are looked up by name in :data:`ENGINES`; an engine is a function
``(audio, fps, *, style, seed, controls, progress) -> MotionClip`` taking the arguments as
:func:`generate` received them, checked, with the style already read once into a
:class:`~model_runtime.inputs.ParsedStyle` (:mod:`model_runtime.inputs`, below the engines, also
computes the features). Adding an engine is one entry there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol

from model_runtime.audio.types import SAMPLE_RATE, AudioSignal, SpeechFeatures
from model_runtime.clip import MotionClip
from model_runtime.conventions import MAX_FPS, MIN_FPS, snap_fps
from model_runtime.errors import GazeError
from model_runtime.inputs import AudioInput, ParsedStyle, StyleInput, parse_style, resolve_style, speech_features
from model_runtime.limits import MAX_TAKE_FRAMES, MAX_TAKE_SECONDS

__all__ = ["ENGINES", "AudioInput", "Controls", "Engine", "Progress", "StyleInput", "generate", "resolve_style", "speech_features"]

Progress = Callable[[float], None]


# The range of each numeric control, (low, high).
CONTROL_RANGES: Final[dict[str, tuple[float, float]]] = {
    "head_intensity": (0.0, 2.0),
    "gaze_intensity": (0.0, 2.0),
    "blink_rate_per_min": (0.0, 60.0),
    "look_at_pitch_deg": (-60.0, 60.0),
    "look_at_yaw_deg": (-90.0, 90.0),
    "look_at_distance_m": (0.15, 1000.0),
}


@dataclass(frozen=True)
class Controls:
    """Animator's dials, applied on top of the style by every engine.

    head_intensity      0 = still head (gaze and blinks kept), 1 = the style's head motion, up to 2
    gaze_intensity      scales saccade and look-away amplitudes (0-2)
    blink_rate_per_min  None = the style's rate; otherwise blinks per minute (0-60)
    look_at_pitch_deg, look_at_yaw_deg  the listener's (eye-contact) direction in the character
                        frame, degrees, signs as in model_runtime.conventions
    look_at_distance_m  distance of what the eyes fixate, for the vergence of the two eyes
    match_statistics    learned engine: steer the draws towards the style's measured statistics
                        (saccade rate, mutual gaze, head size, where looks away go; see
                        model_runtime.learned.steering); False leaves the model's own draws.
                        The procedural engine renders its style's parameters directly either way.
    """

    head_intensity: float = 1.0
    gaze_intensity: float = 1.0
    blink_rate_per_min: float | None = None
    look_at_pitch_deg: float = 0.0
    look_at_yaw_deg: float = 0.0
    look_at_distance_m: float = 1.0
    match_statistics: bool = True

    def validated(self) -> Controls:
        """The same controls, or GazeError naming each value that is not a finite number in range."""
        problems = []
        if not isinstance(self.match_statistics, bool):
            problems.append(f"match_statistics = {self.match_statistics!r}, expected True or False")
        for name, (low, high) in CONTROL_RANGES.items():
            value = getattr(self, name)
            if value is None and name == "blink_rate_per_min":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not low <= value <= high:
                problems.append(f"{name} = {value!r}, expected a number in {low:g}..{high:g}")
        if problems:
            raise GazeError("generation controls: " + "; ".join(problems))
        return self


def _procedural(audio: AudioInput, fps: float, *, style: ParsedStyle, seed: int, controls: Controls, progress: Progress | None) -> MotionClip:
    from model_runtime.performer.engine import perform

    resolved = style.performer_style()
    report = progress or (lambda fraction: None)
    features = speech_features(audio, fps, keep_logmel=False)  # the performer reads prosody, not the spectrum
    report(0.2)
    return perform(
        features,
        resolved,
        seed,
        head_intensity=controls.head_intensity,
        gaze_intensity=controls.gaze_intensity,
        blink_rate_per_min=controls.blink_rate_per_min,
        look_at_deg=(controls.look_at_pitch_deg, controls.look_at_yaw_deg),
        look_at_distance_m=controls.look_at_distance_m,
        progress=lambda fraction: report(0.2 + 0.8 * fraction),
    )


class Engine(Protocol):
    """What :func:`generate` calls: the checked arguments in, a clip at ``fps`` out."""

    def __call__(self, audio: AudioInput, fps: float, *, style: ParsedStyle, seed: int, controls: Controls, progress: Progress | None) -> MotionClip: ...


def _learned(audio: AudioInput, fps: float, *, style: ParsedStyle, seed: int, controls: Controls, progress: Progress | None) -> MotionClip:
    from model_runtime.learned.engine import learned_engine

    return learned_engine(audio, fps, style=style, seed=seed, controls=controls, progress=progress)


ENGINES: dict[str, Engine] = {"procedural": _procedural, "learned": _learned}


def generate(
    audio: AudioInput,
    fps: float,
    *,
    engine: str = "procedural",
    style: StyleInput = None,
    seed: int = 0,
    controls: Controls = Controls(),
    progress: Progress | None = None,
) -> MotionClip:
    """Gaze, head and blink motion for ``audio`` at ``fps`` frames per second.

    ``audio``: a path to an audio file, an AudioSignal, or SpeechFeatures (at this fps).
    ``style``: None (the default preset), a preset name, a path to a STYLE.json or to a take file
    (its style is estimated), a MotionClip (likewise), or a PerformerStyle.
    ``progress``: called with the fraction done (0-1). The same inputs and seed give the same clip.
    """
    if engine not in ENGINES:
        raise GazeError(f"unknown engine {engine!r}; engines available: {', '.join(sorted(ENGINES))}")
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not math.isfinite(fps) or not MIN_FPS <= fps <= MAX_FPS:
        raise GazeError(f"frame rate must be a number between {MIN_FPS:g} and {MAX_FPS:g} fps, got {fps!r}")
    fps = snap_fps(float(fps))
    controls = controls.validated()
    check_audio_length(audio, fps)
    report = progress or (lambda fraction: None)
    report(0.0)
    clip = ENGINES[engine](audio, fps, style=parse_style(style), seed=int(seed), controls=controls, progress=report)
    report(1.0)
    return clip


def check_audio_length(audio: AudioInput, fps: float) -> None:
    """GazeError, before any work, when ``audio`` at ``fps`` would make a take beyond the limits."""
    if isinstance(audio, SpeechFeatures):
        name, seconds = "speech features", audio.duration
    elif isinstance(audio, AudioSignal):
        name, seconds = audio.path, audio.duration
    else:
        from model_runtime.audio.loading import decoded_length

        name, seconds = str(audio), decoded_length(audio) / SAMPLE_RATE
    frames = math.ceil(seconds * fps)
    if seconds > MAX_TAKE_SECONDS or frames > MAX_TAKE_FRAMES:
        raise GazeError(
            f"{name}: {seconds / 3600:.2f} h of audio at {fps:g} fps makes {frames} frames; "
            f"a take holds at most {MAX_TAKE_SECONDS / 3600:g} h and {MAX_TAKE_FRAMES} frames"
        )
