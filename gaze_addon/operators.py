"""Generate, Regenerate (new seed), Remove and Apply Take: thin operators over :mod:`.pipeline`."""

import random
from pathlib import Path

import bpy
from bpy.props import IntProperty, StringProperty

from model_runtime.errors import GazeError

from . import keyframes, pipeline, rig_mapping, sound


def _owners(settings, context):
    """The objects and shape-key blocks a Generate on the current target could have written to."""
    arm = pipeline.target_armature(settings, context.active_object)
    owners = [arm] if arm is not None else []
    if arm is not None and arm.type == "ARMATURE":
        for mesh in rig_mapping.bound_meshes(arm, context.scene):
            if mesh.data.shape_keys is not None:
                owners.append(mesh.data.shape_keys)
    if settings.face_mesh is not None and settings.face_mesh.data.shape_keys is not None:
        owners.append(settings.face_mesh.data.shape_keys)
    return owners


def _progress(context):
    wm = context.window_manager
    wm.progress_begin(0.0, 1.0)
    return wm


def _finish(operator, settings, outcome):
    for warning in outcome.warnings:
        operator.report({"WARNING"}, warning)
    operator.report({"INFO"}, outcome.message)
    settings.status = outcome.message


def _fail(operator, settings, error):
    settings.status = f"Failed: {error}"
    operator.report({"ERROR"}, str(error))
    return {"CANCELLED"}


def _generate(operator, context, seed):
    settings = context.scene.gaze
    armature = pipeline.target_armature(settings, context.active_object)
    wm = _progress(context)
    try:
        outcome = pipeline.run(context.scene, settings, armature, seed, wm.progress_update)
    except (GazeError, ValueError, OSError) as error:
        return _fail(operator, settings, error)
    finally:
        wm.progress_end()
    _finish(operator, settings, outcome)
    return {"FINISHED"}


class GAZE_OT_generate(bpy.types.Operator):
    """Generate gaze, head and blink keys from the dialogue onto the rig (a new action)"""

    bl_idname = "gaze.generate"
    bl_label = "Generate"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012

    seed: IntProperty(name="Seed", default=-1, description="-1: the panel's seed")  # type: ignore[valid-type]

    def execute(self, context):
        return _generate(self, context, None if self.seed < 0 else self.seed)


class GAZE_OT_regenerate(bpy.types.Operator):
    """Generate again with a new random seed (the earlier take is kept with a fake user)"""

    bl_idname = "gaze.regenerate"
    bl_label = "Regenerate"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012

    def execute(self, context):
        settings = context.scene.gaze
        settings.seed = random.randrange(1, 2**31 - 1)
        return _generate(self, context, settings.seed)


class GAZE_OT_remove(bpy.types.Operator):
    """Remove the generated actions from the rig and bring back what was active before"""

    bl_idname = "gaze.remove"
    bl_label = "Remove"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012

    def execute(self, context):
        settings = context.scene.gaze
        owners = _owners(settings, context)
        for owner in owners:
            if getattr(owner, "library", None) is not None:
                return _fail(self, settings, GazeError(f"'{owner.name}' is linked from a library and read-only; nothing removed."))
        removed = keyframes.remove_generated(owners)
        if not removed:
            self.report({"WARNING"}, "No generated gaze action on the target to remove.")
            return {"CANCELLED"}
        settings.status = f"Removed {', '.join(removed)}"
        self.report({"INFO"}, settings.status)
        return {"FINISHED"}


class GAZE_OT_apply_take(bpy.types.Operator):
    """Key an existing take file (Live Link Face CSV, FLAME sequence, project npz/csv) onto the rig"""

    bl_idname = "gaze.apply_take"
    bl_label = "Apply Take"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012

    filepath: StringProperty(subtype="FILE_PATH")  # type: ignore[valid-type]
    start_frame: IntProperty(name="Start Frame", default=1)  # type: ignore[valid-type]

    def invoke(self, context, _event):
        self.start_frame = context.scene.frame_start
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context):
        from model_runtime.takes import load_take

        settings = context.scene.gaze
        scene = context.scene
        try:
            target = rig_mapping.resolve(settings, pipeline.target_armature(settings, context.active_object), scene)
            path = bpy.path.abspath(self.filepath)
            clip = load_take(path).resample(sound.scene_fps(scene))
            source = sound.AudioSource(path, Path(path).stem, float(self.start_frame))
            outcome = pipeline.write(scene, target, clip, source, output=settings.output, info={"take": path}, report=lambda _f: None)
        except (GazeError, ValueError, OSError) as error:
            return _fail(self, settings, error)
        _finish(self, settings, outcome)
        return {"FINISHED"}


CLASSES = (GAZE_OT_generate, GAZE_OT_regenerate, GAZE_OT_remove, GAZE_OT_apply_take)
