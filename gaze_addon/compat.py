"""Every difference between the Blender versions the add-on supports (3.4, 4.2, 4.5, 5.0) lives here.

- 4.4 introduced slotted actions: F-curves live in a channelbag per slot, and an action assigned
  to an ID needs a slot; 5.0 removed ``Action.fcurves`` / ``groups`` / ``id_root``.
- The sequencer's strip collection is ``strips`` from 4.4 (``sequences`` before, gone in 5.0).
- ``aud`` (audaspace) is missing from the PyPI 4.2 ``bpy`` wheel.
- ``bpy.utils.register_cli_command`` exists from 4.2.
- The glTF exporter's animation modes (one clip of the whole scene) exist from 3.6.
"""

from __future__ import annotations

import functools
from typing import Any

import bpy

VERSION: tuple[int, int, int] = tuple(bpy.app.version)  # type: ignore[assignment]
SLOTTED_ACTIONS = VERSION >= (4, 4, 0)


def new_take_actions(name: str, id_types: tuple[str, ...]) -> dict[str, tuple[Any, Any]]:
    """Where one take's curves go, per ID type ('OBJECT', 'KEY'): (action, slot).

    From 4.4 one action with a slot per ID type (glTF then exports one clip per take); before,
    one action per ID type, the face's named ``NAME (face)``.
    """
    if not SLOTTED_ACTIONS:
        out = {}
        for id_type in id_types:
            action: Any = bpy.data.actions.new(name if id_type == "OBJECT" else f"{name} (face)")
            action.id_root = id_type
            out[id_type] = (action, None)
        return out
    slotted: Any = bpy.data.actions.new(name)
    return {id_type: (slotted, slotted.slots.new(id_type=id_type, name=f"{name[:50]} {id_type.lower()}")) for id_type in id_types}


def escape(name: str) -> str:
    """A bone or shape key name as it must appear inside an F-curve data path's quotes."""
    return str(bpy.utils.escape_identifier(name))


def new_strip(track: Any, action: Any, slot: Any, first: float) -> Any:
    """A strip of ``action`` (playing ``slot`` on 4.4+) on the NLA ``track`` from frame ``first``."""
    strip = track.strips.new(action.name[:60], round(first), action)
    if slot is not None and hasattr(strip, "action_slot"):
        strip.action_slot = slot
    return strip


def action_slot_of(owner: Any) -> Any:
    """The slot the owner's active action plays for it (None before 4.4)."""
    anim = owner.animation_data
    return getattr(anim, "action_slot", None) if anim is not None else None


def _channelbag(action: Any, slot: Any, create: bool) -> Any:
    if create:
        try:
            from bpy_extras import anim_utils

            ensure = anim_utils.action_ensure_channelbag_for_slot  # type: ignore[attr-defined]  # 5.0+, not in the 4.5 stubs
        except (ImportError, AttributeError):
            ensure = None
        if ensure is not None:
            return ensure(action, slot)
        layer = action.layers[0] if len(action.layers) else action.layers.new("Layer")
        strip = layer.strips[0] if len(layer.strips) else layer.strips.new(type="KEYFRAME")
        return strip.channelbag(slot, ensure=True)
    for layer in action.layers:
        for strip in layer.strips:
            bag = strip.channelbag(slot)
            if bag is not None:
                return bag
    return None


def fcurves(action: Any, slot: Any) -> Any:
    """The F-curve collection that holds ``slot``'s curves (an empty tuple if it has none)."""
    if not SLOTTED_ACTIONS:
        return action.fcurves
    if slot is None:
        slot = action.slots[0] if len(action.slots) else None
        if slot is None:
            return ()
    bag = _channelbag(action, slot, create=False)
    return bag.fcurves if bag is not None else ()


def new_fcurve(action: Any, slot: Any, data_path: str, index: int, group: str) -> Any:
    """A new F-curve in ``action`` (for ``slot`` on 4.4+), put in the channel group ``group``."""
    if not SLOTTED_ACTIONS:
        return action.fcurves.new(data_path, index=index, action_group=group)
    bag = _channelbag(action, slot, create=True)
    curve = bag.fcurves.new(data_path, index=index)
    groups = bag.groups
    curve.group = groups.get(group) or groups.new(group)
    return curve


def sound_strips(scene: Any) -> list[Any]:
    """Every sound strip of the scene's sequencer, meta strips included."""
    editor = scene.sequence_editor
    if editor is None:
        return []
    everything = getattr(editor, "strips_all", None)
    if everything is None:
        everything = editor.sequences_all
    return [s for s in everything if s.type == "SOUND"]


def new_sound_strip(scene: Any, name: str, filepath: str, channel: int, frame_start: int) -> Any:
    """Add a sound strip (needs audaspace: not in the 4.2 PyPI wheel, see :func:`has_audio`)."""
    editor = scene.sequence_editor or scene.sequence_editor_create()
    collection = getattr(editor, "strips", None)
    if collection is None:
        collection = editor.sequences
    return collection.new_sound(name, filepath, channel, frame_start)


def has_audio() -> bool:
    """Whether this Blender was built with audaspace (sound strips can be created and read).

    The build option, not ``import aud``: Debian's 3.4 has audaspace, but its ``aud`` module fails
    to import next to a numpy 2 (built against numpy 1).
    """
    return bool(bpy.app.build_options.audaspace)


def can_register_cli_command() -> bool:
    return hasattr(bpy.utils, "register_cli_command")


def register_cli_command(name: str, function: Any) -> Any:
    """``blender -c NAME ...`` on 4.2+ (a handle for unregistering), None before."""
    if not can_register_cli_command():
        return None
    return bpy.utils.register_cli_command(name, function)


def unregister_cli_command(handle: Any) -> None:
    if handle is not None and hasattr(bpy.utils, "unregister_cli_command"):
        bpy.utils.unregister_cli_command(handle)


@functools.cache
def audio_module() -> Any:
    """Blender's audio module ``aud`` where it decodes here, else None (tried once: a failing import prints numpy's traceback).

    None on the PyPI 4.2 wheel (built without audaspace) and where ``import aud`` fails: Debian's
    3.4 ``aud`` is built against numpy 1 and does not import next to a numpy 2.
    """
    if not has_audio():
        return None
    import numpy

    if VERSION < (4, 0, 0) and int(numpy.__version__.split(".")[0]) >= 2:
        return None  # its aud needs numpy 1; importing it would only print numpy's ABI traceback
    try:
        import aud
    except Exception:  # ImportError, or numpy's ABI check failing inside the import
        return None
    return aud


def gltf_scene_animation() -> dict[str, Any]:
    """The glTF exporter's arguments for one clip of the scene's evaluated animation (layers included).

    Its animation modes arrived in 3.6; 3.4 can only export actions or NLA tracks one by one.
    """
    if VERSION < (3, 6, 0):
        from model_runtime.errors import GazeError

        raise GazeError(f"glTF export of a layered take needs Blender 3.6 or later (this is {bpy.app.version_string}); export FBX instead")
    return {"export_animation_mode": "SCENE"}
