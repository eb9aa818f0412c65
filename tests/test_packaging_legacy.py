"""The legacy add-on zip in a real Blender 3.4 (Debian's ``blender``): install, enable, generate.

Debian's Blender has no numpy of its own, so this also proves the zip's vendored dependencies
(numpy, onnxruntime, soundfile, soxr, the runtime) are enough. The zip comes from
``python build.py extension`` (built here when missing or older than the sources).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
BLENDER = shutil.which("blender")

pytestmark = [pytest.mark.slow, pytest.mark.skipif(BLENDER is None, reason="Debian's blender (3.4) is not installed")]


def test_legacy_zip_installs_and_generates_in_blender_34(tmp_path: Path) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    package = ROOT / "dist" / f"speech_gaze_legacy-{version}-linux_x64.zip"
    sources = [p for name in ("gaze_addon", "model_runtime", "assets") for p in (ROOT / name).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    if not package.exists() or package.stat().st_mtime < max(p.stat().st_mtime for p in sources):
        subprocess.run([sys.executable, str(ROOT / "build.py"), "extension"], cwd=ROOT, check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "GAZE_"))}
    env |= {"BLENDER_USER_SCRIPTS": str(tmp_path / "scripts"), "BLENDER_USER_CONFIG": str(tmp_path / "config")}
    driver = ROOT / "tests" / "blender" / "legacy_driver.py"
    completed = subprocess.run(
        [BLENDER, "-b", "--factory-startup", "--python-exit-code", "1", "--python", str(driver), "--", str(package), str(ROOT / "assets" / "demo_head")],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    lines = [line for line in completed.stdout.splitlines() if line.startswith("RESULT ")]
    assert completed.returncode == 0 and lines, f"blender failed ({completed.returncode}):\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
    report = json.loads(lines[-1][len("RESULT ") :])
    assert report["enabled"]
    installed = (tmp_path / "scripts" / "addons" / "speech_gaze").resolve()
    for name, path in report["modules"].items():
        assert Path(path).resolve().is_relative_to(installed), f"{name} came from {path}, not from the installed add-on"
    shipped = (ROOT / "assets" / "models" / "gaze_generator.onnx").exists()
    assert report["engine"] == ("learned" if shipped else "procedural"), "the zip lacks the learned engine's networks"
    assert report["exit_code"] == 0, completed.stdout[-3000:]
    assert report["rig_action"], "no action was written on the rig"
    assert any("left_eye" in c for c in report["curves"]) and any("neck" in c for c in report["curves"]), report["curves"]
    assert report["blink_keyed"], "the blink shape keys were not keyed"
