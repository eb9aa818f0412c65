"""A speaker's own lines performed by the learned engine, for a dialogue with ``engine="learned"``.

Each line of the character is generated from its audio (features at the model's rate) in the
character's style, with the listener straight ahead, and brought to the scene's frames: the world
gaze becomes the speaker's offset from its addressee and the head its speaking head motion. The
dialogue performer does the rest as for the procedural engine (listening, turn-taking, facing the
partner, blinks by role, the finishing stage).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from model_runtime.audio.types import SpeechFeatures
from model_runtime.dialogue.timeline import Timeline
from model_runtime.errors import GazeError
from model_runtime.inputs import StyleInput, parse_style, speech_features


@dataclass(frozen=True)
class Speaking:
    """A character's speaking performance over the scene: ``gaze`` (frames, 2) pitch, yaw offset (deg)
    from its addressee and ``head`` (frames, 3) deg, zero outside its lines; ``shifts`` (k, 2)
    time s, amplitude deg of its gaze shifts while speaking."""

    gaze: NDArray[np.float64]
    head: NDArray[np.float64]
    shifts: NDArray[np.float64]


def learned_speaking(timeline: Timeline, who: int, style: StyleInput, stream: np.random.SeedSequence, gaze_scale: float) -> Speaking:
    """Character ``who``'s lines by the learned engine (one generator seed per line, drawn from ``stream``)."""
    from model_runtime.generate import Controls
    from model_runtime.learned.engine import controlled, resolve_style_vector, world_shifts
    from model_runtime.learned.features import audio_matrix, resample_features
    from model_runtime.learned.models import shipped_models
    from model_runtime.learned.streaming import generate_frames

    models = shipped_models()
    model_fps = models.config.fps
    fps, n = timeline.fps, timeline.n
    gaze, head = np.zeros((n, 2)), np.zeros((n, 3))
    speaking = np.zeros(n, dtype=bool)
    parsed = parse_style(style)
    controls = Controls(gaze_intensity=gaze_scale)
    seeds = stream.generate_state(max(1, len(timeline.lines)))
    for k, line in enumerate(timeline.lines):
        if line.speaker != who:
            continue
        audio = timeline.dialogue.lines[line.entry].audio
        if isinstance(audio, SpeechFeatures) and audio.logmel.shape[1] == 0:
            raise GazeError(f"{timeline.dialogue.source}: lines[{line.entry}].audio: the learned engine needs the audio (or features with their log-mel spectrum)")
        features = resample_features(audio, model_fps) if isinstance(audio, SpeechFeatures) else speech_features(audio, model_fps)
        vector = resolve_style_vector(models, parsed, features)
        angles = generate_frames(models.generator, audio_matrix(features), vector.vector, int(seeds[k]), None, targets=vector.targets,
                                 head_mover=vector.head_mover).astype(np.float64)  # fmt: skip
        line_head, line_gaze = controlled(angles, controls)
        source = np.arange(len(angles)) / model_fps
        target = (np.arange(line.start, line.end) - line.start) / fps
        for column in range(3):
            head[line.start : line.end, column] = np.interp(target, source, line_head[:, column])
        for column in range(2):
            gaze[line.start : line.end, column] = np.interp(target, source, line_gaze[:, column])
        speaking[line.start : line.end] = True
    shifts = world_shifts(gaze, fps)
    own = speaking[np.clip(np.round(shifts[:, 0] * fps).astype(int), 0, max(0, n - 1))] if len(shifts) and n else np.zeros(0, dtype=bool)
    return Speaking(gaze=gaze, head=head, shifts=shifts[own])
