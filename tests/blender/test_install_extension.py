"""Install the Linux extension zip into a clean user profile, enable it and generate through it.

The zip comes from ``python build.py extension`` (built here when missing or older than the
sources; the wheels it downloads are cached in .cache/wheels). The work runs in a child Python
(install_driver.py) in which the venv's copies of the runtime and of onnxruntime / soundfile / soxr
are hidden, so they must all come from the installed extension.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import bpy
import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("gaze_addon", "model_runtime", "assets/presets", "assets/models", "blender_manifest.toml", "pyproject.toml")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bpy.app.version < (4, 5, 0), reason="the install test runs on Blender 4.5 and 5.0"),
]


def _newest_source() -> float:
    times = [p.stat().st_mtime for name in SOURCES for p in ([ROOT / name] if (ROOT / name).is_file() else (ROOT / name).rglob("*")) if p.is_file() and "__pycache__" not in p.parts]
    return max(times)


def _site_packages() -> Path:
    """The venv folder that holds the bpy module (bpy.__file__ is Blender's Python package inside it)."""
    return next(p for p in Path(bpy.__file__).resolve().parents if p.name == "site-packages")


@pytest.fixture(scope="module")
def linux_zip() -> Path:
    version = next(line.split('"')[1] for line in (ROOT / "pyproject.toml").read_text().splitlines() if line.startswith("version"))
    package = ROOT / "dist" / f"speech_gaze-{version}-linux_x64.zip"
    if not package.exists() or package.stat().st_mtime < _newest_source():
        subprocess.run([sys.executable, str(ROOT / "build.py"), "extension"], cwd=ROOT, check=True)
    return package


def test_installed_extension_generates(linux_zip: Path, tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "GAZE_"))}
    env["BLENDER_USER_RESOURCES"] = str(profile)
    driver = Path(__file__).with_name("install_driver.py")
    completed = subprocess.run(
        [sys.executable, "-S", "-s", str(driver), str(_site_packages()), str(linux_zip), str(ROOT / "assets" / "demo_head")],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    lines = [line for line in completed.stdout.splitlines() if line.startswith("RESULT ")]
    assert completed.returncode == 0 and lines, f"driver failed ({completed.returncode}):\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
    report = json.loads(lines[-1][len("RESULT ") :])
    assert report["install"] == ["FINISHED"]
    assert report["enabled"], "the extension was installed but is not enabled"
    for name, path in report["modules"].items():
        assert Path(path).resolve().is_relative_to(profile.resolve()), f"{name} was imported from {path}, not from the installed extension"
    assert Path(report["assets"]).name == "_assets" and Path(report["assets"]).resolve().is_relative_to(profile.resolve())
    shipped = (ROOT / "assets" / "models" / "gaze_generator.onnx").exists()
    assert report["engine"] == ("learned" if shipped else "procedural"), "the zip lacks the learned engine's networks"
    assert report["exit_code"] == 0, completed.stdout[-3000:]
    assert report["rig_action"], "no action was written on the rig"
    assert {"neck", "left_eye", "right_eye"} <= set(report["moved_bones"]), report["moved_bones"]
    assert report["max_blink"] > 0.5, f"the eyes never closed more than {report['max_blink']:.2f} in 10 s"


def test_zip_lists_its_wheels_and_leaves_numpy_to_blender(linux_zip: Path) -> None:
    with zipfile.ZipFile(linux_zip) as archive:
        names = set(archive.namelist())
        manifest = tomllib.loads(archive.read("blender_manifest.toml").decode())
    listed = manifest["build"]["generated"]["wheels"]
    assert manifest["build"]["generated"]["platforms"] == ["linux-x64"]
    assert all(w.removeprefix("./") in names for w in listed), "the manifest lists wheels the zip lacks"
    assert {w.removeprefix("./") for w in listed} == {n for n in names if n.endswith(".whl")}
    projects = {Path(w).name.split("-")[0].lower() for w in listed}
    assert {"gaze_motion_runtime", "onnxruntime", "soundfile", "soxr"} <= projects
    assert "numpy" not in projects
    assert not any("win_amd64" in w or "macosx" in w for w in listed), "another platform's wheel is in the Linux zip"
    assert "__init__.py" in names and "headless.py" in names
