"""The packaging pieces that need no Blender: the manifest, the pins, the legacy bootstrap, the runtime wheel.

The extension zips themselves are built, validated and installed by tests/blender/test_install_extension.py.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_{path.stem}_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def build() -> ModuleType:
    return _load(ROOT / "build.py")


@pytest.fixture(scope="module")
def manifest() -> dict:
    return tomllib.loads((ROOT / "blender_manifest.toml").read_text())


@pytest.fixture(scope="module")
def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_manifest_has_what_blender_requires(manifest: dict, project: dict, build: ModuleType) -> None:
    for key in ("schema_version", "id", "version", "name", "tagline", "maintainer", "type", "license", "blender_version_min"):
        assert manifest.get(key), f"blender_manifest.toml lacks {key}"
    assert len(manifest["tagline"]) <= 64 and not manifest["tagline"].endswith(".")
    assert manifest["id"] == build.EXTENSION_ID and manifest["id"].isidentifier()
    assert manifest["version"] == project["version"]
    assert manifest["type"] == "add-on"
    assert tuple(int(p) for p in manifest["blender_version_min"].split(".")) >= (4, 2, 0)
    assert manifest["platforms"] == list(build.EXTENSION_PLATFORMS)
    assert all(len(reason) <= 64 for reason in manifest["permissions"].values())
    # build.py fills the list; the source tree keeps it empty so it never names stale files.
    assert manifest["wheels"] == [] and "wheels = []" in (ROOT / "blender_manifest.toml").read_text()


def test_pins_cover_the_runtime_dependencies_but_not_numpy(project: dict, build: ModuleType) -> None:
    pinned = {pin.split("==")[0].lower().replace("_", "-"): pin for pin in build.DEPENDENCY_WHEELS}
    assert all("==" in pin for pin in build.DEPENDENCY_WHEELS), "bundled wheels must be exact pins"
    assert "numpy" not in pinned, "Blender bundles numpy; a second copy breaks other add-ons"
    for requirement in project["dependencies"]:
        name = requirement.split("=")[0].split(">")[0].split("<")[0].strip().lower()
        if name != "numpy":
            assert name in pinned, f"runtime dependency {name} is not bundled in the extension"
    onnx = next(r for r in project["dependencies"] if r.startswith("onnxruntime"))
    assert pinned["onnxruntime"] == onnx, "the bundled onnxruntime must be the one the runtime is tested with"


def test_legacy_bootstrap_is_an_addon_blender_can_read(build: ModuleType) -> None:
    source = ast.parse((ROOT / "gaze_addon" / "__init__.py").read_text())
    bl_info = next(ast.literal_eval(n.value) for n in source.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "bl_info")
    text = build.LEGACY_INIT.format(bl_info=repr(bl_info))
    tree = ast.parse(text)
    # Blender reads bl_info without importing the module: it must be a plain literal.
    literal = next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "bl_info")
    assert literal["blender"] <= (3, 4, 0) and literal["name"] == bl_info["name"]
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert {"register", "unregister"} <= functions


def test_legacy_bootstrap_names_a_missing_python(build: ModuleType, tmp_path: Path) -> None:
    package = tmp_path / "speech_gaze"
    (package / "_vendor" / "cp39").mkdir(parents=True)
    (package / "__init__.py").write_text(build.LEGACY_INIT.format(bl_info=repr({"name": "x", "blender": (3, 4, 0)})))
    code = "import sys; sys.path.insert(0, sys.argv[1]); import speech_gaze; speech_gaze.register()"
    completed = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=False)
    assert completed.returncode != 0
    assert f"no runtime for Python {sys.version_info[0]}.{sys.version_info[1]}" in completed.stderr and "cp39" in completed.stderr


@pytest.mark.slow
def test_runtime_wheel_is_pure_and_carries_its_assets(build: ModuleType, tmp_path: Path) -> None:
    wheel = build.build_runtime_wheel(build.venv_python(build.VENV), tmp_path)
    assert wheel.name.endswith("-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "unpacked")
    assert "model_runtime/_assets/presets/neutral.json" in names
    assert "model_runtime/_assets/voice/demo_voice.wav" in names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert not any(n.startswith(("assets/", "tests/", "gaze_addon/")) for n in names)
    # Unpacked the way Blender unpacks it, the runtime finds its assets inside itself.
    env = {k: v for k, v in os.environ.items() if k != "GAZE_ASSETS"} | {"PYTHONPATH": str(tmp_path / "unpacked")}
    code = (
        "import model_runtime, model_runtime.assets as a; from model_runtime.performer.presets import load_preset; "
        "load_preset('calm_presenter'); print(model_runtime.__file__); print(a.assets_dir())"
    )
    completed = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=tmp_path)
    module_file, assets = completed.stdout.split()
    assert Path(module_file).is_relative_to(tmp_path / "unpacked")
    assert Path(assets) == tmp_path / "unpacked" / "model_runtime" / "_assets"
