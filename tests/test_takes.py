"""Round trips through every take format, and reading Live Link Face and FLAME conventions."""

from pathlib import Path

import numpy as np
import pytest

from model_runtime.clip import MotionClip
from model_runtime.conventions import head_matrix, matrix_to_rotvec
from model_runtime.takes import FlameOptions, LiveLinkOptions, detect_format, load_take, save_take
from model_runtime.takes.livelink import LIVE_LINK_COLUMNS
from tests.conftest import ROOT, random_clip

BUNDLED_TAKE = ROOT / "assets" / "takes" / "reference_livelink.csv"


@pytest.mark.parametrize(("name", "fmt", "atol"), [("t.npz", None, 1e-4), ("t.csv", None, 1e-5), ("t.csv", "livelink", 1e-4), ("t.npz", "flame", 1e-3), ("t.npy", "flame", 1e-3)])
@pytest.mark.parametrize("fps", [25.0, 30.0, 60.0, 30000 / 1001])
def test_round_trip(tmp_path: Path, name, fmt, atol, fps):
    clip = random_clip(fps=fps, seconds=3.0, seed=3)
    path = tmp_path / name
    save_take(clip, path, fmt)
    options = FlameOptions(fps=fps) if name.endswith(".npy") else None
    back = load_take(path, flame_options=options)
    assert back.fps == clip.fps
    assert back.n_frames == clip.n_frames
    blinks_kept = not name.endswith(".npy")
    columns = slice(None) if blinks_kept else slice(0, 7)
    np.testing.assert_allclose(back.data[:, columns], clip.data[:, columns], atol=atol)


def test_native_formats_are_detected(tmp_path: Path, clip: MotionClip):
    for name, fmt, expected in (("a.npz", None, "npz"), ("b.csv", None, "csv"), ("c.csv", "livelink", "livelink"), ("d.npz", "flame", "flame")):
        save_take(clip, tmp_path / name, fmt)
        assert detect_format(tmp_path / name) == expected


def test_npz_keeps_metadata(tmp_path: Path, clip: MotionClip):
    save_take(clip, tmp_path / "m.npz")
    assert load_take(tmp_path / "m.npz").meta == clip.meta


def test_bundled_live_link_take_reads_with_detected_signs():
    clip = load_take(BUNDLED_TAKE)
    assert clip.fps == 60.0
    assert clip.n_frames == 1200
    assert "yaw sign -1 (from eye blend shapes)" in clip.meta["conversion"]
    # Eyes converge on a near target: left eye yaw below right eye yaw on average.
    assert clip.channel("left_eye_yaw").mean() < clip.channel("right_eye_yaw").mean()
    assert clip.blinks.min() >= 0.0 and clip.blinks.max() == pytest.approx(1.0)


def _live_link_text(rows: list[tuple[str, dict[str, float]]]) -> str:
    lines = [",".join(LIVE_LINK_COLUMNS)]
    for timecode, values in rows:
        cells = [timecode, "61"] + [f"{values.get(name, 0.0):g}" for name in LIVE_LINK_COLUMNS[2:]]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def test_live_link_timecode_with_sub_frames_gives_60_fps(tmp_path: Path):
    # 60-fps capture stamped with a 30-fps timecode: each timecode frame appears twice, .0 and .5.
    rows = []
    for i in range(240):
        frame, half = divmod(i, 2)
        seconds, frame = divmod(frame, 30)
        rows.append((f"10:00:{seconds:02d}:{frame:02d}.{'500' if half else '000'}", {"HeadYaw": 0.1 * np.sin(i / 20), "EyeBlinkLeft": 0.5}))
    path = tmp_path / "take.csv"
    path.write_text(_live_link_text(rows))
    clip = load_take(path)
    assert clip.fps == 60.0
    assert clip.n_frames == 240
    assert clip.channel("blink_left") == pytest.approx(np.full(240, 0.5))


def test_live_link_default_signs_and_units(tmp_path: Path):
    # No eye movement, so signs fall back to the documented defaults: yaw and roll negated.
    rows = [(f"00:00:00:{i:02d}.000", {"HeadYaw": 0.2, "HeadPitch": 0.1, "HeadRoll": -0.05}) for i in range(30)]
    path = tmp_path / "take.csv"
    path.write_text(_live_link_text(rows))
    clip = load_take(path)
    assert clip.channel("head_yaw")[0] == pytest.approx(-np.degrees(0.2))
    assert clip.channel("head_pitch")[0] == pytest.approx(np.degrees(0.1))
    assert clip.channel("head_roll")[0] == pytest.approx(np.degrees(0.05))
    flipped = load_take(path, live_link=LiveLinkOptions(yaw_sign=1, angle_unit="degrees"))
    assert flipped.channel("head_yaw")[0] == pytest.approx(0.2)


def test_live_link_degrees_are_detected(tmp_path: Path):
    rows = [(f"00:00:00:{i:02d}.000", {"HeadYaw": 20.0 + i}) for i in range(30)]
    path = tmp_path / "take.csv"
    path.write_text(_live_link_text(rows))
    clip = load_take(path)
    assert abs(clip.channel("head_yaw")[0]) == pytest.approx(20.0)
    assert "degrees (values beyond 2 pi)" in clip.meta["conversion"]


def test_live_link_dropped_frame_is_filled_in_time(tmp_path: Path):
    rows = [(f"00:00:00:{i:02d}.000", {"HeadPitch": i / 100}) for i in range(30) if i != 10]
    path = tmp_path / "take.csv"
    path.write_text(_live_link_text(rows))
    clip = load_take(path)
    assert clip.n_frames == 30
    np.testing.assert_allclose(clip.channel("head_pitch"), np.degrees(np.arange(30) / 100), atol=1e-9)


def test_flame_separate_keys_and_global_plus_neck(tmp_path: Path):
    n = 50
    turn = matrix_to_rotvec(head_matrix(np.zeros(n), np.full(n, 10.0), np.zeros(n)))
    eyes = matrix_to_rotvec(head_matrix(np.full(n, 5.0), np.full(n, -8.0), np.zeros(n)))
    path = tmp_path / "fit.npz"
    np.savez(path, global_pose=turn, neck_pose=turn, jaw_pose=np.zeros((n, 3)), eye_pose=np.concatenate([eyes, eyes], axis=1), fps=np.array(30.0))
    clip = load_take(path)
    assert clip.fps == 30.0
    np.testing.assert_allclose(clip.channel("head_yaw"), 20.0, atol=1e-9)
    np.testing.assert_allclose(clip.left_eye, np.tile([5.0, -8.0], (n, 1)), atol=1e-9)
    neck_only = load_take(path, flame_options=FlameOptions(head_source="neck"))
    np.testing.assert_allclose(neck_only.channel("head_yaw"), 10.0, atol=1e-9)


def test_flame_npy_uses_default_rate_and_says_so(tmp_path: Path):
    path = tmp_path / "pose.npy"
    np.save(path, np.zeros((10, 5, 3)))
    clip = load_take(path)
    assert clip.fps == 25.0
    assert "fps default 25" in clip.meta["conversion"]
