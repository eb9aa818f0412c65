"""One Generate, from a typed request to takes on the rig; shared by the operators and headless runs."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from model_runtime.clip import MotionClip
from model_runtime.conventions import snap_fps
from model_runtime.errors import GazeError

from . import aim, keyframes, layers, rig_mapping, sound, takes
from .request import GenerateRequest

if TYPE_CHECKING:
    from .properties import GazeSettings

Progress = Callable[[float], None]
# Sample this many frames of a take when checking that the eyeballs really turn.
_CHECK_FRAMES: Final[int] = 16


@dataclass
class Outcome:
    message: str
    warnings: list[str]
    target: rig_mapping.RigTarget  # what was keyed (resolved once, for what follows)
    lines: list[takes.TakeResult] = field(default_factory=list)
    clip: MotionClip | None = None

    @property
    def first_frame(self) -> float:
        return min(r.first_frame for r in self.lines)

    @property
    def last_frame(self) -> float:
        return max(r.last_frame for r in self.lines)


def target_armature(settings: GazeSettings, context_object: Any) -> Any:
    """The armature the panel names, else the active object."""
    return settings.armature or context_object


def style_value(request: GenerateRequest, scene: Any, target: rig_mapping.RigTarget) -> Any:
    """What ``generate(style=...)`` gets: None, a preset name, a take path or a clip read from an action."""
    import bpy

    style = request.style
    if style.source == "PRESET":
        return style.preset
    if style.source == "TAKE":
        path = bpy.path.abspath(style.take) if style.take else ""
        if not path:
            raise GazeError("Style is 'Take File' but no take file is chosen in the Gaze panel.")
        return path
    if style.source == "ACTION":
        if style.action is None:
            raise GazeError("Style is 'Action' but no action is chosen in the Gaze panel.")
        return keyframes.clip_from_action(style.action, target, sound.scene_fps(scene))
    return None


def _within_engine_range(look: aim.LookAt | None) -> aim.LookAt | None:
    """The listener as the engines take it: within reach of a head turn (beyond, the eyes do the rest)."""
    from model_runtime.generate import CONTROL_RANGES

    if look is None:
        return None
    pitch, yaw, distance = (float(np.clip(value, *CONTROL_RANGES[name])) for name, value in (
        ("look_at_pitch_deg", look.pitch_deg), ("look_at_yaw_deg", look.yaw_deg), ("look_at_distance_m", look.distance_m)))  # fmt: skip
    return aim.LookAt(pitch, yaw, distance)


def _controls(request: GenerateRequest, look: aim.LookAt | None) -> Any:
    from model_runtime.generate import Controls

    controls = Controls(
        head_intensity=request.head_intensity, gaze_intensity=request.gaze_intensity, blink_rate_per_min=request.blink_rate, match_statistics=request.match_statistics
    )
    if look is None:
        return controls
    return replace(controls, look_at_pitch_deg=look.pitch_deg, look_at_yaw_deg=look.yaw_deg, look_at_distance_m=look.distance_m)


def _perform(scene: Any, request: GenerateRequest, target: rig_mapping.RigTarget, *, signal: Any, seed: int, look: aim.LookAt | None, report: Progress) -> MotionClip:
    from model_runtime.generate import generate

    fps = sound.scene_fps(scene)
    clip = generate(signal, fps, engine=request.engine, style=style_value(request, scene, target), seed=seed, controls=_controls(request, look), progress=report)
    return clip.resample(fps) if clip.fps != snap_fps(fps) else clip


def take_name(label: str, request: GenerateRequest, seed: int) -> str:
    return f"Gaze {label[:30]} {request.style.label()[:16]} s{seed}"


def run(scene: Any, request: GenerateRequest, armature: Any, seed: int | None = None, progress: Progress | None = None) -> Outcome:
    """Generate every requested line and key it as a take; raises GazeError (or a subclass) on bad input."""
    report = progress or (lambda _f: None)
    target = rig_mapping.resolve(request.mapping, armature, scene)
    goal = aim.goal_of(request.contact, scene, target)
    sources = sound.sources(request.audio, scene)
    used_seed = request.seed if seed is None else seed
    results: list[takes.TakeResult] = []
    clip = None
    for index, source in enumerate(sources):
        share = 0.9 / len(sources)

        def part(f: float, i: int = index, s: float = share) -> None:
            report(i * s + s * f)

        signal = sound.load_line(source, request.audio.max_minutes)
        first, last = source.visible_frames(signal.duration, sound.scene_fps(scene))
        look = _within_engine_range(aim.look_at(scene, target, goal, 0.5 * (first + last)))
        clip = _perform(scene, request, target, signal=signal, seed=used_seed, look=look, report=part)
        recipe = {"seed": used_seed, "style": request.style.label(), "engine": request.engine}
        info = {"audio": source.label, "seed": used_seed, "engine": request.engine, "style": request.style.label(), "start_frame": source.start_frame}
        if "steered" in clip.meta:
            info["steered"] = clip.meta["steered"]
        results.append(
            takes.key_take(
                scene, target, clip, start_frame=source.start_frame, name=take_name(source.label, request, used_seed), kind="line", line=source.key,
                goal=goal, look=look, layering=request.layering, recipe=recipe, first_frame=first, last_frame=last, info=info,
            )
        )  # fmt: skip
    warnings = list(target.notes)
    for result in results:
        warnings += result.notes
        warnings += check_eyes_turn(scene, target, result)
    if request.fill_idle:
        warnings += fill_idle(scene, request, target, goal, used_seed)
    report(1.0)
    summary = "; ".join(r.summary() for r in results)
    return Outcome(f"Gaze: {summary} on {target.describe()}", warnings, target, results, clip)


def fill_idle(scene: Any, request: GenerateRequest, target: rig_mapping.RigTarget, goal: tuple[Any, str] | None, seed: int) -> list[str]:
    """Idle takes (silence: glances, blinks, small head motion) wherever no line plays in the scene's range."""
    from model_runtime.audio.loading import signal_from_array

    fps = sound.scene_fps(scene)
    notes: list[str] = []
    # All owners' idle strips first, then one retire: a slotted take is on the armature and the face.
    takes.retire([a for o, _ in takes.owners(target) for a in layers.clear_range(o, -math.inf, math.inf, kind="idle")], notes)
    idle_request = replace(request, style=request.style if request.style.source != "ACTION" else replace(request.style, source="DEFAULT"))
    for start, end, before, after in takes.gaps(target, int(scene.frame_start), int(scene.frame_end)):
        n = end - start + 1
        signal = signal_from_array(np.zeros(math.ceil(n / fps * 16000) + 1, dtype=np.float32), 16000, path=f"silence {start}-{end}")
        look = _within_engine_range(aim.look_at(scene, target, goal, 0.5 * (start + end)))
        clip = _perform(scene, idle_request, target, signal=signal, seed=seed + start, look=look, report=lambda _f: None)
        clip = clip.with_data(clip.data[:n]) if clip.n_frames > n else clip
        clip = takes.blend_edges(clip, takes.edge_row(before, "gaze_last"), takes.edge_row(after, "gaze_first"))
        takes.key_take(
            scene, target, clip, start_frame=start, name=f"Gaze idle {start}-{end}", kind="idle", line=f"idle {start}", goal=goal, look=look,
            layering=request.layering, info={"seed": seed + start},
        )  # fmt: skip
    return notes


def apply_take(scene: Any, request: GenerateRequest, armature: Any, path: str, start_frame: float, *, clip: MotionClip | None = None) -> Outcome:
    """Key a take file onto the rig as a line take (its own gaze, not re-aimed); ``clip``: the file
    already read."""
    from model_runtime.takes import load_take

    target = rig_mapping.resolve(request.mapping, armature, scene)
    clip = (clip or load_take(path)).resample(sound.scene_fps(scene))
    label = Path(path).stem
    result = takes.key_take(
        scene, target, clip, start_frame=start_frame, name=f"Gaze take {label[:40]}", kind="line", line=f"take {label}", goal=None, look=None,
        layering=request.layering, info={"take": path},
    )  # fmt: skip
    return Outcome(f"Gaze: {result.summary()} on {target.describe()}", target.notes + result.notes, target, [result], clip)


# Constraints that pass a target bone's rotation on (a Damped Track only follows its position).
_ROTATION_FOLLOWERS: Final = frozenset({"COPY_ROTATION", "COPY_TRANSFORMS", "CHILD_OF", "TRANSFORM", "ARMATURE", "ACTION", "LOCKED_TRACK"})


def _followers(armature: Any, scene: Any, bone: str) -> bool:
    """Whether anything turns with ``bone``: it deforms, has child bones, carries objects, or a
    constraint passes its rotation on."""
    data = armature.data.bones[bone]
    if data.use_deform or len(data.children):
        return True
    if any(o.parent == armature and o.parent_type == "BONE" and o.parent_bone == bone for o in scene.objects):
        return True
    return any(c.type in _ROTATION_FOLLOWERS and getattr(c, "subtarget", "") == bone for pb in armature.pose.bones for c in pb.constraints)


def check_eyes_turn(scene: Any, target: rig_mapping.RigTarget, result: takes.TakeResult) -> list[str]:
    """A note when the keyed eye bones turn no eyeball: nothing follows them, or the eyeballs stay still."""
    if target.eyes_by_shape_keys or not target.eye_bones:
        return []
    arm = target.armature
    if target.eye_drive == "ROTATION" and not any(_followers(arm, scene, b) for b in target.eye_bones):
        return [_nothing_follows(target)]
    frames = np.round(np.linspace(result.first_frame, result.last_frame, _CHECK_FRAMES))
    seen = np.array([aim.eyes_in_head_now(target) for _ in aim.visit(scene, frames)]).reshape(len(frames), -1)
    seen = seen[:, ~np.isnan(seen).any(axis=0)]
    if not seen.size:
        return []
    return [_nothing_follows(target)] if float(np.max(np.ptp(seen, axis=0))) < 0.2 else []


def _nothing_follows(target: rig_mapping.RigTarget) -> str:
    arm = target.armature
    keyed = ", ".join(f"'{b}'" for b in target.eye_bones)
    candidates = [
        b.name for b in arm.data.bones if "eye" in b.name.lower() and b.name not in target.eye_bones and (b.use_deform or len(b.children) or b.name.startswith("ORG-"))
    ][:6]
    hint = f" Bones that would turn the eyeballs: {', '.join(candidates)} (pick them with the Custom mapping)." if candidates else ""
    if rig_mapping.is_generated_rigify(arm):
        hint = " This is a generated Rigify rig: use Mapping 'Rigify' (or Auto), which moves its eye target controls."
    return f"The eyes do not move: the keyed bones {keyed} turn no eyeball (nothing deforms with them or follows them).{hint}"


def timing_problem(scene: Any, owner: Any) -> str | None:
    """A warning when the scene's frame rate changed since the takes on ``owner`` were generated."""
    if owner is None:
        return None
    now = sound.scene_fps(scene)
    for strip in layers.strips(owner, "line"):
        made_at = float(strip.action.get("gaze_fps", 0.0))
        if made_at and abs(made_at - now) > 1e-6:
            return f"'{strip.action.name}' was made at {made_at:.3f} fps; the scene now plays at {now:.3f} fps. Press Generate (same seed) to re-time it."
    return None

