"""The learned engine: speech -> style vector -> streamed generator -> controls -> blinks -> clip.

The generator runs at the model's own frame rate (25 fps for the shipped model) on audio features
computed at that rate; the finished clip is resampled to the rate asked for (saccades stay sharp and
blinks keep their depth, see :meth:`MotionClip.resample`).

Style (``style`` argument, any form :func:`model_runtime.generate.generate` accepts, read once by
:func:`model_runtime.inputs.parse_style`):
  None, a preset name        the preset's style vector stored in the model file
  a take (path or clip)      the style encoder on the take (short takes: see :mod:`.style`)
  a PerformerStyle or JSON   the style encoder on the procedural performer's rendering of that
                             style on this very speech (the first 30 s)
Blink parameters (rate, length, partial share) always come from the performer style the same input
resolves to (estimated from a take), and blinks come from the performer's blink sampler, pulled
onto the generated large gaze shifts and the speech pauses.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from model_runtime.audio.types import SpeechFeatures
from model_runtime.clip import MotionClip
from model_runtime.conventions import ANGLE_CHANNELS, CHANNELS, EYE_LIMIT_DEG, HEAD_LIMIT_DEG, angles_from_direction, direction_from_angles, head_matrix
from model_runtime.errors import GazeError
from model_runtime.inputs import AudioInput, ParsedStyle, StyleInput, parse_style, speech_features
from model_runtime.learned.features import audio_matrix
from model_runtime.learned.models import LearnedModels, shipped_models
from model_runtime.learned.steering import StyleTargets
from model_runtime.learned.streaming import generate_frames
from model_runtime.learned.style import StyleVector, default_style, encode_motion, style_from_preset, style_from_take

if TYPE_CHECKING:
    from model_runtime.generate import Controls, Progress
    from model_runtime.performer.style import PerformerStyle

_RENDER_SECONDS = 30.0
_BLOCK_FRAMES = 65536  # frames per block of per-frame rotation maths


def _head_first(features: SpeechFeatures, frames: int) -> SpeechFeatures:
    """The first ``frames`` frames of ``features`` (utterances kept as they are; only frames matter here)."""
    return replace(features, f0_hz=features.f0_hz[:frames], voiced=features.voiced[:frames], rms=features.rms[:frames],
                   onset=features.onset[:frames], logmel=features.logmel[:frames], speech=features.speech[:frames])


def style_from_performer(models: LearnedModels, performer: PerformerStyle, features: SpeechFeatures, source: str) -> StyleVector:
    """Encode the procedural performer's rendering of ``performer`` on (the start of) this speech."""
    from model_runtime.performer.engine import perform

    config = models.config
    window = config.style_window
    frames = max(window, min(features.n_frames, round(_RENDER_SECONDS * config.fps)))
    if features.n_frames < frames:
        # Speech shorter than one window: render over the speech looped, as a short take is.
        reps = -(-frames // max(1, features.n_frames))
        features = replace(features, f0_hz=np.tile(features.f0_hz, reps), voiced=np.tile(features.voiced, reps), rms=np.tile(features.rms, reps),
                           onset=np.tile(features.onset, reps), logmel=np.tile(features.logmel, (reps, 1)), speech=np.tile(features.speech, reps))
    rendered = perform(_head_first(features, frames), performer, seed=0)
    angles = rendered.data[:, [CHANNELS.index(n) for n in ANGLE_CHANNELS]].astype(np.float32)
    starts = np.arange(0, angles.shape[0] - window + 1, window // 2)
    vectors = encode_motion(models.style_encoder, np.stack([angles[s : s + window] for s in starts]))
    mean = vectors.mean(axis=0)
    return StyleVector.measured((mean / max(float(np.linalg.norm(mean)), 1e-8)).astype(np.float32), source, StyleTargets.of_clip(rendered))


def resolve_style_vector(models: LearnedModels, style: StyleInput | ParsedStyle, features: SpeechFeatures) -> StyleVector:
    """The style vector for any style input :func:`model_runtime.generate.generate` accepts."""
    parsed = parse_style(style)
    encoder = models.style_encoder
    if parsed.take is not None:
        return style_from_take(encoder, parsed.take, source=parsed.source)
    if parsed.preset is not None:
        if parsed.preset in encoder.config.presets:
            return style_from_preset(encoder, parsed.preset)
        return style_from_performer(models, parsed.performer_style(), features, parsed.source)
    if parsed.style is not None:
        return style_from_performer(models, parsed.style, features, parsed.source)
    return default_style(encoder)


def _world_gaze(head: NDArray[np.float64], left: NDArray[np.float64], right: NDArray[np.float64]) -> NDArray[np.float64]:
    """(frames, 3) the head's rotation of the sum of both eyes' directions (not normalised).

    Per-frame maths in blocks, so the (frames, 3, 3) rotations stay small however long the take.
    """
    world = np.empty((len(head), 3))
    for start in range(0, len(head), _BLOCK_FRAMES):
        h, lo, ri = head[start : start + _BLOCK_FRAMES], left[start : start + _BLOCK_FRAMES], right[start : start + _BLOCK_FRAMES]
        eye = direction_from_angles(lo[:, 0], lo[:, 1]) + direction_from_angles(ri[:, 0], ri[:, 1])
        world[start : start + _BLOCK_FRAMES] = np.einsum("nij,nj->ni", head_matrix(h[:, 0], h[:, 1], h[:, 2]), eye)
    return world


def controlled(angles: NDArray[np.float64], controls: Controls) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Head (frames, 3) and world gaze (frames, 2: pitch, yaw in the character frame) after the animator's controls.

    The generated gaze is turned into a world direction (head rotation applied to the mean of the
    two eyes), scaled by ``gaze_intensity`` and moved onto the listener's direction; the head is
    scaled by ``head_intensity`` and turned part-way towards the listener as the performer does.
    """
    from model_runtime.performer.head import facing

    head = angles[:, 0:3]
    pitch, yaw = angles_from_direction(_world_gaze(head, angles[:, 3:5], angles[:, 5:7]))
    look_at = np.array([controls.look_at_pitch_deg, controls.look_at_yaw_deg])
    world_gaze = look_at + np.column_stack([pitch, yaw]) * controls.gaze_intensity
    head = head * controls.head_intensity
    head[:, :2] += facing(look_at) * min(1.0, controls.head_intensity)
    return np.clip(head, -HEAD_LIMIT_DEG, HEAD_LIMIT_DEG), world_gaze


def apply_controls(angles: NDArray[np.float64], controls: Controls) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Head (frames, 3) and both eyes (frames, 2) after the animator's controls (:func:`controlled`),
    each eye aimed at the world point from its own centre (the finishing stage's
    :func:`~model_runtime.finishing.eyes_on_target`: vestibulo-ocular counter-rotation and vergence).
    """
    from model_runtime.finishing import eyes_on_target

    head, world_gaze = controlled(angles, controls)
    left, right = eyes_on_target(head, world_gaze, max(0.15, controls.look_at_distance_m))
    return head, np.clip(left, -EYE_LIMIT_DEG, EYE_LIMIT_DEG), np.clip(right, -EYE_LIMIT_DEG, EYE_LIMIT_DEG)


def world_shifts(world_gaze: NDArray[np.float64], fps: float) -> NDArray[np.float64]:
    """(k, 2): time (s) and amplitude (deg) of each shift of a world gaze (frames, 2), for the blink sampler."""
    from model_runtime.evaluation.events import detect_saccades

    world = direction_from_angles(world_gaze[:, 0], world_gaze[:, 1])
    return np.array([[s.start / fps, s.amplitude_deg] for s in detect_saccades(world, fps)]).reshape(-1, 2)


@dataclass(frozen=True)
class BlinkSource:
    """The performer style whose blink rate, length and partial share the blinks follow;
    ``measured`` when the rate is a take's own (its gaze-evoked blinks already counted), and a
    ``note`` when a fallback was used."""

    style: PerformerStyle
    measured: bool
    note: str = ""


def blink_parameters(style: StyleInput | ParsedStyle) -> BlinkSource:
    """Blinks from any style input. A reference take too short for the performer's style estimate
    (under 10 s) keeps its own blinks when it is at least 5 s long and its lids move, on the default
    preset's style otherwise; either way its gaze and head style still come from the take."""
    from model_runtime.performer.estimate import estimate_style, with_blinks_of
    from model_runtime.performer.presets import DEFAULT_PRESET, load_preset

    parsed = parse_style(style)
    if parsed.take is None:
        return BlinkSource(parsed.performer_style(), measured=False)
    clip, source = parsed.take, parsed.source
    try:
        return BlinkSource(estimate_style(clip, source=source), measured=True)
    except GazeError as exc:
        default = load_preset(DEFAULT_PRESET)
        try:
            return BlinkSource(with_blinks_of(clip, default, source), measured=True, note=f"blinks measured on the take alone: {exc}")
        except GazeError as short:
            return BlinkSource(default, measured=False, note=f"blinks follow the {DEFAULT_PRESET} preset: {exc}; {short}")


def generate_learned(features: SpeechFeatures, style: StyleInput | ParsedStyle, seed: int, controls: Controls, *, progress: Progress | None = None,
                     models: LearnedModels | None = None, temperature: float | None = None, onset_gain: float | None = None) -> MotionClip:
    """A clip at ``features.fps``, which must be the model's rate (:func:`learned_engine` sees to it).

    With ``controls.match_statistics`` (default) the draws are steered towards the style's
    statistics where it has them (:mod:`.steering`); without, the generator's draws stay as they
    come (the model card reports both). The clip's meta says which (``steered``)."""

    models = models or shipped_models()
    report = progress or (lambda fraction: None)
    config = models.config
    if abs(features.fps - config.fps) > 1e-6:
        raise ValueError(f"features must be at the model's {config.fps:g} fps, got {features.fps:g}")
    parsed = parse_style(style)  # read once, for the style vector and the blinks
    vector = resolve_style_vector(models, parsed, features)
    report(0.2)
    targets = vector.targets if controls.match_statistics else None
    angles = generate_frames(models.generator, audio_matrix(features), vector.vector, seed, temperature, onset_gain=onset_gain,
                             targets=targets, head_mover=vector.head_mover).astype(np.float64)
    report(0.7)
    head, world_gaze = controlled(angles, controls)
    blink = blink_parameters(parsed)
    from model_runtime.finishing import Finish, finish

    # Blinks and lids draw from their own streams so that changing the blink rate leaves the motion
    # as it was. A take's rate is measured, its gaze-evoked blinks included, so none come on top of
    # it. The generator's gaze already holds its fixational movements: none are added.
    blink_rng = np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 0xB1]))
    lid_rng = np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 0x11D]))
    how = Finish(blink_style=blink.style, gaze_shifts=world_shifts(world_gaze, config.fps), blink_rate_per_min=controls.blink_rate_per_min,
                 look_at_distance_m=controls.look_at_distance_m, exact_count=blink.measured, fixational_scale=None)
    data = finish(head, world_gaze, features, config.fps, how=how, rngs=(blink_rng, lid_rng, blink_rng)) if features.n_frames else np.zeros((0, len(CHANNELS)))
    report(1.0)
    meta = {"made_by": "learned", "engine": "learned", "seed": str(seed), "style": vector.source,
            "model_version": config.trained.get("version", ""), "steered": "yes" if targets is not None else "no"}
    if vector.note:
        meta["style_note"] = vector.note
    if blink.note:
        meta["blink_note"] = blink.note
    return MotionClip(fps=config.fps, data=np.nan_to_num(data), meta=meta)


def learned_engine(audio: AudioInput, fps: float, *, style: StyleInput | ParsedStyle, seed: int, controls: Controls, progress: Progress | None) -> MotionClip:
    """The engine :func:`model_runtime.generate.generate` calls for ``engine="learned"``: features at
    the model's rate (recomputed from audio, or resampled when features at another rate are given),
    generation, then the clip resampled to ``fps``."""
    from model_runtime.learned.features import resample_features

    models = shipped_models()
    model_fps = models.config.fps
    features = resample_features(audio, model_fps) if isinstance(audio, SpeechFeatures) else speech_features(audio, model_fps)
    report = progress or (lambda fraction: None)
    report(0.2)
    clip = generate_learned(features, style, seed, controls, progress=lambda fraction: report(0.2 + 0.8 * fraction), models=models)
    return clip.resample(fps)
