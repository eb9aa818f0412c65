"""``batch`` lines with a rig: the take keyed onto the character's .blend and exported as FBX through
a real Blender executable (Debian's 3.4 in CI, kept running per worker), the same bytes whatever
the worker, the FBX matching the take keyed in Blender in world space, and bad rigs reported on
their own lines. Skipped where no ``blender`` is on PATH."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

from model_runtime.batch import JobSettings, read_manifest, run_batch
from tests.conftest import ROOT
from tests.test_batch import _cli, _manifest, _partials, _report, voices  # noqa: F401  (voices: the fixture)

BLENDER = shutil.which("blender")
pytestmark = pytest.mark.skipif(BLENDER is None, reason="no blender on PATH")


def _blender_env() -> dict[str, str]:
    return dict(os.environ, GAZE_PYTHONPATH=sysconfig.get_paths()["purelib"])


def _blender(*args: object) -> str:
    command = [str(BLENDER), "-b", "--factory-startup", "--python-exit-code", "1", *map(str, args)]
    result = subprocess.run(command, capture_output=True, text=True, env=_blender_env(), check=False, timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def rig_blend(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo character (an armature, a skinned head, eyeballs on the eye bones) saved as a .blend."""
    path = tmp_path_factory.mktemp("rig") / "head.blend"
    _blender("--python", ROOT / "assets" / "demo_head" / "build_head.py", "--", path)
    return path


def rig_rows(voices: list[Path], rig: Path, count: int) -> list[list[object]]:  # noqa: F811
    return [[voices[i % len(voices)], ["neutral", "thoughtful"][i % 2], i, [30, 25][i % 2], f"rig{i:02d}", rig] for i in range(count)]


RIG_HEADER = "audio,style,seed,fps,output,rig"


def _exports(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.suffix in (".npz", ".csv", ".fbx") and path.name != "report.csv"}


def test_rig_lines_export_the_same_fbx_on_any_worker_and_it_plays_the_take(tmp_path: Path, voices: list[Path], rig_blend: Path):  # noqa: F811
    rows = rig_rows(voices, rig_blend, 4) + [[voices[5], "", 9, 30, "plain", ""]]
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    manifest = _manifest(tmp_path / "a.csv", rows, RIG_HEADER)
    first = run_batch(read_manifest(manifest), JobSettings(one, blender=str(BLENDER)), report_path=one / "report.csv", jobs=1, progress=None)
    assert first.count("ok") == 5, [r.message for r in first.results]
    assert all("FBX of 'DemoRig' (2 meshes)" in r.message for r in first.results if r.output != "plain")
    run_batch(read_manifest(_manifest(tmp_path / "b.csv", rows[::-1], RIG_HEADER)), JobSettings(two), report_path=two / "report.csv", jobs=2, progress=None)
    reference = _exports(one)
    assert sorted(name for name in reference if name.endswith(".fbx")) == [f"rig{i:02d}.fbx" for i in range(4)] and "plain.fbx" not in reference
    assert _exports(two) == reference  # other workers, other order, a Blender started per worker: the same bytes
    again = run_batch(read_manifest(manifest), JobSettings(one), report_path=one / "report.csv", jobs=2, progress=None)
    assert again.count("skipped") == 5
    (one / "rig01.fbx").unlink()
    repaired = run_batch(read_manifest(manifest), JobSettings(one), report_path=one / "report.csv", jobs=2, progress=None)
    assert [r.output for r in repaired.results if r.status == "ok"] == ["rig01"] and _exports(one) == reference
    assert _partials(one) == [] and _partials(two) == []

    # Imported into an empty scene, the FBX plays what the take keyed onto the rig plays, in world space.
    for name in ("rig00", "rig01"):
        out = _blender("--python", ROOT / "tests" / "blender" / "fbx_roundtrip.py", "--", rig_blend, one / f"{name}.npz", one / f"{name}.fbx")
        found = dict(re.findall(r"(\w+)=([-\d.e]+)", out.split("roundtrip:")[1]))
        assert int(found["bones"]) == 5 and float(found["max_deg"]) < 0.01 and float(found["max_m"]) < 1e-4, found
        assert float(found["moved_deg"]) > 3.0, found  # the eyes really move in the file


def test_bad_rigs_fail_their_own_lines_and_leave_nothing(tmp_path: Path, voices: list[Path], rig_blend: Path):  # noqa: F811
    garbage = tmp_path / "garbage.blend"
    garbage.write_bytes(b"BLENDER-v300" + os.urandom(2000))
    empty = tmp_path / "empty.blend"
    _blender("--python-expr", f"import bpy; bpy.ops.wm.read_homefile(use_empty=True); bpy.ops.wm.save_as_mainfile(filepath={str(empty)!r})")
    rows = [
        [voices[0], "", 1, 30, "good", rig_blend],
        [voices[1], "", 2, 30, "missing", tmp_path / "nothere.blend"],
        [voices[2], "", 3, 30, "garbage", garbage],
        [voices[3], "", 4, 30, "noarmature", empty],
        [voices[4], "", 5, 30, "wrongname", f"{rig_blend}#Nobody"],
        [voices[5], "", 6, 30, "notblend", tmp_path / "head.fbx"],
        [voices[6], "", 7, 30, "named", f"{rig_blend}#DemoRig"],
    ]
    out = tmp_path / "out"
    result = _cli(_manifest(tmp_path / "m.csv", rows, RIG_HEADER), "--out", out, "--jobs", "2", "--blender", BLENDER)
    assert result.returncode == 1, result.stderr
    report = _report(out / "report.csv")
    status = {row["output"]: row["status"] for row in report.values()}
    assert status == {"good": "ok", "missing": "failed", "garbage": "failed", "noarmature": "failed", "wrongname": "failed", "notblend": "failed", "named": "ok"}
    messages = {row["output"]: row["message"] for row in report.values()}
    assert "nothere.blend" in messages["missing"] and "not found" in messages["missing"]
    assert "garbage.blend" in messages["garbage"] and "cannot open" in messages["garbage"]
    assert "empty.blend" in messages["noarmature"] and "no armature" in messages["noarmature"]
    assert "'Nobody'" in messages["wrongname"] and "head.fbx" in messages["notblend"]
    for name in ("missing", "garbage", "noarmature", "wrongname", "notblend"):
        assert not list(out.glob(f"{name}.*")), name  # a failed line leaves none of its outputs
    assert (out / "good.fbx").stat().st_size > 10_000 and (out / "named.fbx").read_bytes() != b""
    assert _partials(out) == []


def test_a_blender_that_is_not_there_is_one_line_per_rig_line(tmp_path: Path, voices: list[Path], rig_blend: Path):  # noqa: F811
    manifest = _manifest(tmp_path / "m.csv", rig_rows(voices, rig_blend, 1) + [[voices[1], "", 1, 30, "plain", ""]], RIG_HEADER)
    result = _cli(manifest, "--out", tmp_path / "out", "--blender", tmp_path / "no-blender")
    assert result.returncode == 1
    report = _report(tmp_path / "out" / "report.csv")
    assert [row["status"] for row in report.values()] == ["failed", "ok"]
    assert "no-blender" in report["2"]["message"] and "Blender executable" in report["2"]["message"]
