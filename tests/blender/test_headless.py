"""Headless runs: one file, a batch folder with a broken file, exit codes, and `blender -c gaze`."""

from __future__ import annotations

import shutil

import bpy
import pytest

from gaze_addon import compat, headless
from tests.blender.conftest import flame_rig, line_take, speak


@pytest.fixture
def scene_file(tmp_path, empty_file):
    flame_rig("Hero")
    path = tmp_path / "scene.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    return path


def test_one_file_to_an_output_blend(scene_file, speech, tmp_path, capsys):
    out = tmp_path / "out" / "done.blend"
    assert headless.main(["--blend", str(scene_file), "--audio", str(speech), "--output", str(out), "--seed", "4"]) == 0
    printed = capsys.readouterr().out
    assert "gaze: ok   hello line.wav" in printed and "1 of 1 ok" in printed
    bpy.ops.wm.open_mainfile(filepath=str(out))
    action = line_take(bpy.data.objects["Hero"])[0]
    assert action.name == "Gaze hello line default s4" and action["gaze_seed"] == 4
    # The input scene was not changed on disk.
    bpy.ops.wm.open_mainfile(filepath=str(scene_file))
    assert bpy.data.objects["Hero"].animation_data is None


def test_batch_folder_with_a_broken_file_exits_1_and_keeps_the_good_ones(scene_file, speech, tmp_path, capsys):
    folder = tmp_path / "lines"
    folder.mkdir()
    shutil.copy(speech, folder / "a.wav")
    speak(folder / "b.wav", "Second line, short.")
    (folder / "c.wav").write_text("this is not audio")
    out = tmp_path / "batch"
    code = headless.main(["--blend", str(scene_file), "--audio", str(folder), "--output", str(out)])
    printed = capsys.readouterr().out
    assert code == 1
    assert "2 of 3 ok" in printed and "failed: c.wav" in printed and "plain text" in printed
    assert sorted(p.name for p in out.iterdir()) == ["a.blend", "b.blend"]
    bpy.ops.wm.open_mainfile(filepath=str(out / "b.blend"))
    # Each file holds its own take only.
    assert [a.name for a in bpy.data.actions if a.get("gaze_kind") == "line"] == ["Gaze b default s0"]


def test_bad_arguments_and_inputs_exit_non_zero_with_the_reason(scene_file, tmp_path, capsys):
    assert headless.main(["--bogus"]) == 2
    assert headless.main(["--blend", str(scene_file), "--audio", str(tmp_path / "none.wav")]) == 1
    assert "none.wav: no such file" in capsys.readouterr().err
    assert headless.main(["--blend", str(scene_file), "--audio", str(tmp_path), "--output", "x.blend"]) == 1
    assert "holds no audio files" in capsys.readouterr().err
    assert headless.main(["--blend", str(scene_file), "--armature", "Nobody", "--audio", str(tmp_path)]) == 1
    assert "No object named 'Nobody'" in capsys.readouterr().err
    assert headless.main(["--blend", str(tmp_path / "missing.blend")]) == 1


def test_preset_style_and_preview_still(scene_file, speech, tmp_path, capsys):
    from model_runtime.performer.presets import PRESET_NAMES

    bpy.ops.wm.open_mainfile(filepath=str(scene_file))
    camera = bpy.data.objects.new("Cam", bpy.data.cameras.new("Cam"))
    bpy.context.scene.collection.objects.link(camera)
    camera.location = (0.0, -2.0, 1.6)
    bpy.context.scene.camera = camera
    with_camera = tmp_path / "with camera.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(with_camera))
    preset = PRESET_NAMES[-1]
    code = headless.main(["--blend", str(with_camera), "--audio", str(speech), "--style", preset, "--preview", str(tmp_path / "stills")])
    assert code == 0, capsys.readouterr()
    assert (tmp_path / "stills" / "hello line.png").stat().st_size > 0
    assert headless.main(["--blend", str(scene_file), "--audio", str(speech), "--style", "no_such_style"]) == 1
    assert "not a preset" in capsys.readouterr().err


def test_scene_sound_strip_is_used_without_audio_argument(empty_file, speech, tmp_path, capsys):
    if not compat.has_audio():
        pytest.skip(f"bpy {bpy.app.version_string} has no audaspace: sound strips cannot be made (the PyPI 4.2 wheel)")
    flame_rig("Hero")
    compat.new_sound_strip(empty_file, "Line", str(speech), 1, 30)
    assert headless.main(["--output", str(tmp_path / "o.blend")]) == 0
    assert "frames 30-" in capsys.readouterr().out


def test_cli_command_is_registered_on_4_2_and_later(scene_file, speech, tmp_path):
    if not compat.can_register_cli_command():
        pytest.skip("register_cli_command needs Blender 4.2+")
    from gaze_addon import registration

    assert registration._cli_handles and registration._cli_handles[0] is not None
    # `blender -c gaze` cannot be dispatched by the bpy module: call the registered function.
    assert headless.cli_command(["--blend", str(scene_file), "--audio", str(speech), "--output", str(tmp_path / "c.blend")]) == 0
    assert (tmp_path / "c.blend").is_file()


def test_the_input_blend_is_never_overwritten_and_bad_values_are_named(scene_file, speech, tmp_path, capsys):
    before = scene_file.read_bytes()
    assert headless.main(["--blend", str(scene_file), "--audio", str(speech), "--output", str(scene_file)]) == 1
    assert "is the opened scene itself" in capsys.readouterr().err
    assert scene_file.read_bytes() == before
    for flag, value, said in (("--seed", str(2**40), "out of range"), ("--start-frame", str(2**40), "out of range"), ("--head-intensity", "nan", "out of range"), ("--blink-rate", "x", "not a number")):
        assert headless.main(["--blend", str(scene_file), flag, value]) == 2
        assert said in capsys.readouterr().err
    not_blend = tmp_path / "notes.blend"
    not_blend.write_text("hello")
    assert headless.main(["--blend", str(not_blend), "--audio", str(speech)]) == 1
    assert "not a .blend file" in capsys.readouterr().err
    assert headless.main(["--blend", str(scene_file), "--audio", str(speech), "--eye-contact", "sideways"]) == 1
    assert "--eye-contact sideways: expected" in capsys.readouterr().err


def test_flags_not_saved_panel_state_and_preview_leaves_the_saved_file_alone(scene_file, speech, tmp_path, capsys):
    bpy.ops.wm.open_mainfile(filepath=str(scene_file))
    scene = bpy.context.scene
    camera = bpy.data.objects.new("Cam", bpy.data.cameras.new("Cam"))
    scene.collection.objects.link(camera)
    camera.location = (0.4, -1.2, 1.66)
    scene.camera = camera
    scene.render.engine, scene.render.resolution_x = "CYCLES", 1234
    # Panel state saved in the file that a headless run must not pick up by itself.
    scene.gaze.head_intensity, scene.gaze.seed = 0.0, 77
    saved = tmp_path / "panel.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(saved))
    out = tmp_path / "keyed.blend"
    args = ["--blend", str(saved), "--audio", str(speech), "--eye-contact", "camera", "--layering", "USER", "--preview", str(tmp_path / "stills"), "--output", str(out)]
    assert headless.main(args) == 0, capsys.readouterr()
    bpy.ops.wm.open_mainfile(filepath=str(out))
    scene = bpy.context.scene
    assert scene.render.engine == "CYCLES" and scene.render.resolution_x == 1234
    action = line_take(bpy.data.objects["Hero"])[0]
    assert action["gaze_seed"] == 0  # the flag's default, not the saved panel's 77
    assert (tmp_path / "stills" / "hello line.png").is_file()
    # With --use-panel-settings the saved state is the base.
    assert headless.main(["--blend", str(saved), "--audio", str(speech), "--use-panel-settings", "--output", str(out)]) == 0
    bpy.ops.wm.open_mainfile(filepath=str(out))
    assert line_take(bpy.data.objects["Hero"])[0]["gaze_seed"] == 77
