"""One Generate, from the panel's settings to keys on the rig; shared by the operators and headless runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from model_runtime import rig_pose
from model_runtime.clip import MotionClip
from model_runtime.conventions import angles_from_direction, snap_fps
from model_runtime.errors import GazeError

from . import keyframes, rig_mapping, sound

Progress = Callable[[float], None]


@dataclass
class Outcome:
    message: str
    warnings: list[str]
    result: keyframes.WriteResult
    clip: MotionClip


def target_armature(settings: Any, context_object: Any) -> Any:
    """The armature the panel names, else the active object."""
    return settings.armature or context_object


def audio_source(settings: Any, scene: Any) -> sound.AudioSource:
    if settings.audio_source == "FILE":
        return sound.source_from_file(settings.audio_file, settings.file_start_frame)
    return sound.source_from_strip(sound.pick_strip(scene, settings.strip_name), scene)


def look_at(settings: Any, scene: Any, target: rig_mapping.RigTarget) -> tuple[float, float, float] | None:
    """(pitch, yaw, distance in metres) of the eye-contact target seen from the head at rest."""
    if settings.eye_contact == "FORWARD":
        return None
    goal = scene.camera if settings.eye_contact == "CAMERA" else settings.eye_contact_object
    if goal is None:
        what = "The scene has no active camera" if settings.eye_contact == "CAMERA" else "No eye-contact object is set"
        raise GazeError(f"{what}: pick one in the Gaze panel, or set Eye Contact to Forward.")
    arm = target.armature
    bone = target.head_bone or target.left_eye_bone
    origin = np.array(arm.data.bones[bone].head_local) if bone else np.zeros(3)
    to_arm = np.array(arm.matrix_world.inverted())
    goal_arm = (to_arm @ np.append(np.array(goal.matrix_world.translation), 1.0))[:3]
    offset = rig_pose.CHARACTER_TO_ARMATURE.T @ (goal_arm - origin)
    distance = float(np.linalg.norm(offset)) * float(np.mean(np.array(arm.matrix_world.to_scale()))) * scene.unit_settings.scale_length
    if distance < 1e-6:
        raise GazeError(f"The eye-contact target '{goal.name}' sits at the head: move it in front of the character.")
    pitch, yaw = angles_from_direction(offset)
    return float(pitch), float(yaw), distance


def style_value(settings: Any, scene: Any, target: rig_mapping.RigTarget) -> Any:
    """What ``generate(style=...)`` gets: None, a preset name, a take path or a clip read from an action."""
    import bpy

    if settings.style_source == "PRESET":
        return settings.style_preset
    if settings.style_source == "TAKE":
        path = bpy.path.abspath(settings.style_take)
        if not path:
            raise GazeError("Style is 'Take File' but no take file is chosen in the Gaze panel.")
        return path
    if settings.style_source == "ACTION":
        action = settings.style_action
        if action is None:
            raise GazeError("Style is 'Action' but no action is chosen in the Gaze panel.")
        return keyframes.clip_from_action(action, target, sound.scene_fps(scene))
    return None


def run(scene: Any, settings: Any, armature: Any, seed: int | None = None, progress: Progress | None = None) -> Outcome:
    """Generate from the settings and key the result; raises GazeError (or a subclass) on bad input."""
    from model_runtime.generate import Controls, generate

    report = progress or (lambda _f: None)
    target = rig_mapping.resolve(settings, armature, scene)
    source = audio_source(settings, scene)
    try:
        # Refuse overlong audio before decoding it (minutes of work for a 60-minute strip).
        sound.check_length(sound.file_seconds(source.path), source.label, settings.max_minutes)
        signal = sound.load_signal(source)
    finally:
        source.cleanup()
    report(0.1)
    fps = sound.scene_fps(scene)
    gaze = look_at(settings, scene, target)
    controls = Controls(head_intensity=settings.head_intensity, gaze_intensity=settings.gaze_intensity, blink_rate_per_min=settings.blink_rate or None,
                        match_statistics=bool(settings.match_statistics))
    if gaze is not None:
        controls = replace(controls, look_at_pitch_deg=gaze[0], look_at_yaw_deg=gaze[1], look_at_distance_m=gaze[2])
    used_seed = settings.seed if seed is None else seed
    clip = generate(
        signal, fps, engine=settings.engine, style=style_value(settings, scene, target), seed=used_seed, controls=controls,
        progress=lambda f: report(0.1 + 0.8 * f),
    )  # fmt: skip
    if clip.fps != snap_fps(fps):
        clip = clip.resample(fps)
    info: dict[str, Any] = {"seed": used_seed, "engine": settings.engine}
    if "steered" in clip.meta:
        info["steered"] = clip.meta["steered"]
    return write(scene, target, clip, source, output=settings.output, info=info, report=report)


def write(scene: Any, target: rig_mapping.RigTarget, clip: MotionClip, source: sound.AudioSource, *, output: str, info: dict[str, Any], report: Progress) -> Outcome:
    """Key ``clip`` for ``source``'s placement; the shared tail of Generate and Apply Take."""
    fps = sound.scene_fps(scene)
    name = f"Gaze {source.label}"
    stored = {"audio": source.label, "fps": fps, "start_frame": source.start_frame, **info}
    result = keyframes.write_clip(
        target, clip, start_frame=source.start_frame, name=name, output=output, first_frame=source.first_frame, last_frame=source.last_frame, info=stored
    )
    report(1.0)
    warnings = list(target.notes)
    if result.kept:
        warnings.append(f"earlier take {', '.join(result.kept)} kept (fake user); Remove deletes only the active one")
    message = f"Gaze: {result.summary()} on {target.describe()}"
    return Outcome(message, warnings, result, clip)


def timing_problem(scene: Any, owner: Any) -> str | None:
    """A warning when the scene's frame rate changed since the active take was generated."""
    anim = getattr(owner, "animation_data", None)
    action = anim.action if anim is not None else None
    if action is None or not action.get(keyframes.TAG):
        return None
    made_at = float(action.get("gaze_fps", 0.0))
    now = sound.scene_fps(scene)
    if made_at and abs(made_at - now) > 1e-6:
        return f"'{action.name}' was made at {made_at:.3f} fps, the scene now runs at {now:.3f} fps: press Regenerate to re-time it."
    return None
