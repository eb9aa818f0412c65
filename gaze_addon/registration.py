"""Registering the add-on's classes, scene settings and (4.2+) the ``blender -c gaze`` command."""

from typing import Any

import bpy

from . import compat, headless, operators, panel, properties

CLASSES = (*properties.CLASSES, *operators.CLASSES, *panel.CLASSES)
_cli_handles: list[Any] = []


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    properties.register_properties()
    _cli_handles.append(compat.register_cli_command("gaze", headless.cli_command))


def unregister() -> None:
    while _cli_handles:
        compat.unregister_cli_command(_cli_handles.pop())
    properties.unregister_properties()
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
