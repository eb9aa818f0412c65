"""Generate, Regenerate (new seed), Remove, Apply Take and Export CSV: thin operators over :mod:`.pipeline`.

Every failure is a report line: expected ones (GazeError) in their own words, anything else as
one line naming what failed, never a traceback in the user's face. The buttons are greyed out
(``poll``) while no armature is picked or active.
"""

from __future__ import annotations

import random
import traceback
from pathlib import Path
from typing import Any, Literal

import bpy
from bpy.props import BoolProperty, EnumProperty, IntProperty, StringProperty

from model_runtime.errors import GazeError

from . import pipeline, rig_mapping, sound, takes
from .properties import GazeSettings, scene_settings
from .request import from_settings

Result = set[Literal["RUNNING_MODAL", "CANCELLED", "FINISHED", "PASS_THROUGH", "INTERFACE"]]


def _scene(context: bpy.types.Context) -> bpy.types.Scene:
    scene = context.scene
    if scene is None:
        raise GazeError("No scene is open.")
    return scene


def _owners(settings: GazeSettings, context: bpy.types.Context) -> list[Any]:
    """The objects and shape-key blocks a Generate on the current target could have written to."""
    arm = pipeline.target_armature(settings, context.active_object)
    owners: list[Any] = [arm] if arm is not None else []
    if arm is not None and arm.type == "ARMATURE":
        for mesh in rig_mapping.bound_meshes(arm, _scene(context)):
            if mesh.data.shape_keys is not None:
                owners.append(mesh.data.shape_keys)
    face = settings.face_mesh
    if face is not None and face.data.shape_keys is not None and face.data.shape_keys not in owners:
        owners.append(face.data.shape_keys)
    return owners


def _has_target(context: bpy.types.Context) -> bool:
    if context.scene is None or not hasattr(context.scene, "gaze"):
        return False
    arm = pipeline.target_armature(scene_settings(context.scene), context.active_object)
    return arm is not None and arm.type == "ARMATURE"


class _OnACharacter:
    """Greyed out (``poll``) until an armature is picked in the panel or active."""

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return _has_target(context)


def _done(operator: bpy.types.Operator, settings: GazeSettings, message: str, warnings: list[str] | tuple[str, ...] = ()) -> Result:
    """Report the warnings and the message, and show them all on the panel's status line."""
    for warning in warnings:
        operator.report({"WARNING"}, warning)
    operator.report({"INFO"}, message)
    settings.status = "; ".join([message, *warnings])
    return {"FINISHED"}


def _fail(operator: bpy.types.Operator, settings: GazeSettings, error: BaseException) -> Result:
    if isinstance(error, (GazeError, ValueError, OSError)):
        text = str(error)
    else:  # a bug: one line for the animator, the details in the console
        traceback.print_exc()
        text = f"Gaze failed unexpectedly ({type(error).__name__}: {error}); nothing was changed. Details are in the system console."
    settings.status = f"Failed: {text}"
    operator.report({"ERROR"}, text)
    return {"CANCELLED"}


def _generate(operator: bpy.types.Operator, context: bpy.types.Context, seed: int | None) -> Result:
    scene = _scene(context)
    settings = scene_settings(scene)
    armature = pipeline.target_armature(settings, context.active_object)
    wm = context.window_manager
    if wm is not None:
        wm.progress_begin(0.0, 1.0)
    try:
        outcome = pipeline.run(scene, from_settings(settings), armature, seed, wm.progress_update if wm is not None else None)
    except Exception as error:
        return _fail(operator, settings, error)
    finally:
        if wm is not None:
            wm.progress_end()
    return _done(operator, settings, outcome.message, outcome.warnings)


class GAZE_OT_generate(_OnACharacter, bpy.types.Operator):
    """Generate gaze, head and blinks from the dialogue as a layer on the rig (a take per line)"""

    bl_idname = "gaze.generate"
    bl_label = "Generate"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012

    seed: IntProperty(name="Seed", default=-1, description="-1: the panel's seed")  # type: ignore[valid-type]

    def execute(self, context: bpy.types.Context) -> Result:
        return _generate(self, context, None if self.seed < 0 else self.seed)


class GAZE_OT_regenerate(_OnACharacter, bpy.types.Operator):
    """Generate again with a new random seed (the line's earlier take is replaced; an edited one is kept)"""

    bl_idname = "gaze.regenerate"
    bl_label = "Regenerate"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012

    def execute(self, context: bpy.types.Context) -> Result:
        settings = scene_settings(_scene(context))
        settings.seed = random.randrange(1, 2**31 - 1)
        return _generate(self, context, settings.seed)


class GAZE_OT_remove(_OnACharacter, bpy.types.Operator):
    """Remove the generated takes from the character and put back what the add-on changed"""

    bl_idname = "gaze.remove"
    bl_label = "Remove"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012

    def execute(self, context: bpy.types.Context) -> Result:
        scene = _scene(context)
        settings = scene_settings(scene)
        try:
            owners = _owners(settings, context)
            for owner in owners:
                if getattr(owner, "library", None) is not None:
                    raise GazeError(f"'{owner.name}' is linked from a library and read-only; nothing removed.")
            removed, notes = takes.remove_all(owners)
            scene.frame_set(scene.frame_current)
        except Exception as error:
            return _fail(self, settings, error)
        if not removed:
            self.report({"WARNING"}, "No generated takes on this character to remove.")
            return {"CANCELLED"}
        return _done(self, settings, f"Removed {len(removed)} takes: {', '.join(removed[:4])}" + (" ..." if len(removed) > 4 else ""), notes)


class GAZE_OT_conversation(bpy.types.Operator):
    """Animate the whole conversation: every character speaks its sound strips and listens to the others' (one take each)"""

    bl_idname = "gaze.conversation"
    bl_label = "Animate Conversation"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        scene = context.scene
        return scene is not None and sum(o.type == "ARMATURE" for o in scene.objects) >= 2

    only_active: BoolProperty(name="Only the Active Character", description="Key only the active armature; the others' takes stay", default=False)  # type: ignore[valid-type]

    def execute(self, context: bpy.types.Context) -> Result:
        from . import conversation

        scene = _scene(context)
        settings = scene_settings(scene)
        try:
            active = context.active_object
            only = active.name if self.only_active and active is not None else None
            results = conversation.run(scene, from_settings(settings), only=only)
        except Exception as error:
            return _fail(self, settings, error)
        notes = [n for r in results for n in r.notes]
        return _done(self, settings, f"Conversation: {len(results)} characters keyed, frames {results[0].first_frame:g}-{results[0].last_frame:g}", notes)


class GAZE_OT_regenerate_line(bpy.types.Operator):
    """Perform the Sequencer's active sound strip anew with a new seed: its speaker's motion around that line changes, nothing else"""

    bl_idname = "gaze.regenerate_line"
    bl_label = "Regenerate Line"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return GAZE_OT_conversation.poll(context)

    def execute(self, context: bpy.types.Context) -> Result:
        from . import conversation

        scene = _scene(context)
        settings = scene_settings(scene)
        strip = sound.active_strip(scene)
        try:
            if strip is None:
                raise GazeError("Select the line's sound strip in the Video Sequencer first (it becomes the active strip).")
            seed = random.randrange(0, conversation.MAX_LINE_SEED)
            results = conversation.regenerate_line(scene, from_settings(settings), strip, seed)
        except Exception as error:
            return _fail(self, settings, error)
        notes = [n for r in results for n in r.notes]
        return _done(self, settings, f"Line '{strip.name}' performed anew (seed {seed}); {results[0].summary()}", notes)


_DEFAULT_ADDRESSEE = "DEFAULT"
_addressee_items: list[tuple[str, str, str]] = []  # Blender reads dynamic enum items after the callback returns: keep them alive


def _addressees(_self: Any, context: bpy.types.Context | None) -> list[tuple[str, str, str]]:
    scene = context.scene if context is not None else None
    names = sorted(o.name for o in scene.objects if o.type == "ARMATURE") if scene is not None else []
    _addressee_items[:] = [(_DEFAULT_ADDRESSEE, "Who Spoke Last", "The character who spoke last before this line, else the nearest")]
    _addressee_items.extend((name, name, f"This line is said to {name}") for name in names)
    return _addressee_items


class GAZE_OT_set_addressee(bpy.types.Operator):
    """Say whom the Sequencer's active sound strip is said to (its speaker looks at them while saying it)"""

    bl_idname = "gaze.set_addressee"
    bl_label = "Said To"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012

    addressee: EnumProperty(name="Said To", items=_addressees)  # type: ignore[valid-type]

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return context.scene is not None and sound.active_strip(context.scene) is not None

    def execute(self, context: bpy.types.Context) -> Result:
        from . import conversation

        scene = _scene(context)
        strip = sound.active_strip(scene)
        if self.addressee == _DEFAULT_ADDRESSEE:
            strip.pop(conversation.ADDRESSEE_PROPERTY, None)
            return _done(self, scene_settings(scene), f"'{strip.name}' is said to whoever spoke last")
        strip[conversation.ADDRESSEE_PROPERTY] = self.addressee
        return _done(self, scene_settings(scene), f"'{strip.name}' is said to '{self.addressee}'")


class GAZE_OT_assign_strip(_OnACharacter, bpy.types.Operator):
    """Say that the character (the panel's armature, else the active one) speaks the sequencer's active sound strip"""

    bl_idname = "gaze.assign_strip"
    bl_label = "Assign Active Strip"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012

    def execute(self, context: bpy.types.Context) -> Result:
        from . import conversation

        scene = _scene(context)
        settings = scene_settings(scene)
        strip = sound.active_strip(scene)
        if strip is None:
            return _fail(self, settings, GazeError("Select a sound strip in the Video Sequencer first (it becomes the active strip)."))
        armature = pipeline.target_armature(settings, context.active_object)
        conversation.assign(strip, armature.name)
        return _done(self, settings, f"'{armature.name}' speaks the sound strip '{strip.name}'")


class GAZE_OT_clear_history(_OnACharacter, bpy.types.Operator):
    """Forget the recipes of earlier takes and delete the earlier takes kept for this character (your edited ones included)"""

    bl_idname = "gaze.clear_history"
    bl_label = "Clear History"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012

    def execute(self, context: bpy.types.Context) -> Result:
        settings = scene_settings(_scene(context))
        dropped, deleted = takes.clear_history(_owners(settings, context))
        deleted_names = f" ({', '.join(deleted[:3])})" if deleted else ""
        return _done(self, settings, f"History cleared: {dropped} earlier recipes forgotten, {len(deleted)} kept takes deleted{deleted_names}")


class GAZE_OT_apply_take(_OnACharacter, bpy.types.Operator):
    """Key an existing take file (Live Link Face CSV, FLAME sequence, project npz/csv) onto the rig"""

    bl_idname = "gaze.apply_take"
    bl_label = "Apply Take"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012

    filepath: StringProperty(subtype="FILE_PATH")  # type: ignore[valid-type]
    start_frame: IntProperty(name="Start Frame", default=1)  # type: ignore[valid-type]

    def invoke(self, context: bpy.types.Context, _event: bpy.types.Event) -> Result:
        self.start_frame = _scene(context).frame_start
        if context.window_manager is not None:
            context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context: bpy.types.Context) -> Result:
        scene = _scene(context)
        settings = scene_settings(scene)
        try:
            path = bpy.path.abspath(self.filepath)
            if not Path(path).is_file():
                raise GazeError(f"Apply Take: no such file '{path}' (expected a Live Link Face CSV, FLAME .npz/.npy or a project take).")
            armature = pipeline.target_armature(settings, context.active_object)
            outcome = pipeline.apply_take(scene, from_settings(settings), armature, path, float(self.start_frame))
        except Exception as error:
            return _fail(self, settings, error)
        return _done(self, settings, outcome.message, outcome.warnings)


class GAZE_OT_export_csv(_OnACharacter, bpy.types.Operator):
    """Write the character's gaze, head and blinks as an ARKit / Live Link Face CSV (the take under the playhead, as it plays)"""

    bl_idname = "gaze.export_csv"
    bl_label = "Export CSV"
    bl_options = {"REGISTER"}  # noqa: RUF012

    filepath: StringProperty(subtype="FILE_PATH")  # type: ignore[valid-type]
    filter_glob: StringProperty(default="*.csv", options={"HIDDEN"})  # type: ignore[valid-type]
    whole_scene: BoolProperty(name="Whole Scene", description="The scene's frame range instead of the take under the playhead", default=False)  # type: ignore[valid-type]

    def invoke(self, context: bpy.types.Context, _event: bpy.types.Event) -> Result:
        if not self.filepath:
            self.filepath = "gaze_take.csv"
        if context.window_manager is not None:
            context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context: bpy.types.Context) -> Result:
        from . import export

        scene = _scene(context)
        settings = scene_settings(scene)
        try:
            target = rig_mapping.resolve(from_settings(settings).mapping, pipeline.target_armature(settings, context.active_object), scene)
            span = None if self.whole_scene else export.take_range(target, scene.frame_current)
            first, last = span or (scene.frame_start, scene.frame_end)
            out = export.write_live_link(export.clip_from_scene(scene, target, first, last), bpy.path.abspath(self.filepath))
        except Exception as error:
            return _fail(self, settings, error)
        return _done(self, settings, f"Exported frames {first}-{last} to {out}")


CLASSES = (GAZE_OT_generate, GAZE_OT_regenerate, GAZE_OT_remove, GAZE_OT_conversation, GAZE_OT_regenerate_line, GAZE_OT_set_addressee, GAZE_OT_assign_strip, GAZE_OT_clear_history, GAZE_OT_apply_take, GAZE_OT_export_csv)
