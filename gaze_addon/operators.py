"""Generate, Regenerate (new seed), Remove and Apply Take: thin operators over :mod:`.pipeline`.

Every failure is a report line: expected ones (GazeError) in their own words, anything else as
one line naming what failed, never a traceback in the user's face.
"""

import random
import traceback
from pathlib import Path

import bpy
from bpy.props import IntProperty, StringProperty

from model_runtime.errors import GazeError

from . import pipeline, rig_mapping, takes
from .request import from_settings


def _owners(settings, context):
    """The objects and shape-key blocks a Generate on the current target could have written to."""
    arm = pipeline.target_armature(settings, context.active_object)
    owners = [arm] if arm is not None else []
    if arm is not None and arm.type == "ARMATURE":
        for mesh in rig_mapping.bound_meshes(arm, context.scene):
            if mesh.data.shape_keys is not None:
                owners.append(mesh.data.shape_keys)
    if settings.face_mesh is not None and settings.face_mesh.data.shape_keys is not None and settings.face_mesh.data.shape_keys not in owners:
        owners.append(settings.face_mesh.data.shape_keys)
    return owners


def _has_target(context):
    if context.scene is None or not hasattr(context.scene, "gaze"):
        return False
    arm = pipeline.target_armature(context.scene.gaze, context.active_object)
    return arm is not None and arm.type == "ARMATURE"


def _finish(operator, settings, outcome):
    for warning in outcome.warnings:
        operator.report({"WARNING"}, warning)
    operator.report({"INFO"}, outcome.message)
    settings.status = "; ".join([outcome.message, *outcome.warnings])


def _fail(operator, settings, error):
    if isinstance(error, (GazeError, ValueError, OSError)):
        text = str(error)
    else:  # a bug: one line for the animator, the details in the console
        traceback.print_exc()
        text = f"Gaze failed unexpectedly ({type(error).__name__}: {error}); nothing was changed. Details are in the system console."
    settings.status = f"Failed: {text}"
    operator.report({"ERROR"}, text)
    return {"CANCELLED"}


def _generate(operator, context, seed):
    settings = context.scene.gaze
    armature = pipeline.target_armature(settings, context.active_object)
    wm = context.window_manager
    wm.progress_begin(0.0, 1.0)
    try:
        outcome = pipeline.run(context.scene, from_settings(settings), armature, seed, wm.progress_update)
    except Exception as error:
        return _fail(operator, settings, error)
    finally:
        wm.progress_end()
    _finish(operator, settings, outcome)
    return {"FINISHED"}


class GAZE_OT_generate(bpy.types.Operator):
    """Generate gaze, head and blinks from the dialogue as a layer on the rig (a take per line)"""

    bl_idname = "gaze.generate"
    bl_label = "Generate"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012

    seed: IntProperty(name="Seed", default=-1, description="-1: the panel's seed")  # type: ignore[valid-type]

    @classmethod
    def poll(cls, context):
        return _has_target(context)

    def execute(self, context):
        return _generate(self, context, None if self.seed < 0 else self.seed)


class GAZE_OT_regenerate(bpy.types.Operator):
    """Generate again with a new random seed (the line's earlier take is replaced; an edited one is kept)"""

    bl_idname = "gaze.regenerate"
    bl_label = "Regenerate"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012

    @classmethod
    def poll(cls, context):
        return _has_target(context)

    def execute(self, context):
        settings = context.scene.gaze
        settings.seed = random.randrange(1, 2**31 - 1)
        return _generate(self, context, settings.seed)


class GAZE_OT_remove(bpy.types.Operator):
    """Remove the generated takes from the character and put back what the add-on changed"""

    bl_idname = "gaze.remove"
    bl_label = "Remove"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012

    @classmethod
    def poll(cls, context):
        return _has_target(context)

    def execute(self, context):
        settings = context.scene.gaze
        try:
            owners = _owners(settings, context)
            for owner in owners:
                if getattr(owner, "library", None) is not None:
                    raise GazeError(f"'{owner.name}' is linked from a library and read-only; nothing removed.")
            removed, notes = takes.remove_all(owners)
            context.scene.frame_set(context.scene.frame_current)
        except Exception as error:
            return _fail(self, settings, error)
        if not removed:
            self.report({"WARNING"}, "No generated takes on this character to remove.")
            return {"CANCELLED"}
        for note in notes:
            self.report({"WARNING"}, note)
        settings.status = f"Removed {len(removed)} takes: {', '.join(removed[:4])}" + (" ..." if len(removed) > 4 else "")
        self.report({"INFO"}, settings.status)
        return {"FINISHED"}


class GAZE_OT_apply_take(bpy.types.Operator):
    """Key an existing take file (Live Link Face CSV, FLAME sequence, project npz/csv) onto the rig"""

    bl_idname = "gaze.apply_take"
    bl_label = "Apply Take"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012

    filepath: StringProperty(subtype="FILE_PATH")  # type: ignore[valid-type]
    start_frame: IntProperty(name="Start Frame", default=1)  # type: ignore[valid-type]

    @classmethod
    def poll(cls, context):
        return _has_target(context)

    def invoke(self, context, _event):
        self.start_frame = context.scene.frame_start
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context):
        settings = context.scene.gaze
        try:
            path = bpy.path.abspath(self.filepath)
            if not Path(path).is_file():
                raise GazeError(f"Apply Take: no such file '{path}' (expected a Live Link Face CSV, FLAME .npz/.npy or a project take).")
            armature = pipeline.target_armature(settings, context.active_object)
            outcome = pipeline.apply_take(context.scene, from_settings(settings), armature, path, float(self.start_frame))
        except Exception as error:
            return _fail(self, settings, error)
        _finish(self, settings, outcome)
        return {"FINISHED"}


class GAZE_OT_export_csv(bpy.types.Operator):
    """Write the character's gaze, head and blinks as an ARKit / Live Link Face CSV (the take under the playhead, as it plays)"""

    bl_idname = "gaze.export_csv"
    bl_label = "Export CSV"
    bl_options = {"REGISTER"}  # noqa: RUF012

    filepath: StringProperty(subtype="FILE_PATH")  # type: ignore[valid-type]
    filter_glob: StringProperty(default="*.csv", options={"HIDDEN"})  # type: ignore[valid-type]
    whole_scene: bpy.props.BoolProperty(name="Whole Scene", description="The scene's frame range instead of the take under the playhead", default=False)  # type: ignore[valid-type]

    @classmethod
    def poll(cls, context):
        return _has_target(context)

    def invoke(self, context, _event):
        if not self.filepath:
            self.filepath = "gaze_take.csv"
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context):
        from . import export

        settings = context.scene.gaze
        scene = context.scene
        try:
            target = rig_mapping.resolve(from_settings(settings).mapping, pipeline.target_armature(settings, context.active_object), scene)
            span = None if self.whole_scene else export.take_range(target, scene.frame_current)
            first, last = span or (scene.frame_start, scene.frame_end)
            out = export.write_live_link(export.clip_from_scene(scene, target, first, last), bpy.path.abspath(self.filepath))
        except Exception as error:
            return _fail(self, settings, error)
        settings.status = f"Exported frames {first}-{last} to {out}"
        self.report({"INFO"}, settings.status)
        return {"FINISHED"}


CLASSES = (GAZE_OT_generate, GAZE_OT_regenerate, GAZE_OT_remove, GAZE_OT_apply_take, GAZE_OT_export_csv)
