"""The panel cannot be drawn without a window; check what it draws exists and it is registered in the Gaze tab."""

from __future__ import annotations

import inspect
import re

import bpy

from gaze_addon import panel
from tests.blender.conftest import flame_rig


def test_every_setting_the_panel_draws_exists(empty_file):
    source = inspect.getsource(panel)
    drawn = set(re.findall(r"\.prop(?:_search)?\(settings, \"(\w+)\"", source))
    drawn |= set(re.findall(r"for name in \(([^)]*)\)", source)[0].replace('"', "").replace(" ", "").split(",")) - {""}
    names = set(empty_file.gaze.bl_rna.properties.keys())
    assert len(drawn) > 20 and drawn <= names, drawn - names


def test_panel_and_operators_are_registered_and_greyed_out_without_a_rig(empty_file):
    assert panel.GAZE_PT_main.bl_category == "Gaze" and panel.GAZE_PT_main.bl_region_type == "UI"
    assert hasattr(bpy.types, "GAZE_PT_main")
    names = ("generate", "regenerate", "remove", "apply_take")
    assert not any(getattr(bpy.ops.gaze, name).poll() for name in names)
    empty_file.gaze.armature = flame_rig()
    assert all(getattr(bpy.ops.gaze, name).poll() for name in names)


def test_long_messages_wrap_for_the_narrow_sidebar():
    lines = panel._wrap("The eye-contact target 'Camera' is behind Rig (round to its left at 160 deg at frame 12): put it in front of the character")
    assert len(lines) > 2 and all(len(line) <= 32 for line in lines)
