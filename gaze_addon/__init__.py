"""Speech Gaze: eye gaze, head motion and blinks from dialogue audio, keyed onto a character rig.

Works as a legacy add-on (Blender 3.4, ``bl_info``) and as an extension (4.2+, with the
manifest beside this file). The runtime that needs no Blender is the ``model_runtime`` package.
"""

bl_info = {
    "name": "Speech Gaze",
    "author": "Speech Gaze contributors",
    "version": (0, 1, 0),
    "blender": (3, 4, 0),
    "location": "3D Viewport > Sidebar > Gaze",
    "description": "Eye gaze, head and blink animation from dialogue audio",
    "category": "Animation",
}


def register() -> None:
    from .registration import register as _register

    _register()


def unregister() -> None:
    from .registration import unregister as _unregister

    _unregister()
