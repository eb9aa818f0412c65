"""Make docs/images/panel.png: the Gaze tab of the 3D viewport's sidebar in a real Blender window.

Run by hand from the repository root (Debian's Blender 3.4 under Xvfb; any Blender 3.4+ with a
window works the same), after ``python build.py setup``:

    GAZE_PYTHONPATH=$(.venv/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])") \
        xvfb-run -a -s "-screen 0 1600x1000x24" blender --factory-startup --enable-event-simulate \
        --python-exit-code 1 --python docs/images/make_panel_screenshot.py -- docs/images/panel.png

The add-on is loaded from the checkout. The scene is the demo head (assets/demo_head) seen through
its camera, with an espeak-ng line as a sound strip and one Generate already done, so the panel's
status line and the timeline's keys show. Blender 3.4 has no Python access to the sidebar's active
tab, so the script switches to "Gaze" the way a user can: the mouse wheel over the tabs (a simulated
event, hence ``--enable-event-simulate``). The 3D viewport area is saved with
``screen.screenshot_area`` and downscaled to a palette PNG with ffmpeg to stay small.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "assets" / "demo_head")]
sys.path += [p for p in os.environ.get("GAZE_PYTHONPATH", "").split(os.pathsep) if p]

import bpy  # noqa: E402
from build_head import build_demo_head  # noqa: E402

import gaze_addon  # noqa: E402
from gaze_addon import compat  # noqa: E402

OUTPUT = Path(sys.argv[sys.argv.index("--") + 1] if "--" in sys.argv else ROOT / "docs" / "images" / "panel.png").resolve()
WORK = Path(tempfile.mkdtemp(prefix="gaze_panel_"))
UI_SCALE = 1.3
CAMERA_ZOOM = 8.0  # Blender's camera-view zoom (0: the camera frame about fills the viewport)
SIDEBAR_WIDEN = 0  # pixels: the panel must read at Blender's default sidebar width
WIDTH = 1100  # pixels of the saved image


def viewport() -> tuple:
    window = bpy.context.window_manager.windows[0]
    area = max((a for a in window.screen.areas if a.type == "VIEW_3D"), key=lambda a: a.width * a.height)
    return window, area, next(r for r in area.regions if r.type == "UI")


def make_scene() -> None:
    bpy.context.preferences.view.ui_scale = UI_SCALE
    for obj in list(bpy.data.objects):
        bpy.data.objects.remove(obj)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 25, 1.0
    objects = build_demo_head(scene)
    speech = WORK / "line 12.wav"
    subprocess.run(["espeak-ng", "-w", str(speech), "Hello there. I was thinking, maybe we could go tomorrow?"], check=True)
    strip = compat.new_sound_strip(scene, "line 12", str(speech), 1, 1)
    scene.frame_start, scene.frame_end = 1, strip.frame_final_end
    settings = scene.gaze
    settings.armature = objects["armature"]
    settings.style_source, settings.engine, settings.seed = "PRESET", "procedural", 7
    settings.eye_contact = "CAMERA"
    bpy.context.view_layer.objects.active = objects["armature"]
    window, area, _ = viewport()
    with bpy.context.temp_override(window=window, area=area, region=next(r for r in area.regions if r.type == "WINDOW")):
        assert bpy.ops.gaze.generate() == {"FINISHED"}, settings.status
    scene.frame_set(40)
    space = area.spaces.active
    space.show_region_ui = True
    space.shading.type, space.shading.color_type = "SOLID", "MATERIAL"
    space.region_3d.view_perspective = "CAMERA"
    space.overlay.show_extras = False  # the lights' and camera's lines across the face
    space.overlay.show_bones = False


def steps():
    """Timer steps: build, switch the sidebar to the Gaze tab, save, quit. Each yields a delay."""
    window, area, sidebar = viewport()
    window.event_simulate(type="ESC", value="PRESS", x=window.width // 2, y=window.height // 2)  # the splash
    window.event_simulate(type="ESC", value="RELEASE", x=window.width // 2, y=window.height // 2)
    yield 0.2
    make_scene()
    yield 0.5
    with bpy.context.temp_override(window=window, area=area, region=next(r for r in area.regions if r.type == "WINDOW")):
        bpy.ops.view3d.view_center_camera()
    yield 0.2
    r3d = area.spaces.active.region_3d
    r3d.view_camera_zoom, r3d.view_camera_offset = CAMERA_ZOOM, (0.2, 0.0)  # the whole head, left of the sidebar
    yield 0.2
    window, area, sidebar = viewport()
    if SIDEBAR_WIDEN:
        # Widen the sidebar by dragging its left edge (the grip sits a margin inside the overlapping region).
        x, y, width = sidebar.x + round(8 * UI_SCALE), sidebar.y + sidebar.height // 2, sidebar.width
        window.event_simulate(type="MOUSEMOVE", value="NOTHING", x=x, y=y)
        yield 0.1
        window.event_simulate(type="LEFTMOUSE", value="PRESS", x=x, y=y)
        yield 0.1
        for step in range(1, 11):
            window.event_simulate(type="MOUSEMOVE", value="NOTHING", x=x - step * SIDEBAR_WIDEN // 10, y=y)
            yield 0.05
        window.event_simulate(type="LEFTMOUSE", value="RELEASE", x=x - SIDEBAR_WIDEN, y=y)
        yield 0.3
        window, area, sidebar = viewport()
        assert sidebar.width > width, "dragging the sidebar's edge did not widen it"
    # Over the tab strip at the sidebar's right edge, the wheel steps through the tabs: Item, Tool,
    # View, then the add-ons' (Gaze).
    x, y = sidebar.x + sidebar.width - round(8 * UI_SCALE), sidebar.y + sidebar.height // 2
    window.event_simulate(type="MOUSEMOVE", value="NOTHING", x=x, y=y)
    yield 0.2
    for _ in range(3):
        window.event_simulate(type="WHEELDOWNMOUSE", value="PRESS", x=x, y=y)
        yield 0.2
    window.event_simulate(type="MOUSEMOVE", value="NOTHING", x=area.x + 40, y=area.y + 40)
    yield 1.0
    raw = WORK / "area.png"
    with bpy.context.temp_override(window=window, area=area):
        bpy.ops.screen.screenshot_area(filepath=str(raw))
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    # Downscaled to a 256-colour palette: the UI's flat colours keep, the file stays near 150 KB.
    palette = f"scale={WIDTH}:-2:flags=lanczos,split[a][b];[a]palettegen=max_colors=256:stats_mode=full[p];[b][p]paletteuse=dither=bayer:bayer_scale=4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(raw), "-vf", palette, str(OUTPUT)], check=True)
    shutil.rmtree(WORK)
    print(f"panel screenshot: {OUTPUT} ({OUTPUT.stat().st_size // 1024} KB)", flush=True)


STEPS = steps()


def tick():
    try:
        return next(STEPS)
    except StopIteration:
        bpy.ops.wm.quit_blender()
    except Exception:
        traceback.print_exc()
        sys.stdout.flush()
        os._exit(1)
    return None


gaze_addon.register()
bpy.app.timers.register(tick, first_interval=0.5)
