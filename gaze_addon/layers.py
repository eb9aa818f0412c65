"""Generated motion as a layer over the animator's work: one NLA track per animated ID, never theirs.

Every take (a line, or the idle motion between lines) is a strip on the track :data:`TRACK` at the
top of the owner's NLA stack, blended with COMBINE (rotations multiply, values add) and
extrapolated with NOTHING, so it neither hides nor outlives the user's animation:
- the user's active action keeps playing on top; in ``ADD`` layering, an active action that keys a
  channel the take also keys is switched to COMBINE (restored on Remove), so their head keys and
  the generated head add up; in ``USER`` layering their keys win;
- the user's own tracks, strips and stashes are never touched.
What the add-on changed on an owner (blend type, pose values) is remembered in ID properties on
that owner and put back by :func:`remove`.
"""

from __future__ import annotations

import json
from typing import Any

from . import compat

TRACK = "Gaze"
TAG = "gaze_generated"
KIND = "gaze_kind"  # "line" or "idle"
LINE = "gaze_line"
_BLEND_BEFORE = "gaze_user_blend"
_POSE_BEFORE = "gaze_pose_before"


def is_generated(action: Any) -> bool:
    return action is not None and bool(action.get(TAG, False))


def _anim(owner: Any) -> Any:
    return owner.animation_data or owner.animation_data_create()


def our_tracks(owner: Any) -> list[Any]:
    """Tracks holding only generated strips (ours, whatever they were renamed to)."""
    anim = getattr(owner, "animation_data", None)
    if anim is None:
        return []
    return [t for t in anim.nla_tracks if len(t.strips) and all(is_generated(s.action) for s in t.strips)] + [
        t for t in anim.nla_tracks if t.name == TRACK and not len(t.strips)
    ]


def track(owner: Any) -> Any:
    """The owner's gaze track, made at the top of its stack when missing."""
    for found in our_tracks(owner):
        return found
    new = _anim(owner).nla_tracks.new()
    new.name = TRACK
    return new


def strips(owner: Any, kind: str | None = None) -> list[Any]:
    """Generated strips on ``owner`` (of one kind if given), in time order."""
    found = [s for t in our_tracks(owner) for s in t.strips if kind is None or (s.action is not None and s.action.get(KIND) == kind)]
    return sorted(found, key=lambda s: s.frame_start)


def clear_range(owner: Any, first: float, last: float, kind: str | None = None) -> list[Any]:
    """Remove generated strips overlapping frames [first, last]; returns their actions."""
    freed = []
    for t in our_tracks(owner):
        for strip in list(t.strips):
            if kind is not None and strip.action is not None and strip.action.get(KIND) != kind:
                continue
            if strip.frame_start <= last + 0.5 and strip.frame_end >= first - 0.5:
                freed.append(strip.action)
                t.strips.remove(strip)
    return freed


def place(owner: Any, action: Any, slot: Any, first: float, last: float) -> Any:
    """Put ``action``'s frames [first, last] on the gaze track there: COMBINE, no extrapolation.

    The action gets a manual frame range first: a new strip takes its length from it, and one that
    came out longer (a slotted action's range spans its other slots) would push the next take along.
    """
    remember_pose(owner)
    action.use_frame_range = True
    action.frame_start, action.frame_end = first, max(last, first + 1.0)
    strip = compat.new_strip(track(owner), action, slot, first)
    strip.blend_type = "COMBINE"
    strip.extrapolation = "NOTHING"
    strip.use_sync_length = False
    return strip


def keyed_paths(action: Any, slot: Any) -> set[str]:
    return {c.data_path for c in compat.fcurves(action, slot)}


def layer_user_action(owner: Any, paths: set[str], mode: str) -> str | None:
    """Let the user's active action combine with the take where both key the same channels.

    Returns a note for the animator, or None when nothing needed doing.
    """
    anim = getattr(owner, "animation_data", None)
    action = anim.action if anim is not None else None
    if anim is None or action is None or is_generated(action):
        return None
    shared = keyed_paths(action, compat.action_slot_of(owner)) & paths
    if not shared:
        return None
    if mode == "USER":
        return f"your action '{action.name}' keys {_channels(shared)}: your keys win there (Layering: Mine Win)"
    if anim.action_blend_type != "COMBINE":
        if _BLEND_BEFORE not in owner:
            owner[_BLEND_BEFORE] = anim.action_blend_type
        anim.action_blend_type = "COMBINE"
    return f"your action '{action.name}' keys {_channels(shared)}: it now adds to the generated motion (Remove puts it back)"


def _channels(paths: set[str]) -> str:
    names = sorted({p.split('"')[1] if '"' in p else p for p in paths})
    return ", ".join(names[:4]) + (" ..." if len(names) > 4 else "")


def remember_pose(owner: Any) -> None:
    """Store the values the add-on may change, the first time it writes to ``owner``."""
    if _POSE_BEFORE in owner:
        return
    pose: dict[str, list[float]] = {}
    if getattr(owner, "pose", None) is not None:
        for bone in owner.pose.bones:
            pose[bone.name] = [*bone.location, *bone.rotation_quaternion, *bone.rotation_euler, *bone.rotation_axis_angle]
    elif getattr(owner, "key_blocks", None) is not None:
        pose = {block.name: [block.value] for block in owner.key_blocks}
    else:
        return
    owner[_POSE_BEFORE] = json.dumps(pose)


def restore_pose(owner: Any, forget: bool = True) -> None:
    """Put back the values stored by :func:`remember_pose` (channels nothing else animates keep
    whatever was last evaluated, so a muted or removed layer would otherwise leave its pose)."""
    stored = owner.get(_POSE_BEFORE)
    if stored is None:
        return
    if forget:
        del owner[_POSE_BEFORE]
    if getattr(owner, "key_blocks", None) is not None:
        for name, values in json.loads(stored).items():
            block = owner.key_blocks.get(name)
            if block is not None:
                block.value = values[0]
        return
    for name, values in json.loads(stored).items():
        bone = owner.pose.bones.get(name)
        if bone is None:
            continue
        bone.location = values[0:3]
        bone.rotation_quaternion = values[3:7]
        bone.rotation_euler = values[7:10]
        bone.rotation_axis_angle = values[10:14]


def mute(owner: Any, muted: bool) -> list[Any]:
    """(Un)mute the gaze tracks of ``owner``; returns the tracks changed."""
    changed = []
    for t in our_tracks(owner):
        if t.mute != muted:
            t.mute = muted
            changed.append(t)
    return changed


def remove(owner: Any) -> list[Any]:
    """Take every generated strip and track off ``owner`` and undo the add-on's changes to it.

    Returns the actions the strips held (the caller decides which to delete). The user's tracks,
    strips and active action are left as they are; a blend type the add-on changed is put back.
    """
    anim = getattr(owner, "animation_data", None)
    freed: list[Any] = []
    if anim is not None:
        for t in our_tracks(owner):
            freed += [s.action for s in t.strips]
            anim.nla_tracks.remove(t)
        if _BLEND_BEFORE in owner:
            anim.action_blend_type = owner[_BLEND_BEFORE]
            del owner[_BLEND_BEFORE]
    if _BLEND_BEFORE in owner:
        del owner[_BLEND_BEFORE]
    restore_pose(owner)
    return freed
