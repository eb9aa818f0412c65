"""The "Gaze" tab of the 3D viewport's sidebar (N-panel), in Blender's two-column property layout."""

from __future__ import annotations

import bpy

from . import compat, conversation, pipeline, sound
from .properties import scene_settings


class GAZE_PT_main(bpy.types.Panel):
    bl_label = "Speech Gaze"
    bl_idname = "GAZE_PT_main"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Gaze"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        scene = context.scene
        if layout is None or scene is None:
            return
        layout.use_property_split = True
        layout.use_property_decorate = False
        settings = scene_settings(scene)
        armature = pipeline.target_armature(settings, context.active_object)

        col = layout.column(heading="Dialogue")
        col.row().prop(settings, "audio_source", expand=True)
        if settings.audio_source == "STRIP":
            col.prop(settings, "all_strips")
            if not settings.all_strips:
                col.prop(settings, "strip_name", icon="SOUND")
            if not compat.has_audio():
                col.label(text="No audio in this Blender: use a file", icon="ERROR")
        else:
            col.prop(settings, "audio_file", text="File")
            col.prop(settings, "file_start_frame", text="Start")

        col = layout.column()
        col.prop(settings, "style_source", text="Style")
        if settings.style_source == "PRESET":
            col.prop(settings, "style_preset", text="Preset")
        elif settings.style_source == "TAKE":
            col.prop(settings, "style_take", text="Take")
        elif settings.style_source == "ACTION":
            col.prop(settings, "style_action", text="Action")

        col = layout.column()
        col.prop(settings, "engine")
        col.prop(settings, "seed")
        sub = col.column(align=True)
        sub.prop(settings, "head_intensity", slider=True)
        sub.prop(settings, "gaze_intensity", slider=True)
        col.prop(settings, "blink_rate")
        if settings.engine == "learned":
            col.prop(settings, "match_statistics", text="Match Reference")
        col.prop(settings, "eye_contact")
        if settings.eye_contact in ("OBJECT", "BONE"):
            col.prop(settings, "eye_contact_object", text="Look At")
        if settings.eye_contact == "BONE" and settings.eye_contact_object is not None and settings.eye_contact_object.type == "ARMATURE":
            col.prop_search(settings, "eye_contact_bone", settings.eye_contact_object.data, "bones", text="Bone")

        col = layout.column()
        col.prop(settings, "armature")
        col.prop(settings, "rig_preset", text="Mapping")
        if settings.rig_preset == "CUSTOM" and armature is not None and armature.type == "ARMATURE":
            for name in ("head_bone", "left_eye_bone", "right_eye_bone"):
                col.prop_search(settings, name, armature.data, "bones")
        col.prop(settings, "facing")
        col.prop(settings, "face_mesh", text="Face")
        col.prop(settings, "blink_target", text="Blinks")
        if settings.blink_target == "SHAPE_KEYS":
            col.prop(settings, "blink_left_key", text="Left Key")
            col.prop(settings, "blink_right_key", text="Right Key")
        elif settings.blink_target == "BONES" and armature is not None and armature.type == "ARMATURE":
            col.prop_search(settings, "left_lid_bone", armature.data, "bones", text="Left Lid")
            col.prop_search(settings, "right_lid_bone", armature.data, "bones", text="Right Lid")
            col.prop(settings, "lid_angle_deg")
        col.prop(settings, "layering")
        col = layout.column(heading="Gaps")
        col.prop(settings, "fill_idle", text="Keep Alive")

        layout.use_property_split = False
        col = layout.column(align=True)
        col.scale_y = 1.3
        col.operator("gaze.generate", icon="PLAY")
        row = col.row(align=True)
        row.operator("gaze.regenerate", text="New Seed", icon="FILE_REFRESH")
        row.operator("gaze.remove", icon="TRASH")
        row = layout.row(align=True)
        row.operator("gaze.apply_take", text="Apply", icon="IMPORT")
        row.operator("gaze.export_csv", text="Export", icon="EXPORT")
        col = layout.column(align=True)
        col.operator("gaze.conversation", text="Conversation", icon="COMMUNITY")
        row = col.row(align=True)
        row.operator("gaze.assign_strip", text="Assign Strip", icon="SPEAKER")
        row.operator("gaze.regenerate_line", text="Reseed", icon="FILE_REFRESH")
        strip = sound.active_strip(scene)
        said_to = strip.get(conversation.ADDRESSEE_PROPERTY) if strip is not None else None
        col.operator_menu_enum("gaze.set_addressee", "addressee", text=f"Said To: {said_to}" if said_to else "Said To", icon="USER")
        layout.operator("gaze.clear_history", icon="X")
        problem = pipeline.timing_problem(scene, armature) if armature is not None and armature.type == "ARMATURE" else None
        if problem:
            for line in _wrap(problem):
                layout.label(text=line, icon="ERROR")
        if settings.status:
            for line in _wrap(settings.status):
                layout.label(text=line)
        layout.label(text=f"Scene: {sound.scene_fps(scene):.3f} fps")


def _wrap(text: str, width: int = 32) -> list[str]:
    """Short lines for the sidebar's narrow default width (labels do not wrap by themselves)."""
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return lines[:6]


CLASSES = (GAZE_PT_main,)
