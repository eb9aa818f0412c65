"""The "Gaze" tab of the 3D viewport's sidebar (N-panel)."""

import bpy

from . import compat, pipeline, sound


class GAZE_PT_main(bpy.types.Panel):
    bl_label = "Speech Gaze"
    bl_idname = "GAZE_PT_main"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Gaze"

    def draw(self, context):
        layout = self.layout
        scene = context.scene
        settings = scene.gaze

        box = layout.box()
        box.prop(settings, "audio_source", expand=True)
        if settings.audio_source == "STRIP":
            box.prop(settings, "strip_name", icon="SOUND")
            if not compat.has_audio():
                box.label(text="This Blender has no audio support: use a file", icon="ERROR")
        else:
            box.prop(settings, "audio_file")
            box.prop(settings, "file_start_frame")

        box = layout.box()
        box.prop(settings, "style_source")
        if settings.style_source == "PRESET":
            box.prop(settings, "style_preset")
        elif settings.style_source == "TAKE":
            box.prop(settings, "style_take")
        elif settings.style_source == "ACTION":
            box.prop(settings, "style_action")

        box = layout.box()
        row = box.row()
        row.prop(settings, "engine", expand=True)
        box.prop(settings, "seed")
        col = box.column(align=True)
        col.prop(settings, "head_intensity", slider=True)
        col.prop(settings, "gaze_intensity", slider=True)
        col.prop(settings, "blink_rate")
        if settings.engine == "learned":
            box.prop(settings, "match_statistics")
        box.prop(settings, "eye_contact")
        if settings.eye_contact == "OBJECT":
            box.prop(settings, "eye_contact_object")

        box = layout.box()
        box.prop(settings, "armature")
        box.prop(settings, "rig_preset")
        armature = pipeline.target_armature(settings, context.active_object)
        if settings.rig_preset == "CUSTOM" and armature is not None and armature.type == "ARMATURE":
            for name in ("head_bone", "left_eye_bone", "right_eye_bone"):
                box.prop_search(settings, name, armature.data, "bones")
        box.prop(settings, "face_mesh")
        box.prop(settings, "blink_target")
        if settings.blink_target == "SHAPE_KEYS":
            box.prop(settings, "blink_left_key")
            box.prop(settings, "blink_right_key")
        elif settings.blink_target == "BONES" and armature is not None and armature.type == "ARMATURE":
            box.prop_search(settings, "left_lid_bone", armature.data, "bones")
            box.prop_search(settings, "right_lid_bone", armature.data, "bones")
            box.prop(settings, "lid_angle_deg")
        box.prop(settings, "output")

        row = layout.row(align=True)
        row.scale_y = 1.4
        row.operator("gaze.generate", icon="PLAY")
        row.operator("gaze.regenerate", icon="FILE_REFRESH")
        row.operator("gaze.remove", icon="TRASH")
        layout.operator("gaze.apply_take", icon="IMPORT")
        problem = pipeline.timing_problem(scene, armature) if armature is not None else None
        if problem:
            layout.label(text=problem, icon="ERROR")
        if settings.status:
            layout.label(text=settings.status, icon="INFO")
        layout.label(text=f"Scene: {sound.scene_fps(scene):.3f} fps")


CLASSES = (GAZE_PT_main,)
