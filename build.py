#!/usr/bin/env python3
"""Set-up, demo, tests, packaging and training of the project: ``python build.py COMMAND``.

    setup      Debian packages, .venv (runtime + dev) and the Blender venvs, idempotent
    demo       the main job on embedded defaults (see README)
    test       every test, lint and type check; what CI runs
    extension  the installable Blender extension zips
    train      reproduce the shipped model weights

Only the standard library is used here, so a bare ``python3`` can run it on a fresh machine.
"""

from __future__ import annotations

import argparse
import ast
import functools
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import types
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
SHARED = ROOT.parent / "shared"
# Debian packages: the 3.4 binary for the --background tests, speech synthesis and media tools;
# Xvfb, xauth and Mesa's software OpenGL run that Blender with a window (the undo test).
APT_PACKAGES = ("blender", "espeak-ng", "ffmpeg", "sox", "libsndfile1", "xvfb", "xauth", "libgl1-mesa-dri")
APT_COMMANDS = ("blender", "espeak-ng", "ffmpeg", "sox", "xvfb-run", "xauth")
# One venv per Blender version (one Blender per process). 4.2's wheel has no audio (aud).
BLENDER_WHEELS = {"4.2": "bpy==4.2.23", "4.5": "bpy==4.5.15", "5.0": "bpy==5.0.1"}
BLENDER_TEST_DEPS = ("pytest>=8",)


def log(message: str) -> None:
    print(f"[build] {message}", flush=True)


def run(command: Sequence[str | Path], env: dict[str, str] | None = None, check: bool = True, cwd: Path = ROOT) -> int:
    printable = " ".join(str(c) for c in command)
    log(f"$ {printable}")
    completed = subprocess.run([str(c) for c in command], cwd=cwd, env=env, check=False)
    if check and completed.returncode != 0:
        raise SystemExit(f"[build] failed ({completed.returncode}): {printable}")
    return completed.returncode


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_apt() -> None:
    missing = [c for c in APT_COMMANDS if shutil.which(c) is None]
    if not missing:
        return
    if os.name != "posix" or os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise SystemExit(f"[build] missing programs {missing}; install the Debian packages {' '.join(APT_PACKAGES)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update", "-qq"], env=env)
    run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *APT_PACKAGES], env=env)


def _stamp_matches(venv: Path, key: str) -> bool:
    stamp = venv / ".build-stamp"
    return venv_python(venv).exists() and stamp.exists() and stamp.read_text() == key


def ensure_venv(venv: Path, requirements: Sequence[str], key_extra: str = "") -> Path:
    """A venv holding ``requirements``; rebuilt only when they (or pyproject.toml) change."""
    key = hashlib.sha256("\n".join([*requirements, key_extra, sys.version]).encode()).hexdigest()
    python = venv_python(venv)
    if _stamp_matches(venv, key):
        return python
    log(f"creating {venv.name}")
    if venv.exists():
        shutil.rmtree(venv)
    run([sys.executable, "-m", "venv", venv])
    run([python, "-m", "pip", "install", "-q", "--upgrade", "pip"])
    run([python, "-m", "pip", "install", "-q", *requirements])
    (venv / ".build-stamp").write_text(key)
    return python


def dependency_key() -> str:
    """The declared dependencies alone: editing other pyproject sections must not rebuild .venv."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {"dependencies": project.get("dependencies", []), "optional": project.get("optional-dependencies", {})}
    return hashlib.sha256(repr(declared).encode()).hexdigest()


def ensure_main_venv() -> Path:
    return ensure_venv(VENV, ["-e", f"{ROOT}[dev]"], key_extra=dependency_key())


def ensure_blender_venv(version: str) -> Path:
    venv = ROOT / f".venv-bpy-{version}"
    return ensure_venv(venv, [BLENDER_WHEELS[version], *BLENDER_TEST_DEPS, "-e", str(ROOT)])


def cmd_setup(_: argparse.Namespace) -> int:
    ensure_apt()
    ensure_main_venv()
    for version in BLENDER_WHEELS:
        ensure_blender_venv(version)
    return 0


def _junit_counts(path: Path) -> tuple[int, int, int]:
    """(passed, failed, skipped) from a pytest junit file; a missing file counts as one failure."""
    import xml.etree.ElementTree as ET

    if not path.exists():
        return 0, 1, 0
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in ET.parse(path).getroot().iter("testsuite"):
        for key in totals:
            totals[key] += int(suite.get(key, 0))
    failed = totals["failures"] + totals["errors"]
    return totals["tests"] - failed - totals["skipped"], failed, totals["skipped"]


def _bpy_pytest(version: str, tests: Path, report: Path, pytest_args: list[str]) -> list[str | Path]:
    return [ensure_blender_venv(version), "-m", "pytest", "-q", tests, f"--junitxml={report}", *pytest_args]


def cmd_test(args: argparse.Namespace) -> int:
    started = time.monotonic()
    ensure_apt()
    python = ensure_main_venv()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "GAZE_SHARED": str(SHARED)}
    junit = ROOT / ".cache" / "junit"
    shutil.rmtree(junit, ignore_errors=True)
    junit.mkdir(parents=True)
    # Each step: name, command (or what makes it: a Blender venv is built only when its step comes,
    # after lint and the runtime tests), and the junit file it writes (None: the step is one check).
    steps: list[tuple[str, list[str | Path] | Callable[[], list[str | Path]], Path | None]] = [
        ("ruff", [python, "-m", "ruff", "check", "."], None),
        ("mypy", [python, "-m", "mypy"], None),
        ("import check", [python, "-c", "import model_runtime, sys; assert 'bpy' not in sys.modules and 'torch' not in sys.modules"], None),
        ("pytest (runtime)", [python, "-m", "pytest", "-q", "tests", "--ignore=tests/blender", f"--junitxml={junit / 'runtime.xml'}", *args.pytest_args], junit / "runtime.xml"),
    ]
    blender_tests = ROOT / "tests" / "blender"
    has_blender_tests = blender_tests.is_dir() and any(blender_tests.glob("test_*.py"))
    if has_blender_tests:
        for version in BLENDER_WHEELS:
            bpy_report = junit / f"bpy-{version}.xml"
            steps.append((f"pytest (bpy {version})", functools.partial(_bpy_pytest, version, blender_tests, bpy_report, args.pytest_args), bpy_report))
    totals = [0, 0, 0]
    failures: list[str] = []

    def record(name: str, returncode: int, report: Path | None) -> None:
        counts = _junit_counts(report) if report else ((1, 0, 0) if returncode == 0 else (0, 1, 0))
        if returncode != 0 and counts[1] == 0:
            counts = (counts[0], 1, counts[2])  # a crash after the tests still fails the step
        for i, value in enumerate(counts):
            totals[i] += value
        if returncode != 0:
            failures.append(name)

    for name, command, report in steps:
        log(f"--- {name}")
        record(name, run(command() if callable(command) else command, env=env, check=False), report)
    if has_blender_tests:
        # Debian's Blender 3.4 binary: the legacy add-on and the `blender -b --python` path. Its system
        # Python (3.11, like .venv) lacks numpy and the runtime's deps; GAZE_PYTHONPATH lends .venv's.
        log("--- blender -b (Debian Blender 3.4)")
        site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True)
        background: list[str | Path] = ["blender", "-b", "--factory-startup", "--python-exit-code", "1", "--python", blender_tests / "run_background.py"]
        record("blender 3.4 background", run(background, env={**env, "GAZE_PYTHONPATH": site.stdout.strip()}, check=False), None)
    log(f"tests took {time.monotonic() - started:.0f} s")
    if failures:
        log(f"FAILED: {', '.join(failures)}")
    else:
        log("all checks passed")
    # One closing line over every step (pytest tests, plus lint, types and scripts as one check each).
    print(f"summary: {totals[0]} passed, {totals[1]} failed, {totals[2]} skipped", flush=True)
    return 1 if failures else 0


# --- extension: installable zips --------------------------------------------------------------------
EXTENSION_ID = "speech_gaze"
# Blender's platform names -> the pip platform tags of wheels that run there.
EXTENSION_PLATFORMS = {
    "linux-x64": ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"),
    "windows-x64": ("win_amd64",),
    "macos-arm64": ("macosx_11_0_arm64", "macosx_12_0_arm64", "macosx_13_0_arm64", "macosx_14_0_arm64", "macosx_10_9_universal2"),
}
# The runtime's dependencies, pinned, as PyPI ships them (Blender takes wheels unmodified). numpy is
# Blender's own; soundfile imports cffi's compiled backend and typing_extensions.
DEPENDENCY_WHEELS = ("onnxruntime==1.23.2", "soundfile==0.14.0", "soxr==1.1.0", "cffi==2.1.1", "typing_extensions==4.15.0")
# The legacy add-on also vendors numpy, for Blender builds without one (Debian's); it comes last on
# sys.path, so a Blender's own numpy wins.
LEGACY_EXTRA_WHEELS = ("numpy==1.26.4",)
EXTENSION_PYTHON = "3.11"  # Blender 4.2-5.0
LEGACY_PYTHONS = ("3.10", "3.11")  # Blender 3.4-4.0 and 4.1
# What the runtime reads at run time; shipped inside the wheel as model_runtime/_assets.
WHEEL_ASSETS = ("presets", "models", "takes/reference_livelink.csv", "voice/demo_voice.wav", "voice/LICENSE.md")
WHEEL_CACHE = ROOT / ".cache" / "wheels"
DIST = ROOT / "dist"
EXTENSION_BUILDER_PYTHON = "5.0"  # the bpy venv whose blender_ext.py builds and validates the zips
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "_assets")


def project_version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


def download_wheels(python: Path, platform: str, python_version: str, pins: Sequence[str]) -> list[Path]:
    """The wheels of ``pins`` for a Blender platform and Python, from PyPI, cached in .cache/wheels."""
    folder = WHEEL_CACHE / f"{platform}-cp{python_version.replace('.', '')}-{hashlib.sha256(' '.join(pins).encode()).hexdigest()[:8]}"
    stamp = folder / ".pins"
    if not (stamp.exists() and stamp.read_text() == "\n".join(pins)):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        abi = f"cp{python_version.replace('.', '')}"
        platforms = [arg for tag in EXTENSION_PLATFORMS[platform] for arg in ("--platform", tag)]
        run([python, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "--dest", folder,
             "--python-version", python_version, "--implementation", "cp", "--abi", abi, "--abi", "abi3", "--abi", "none",
             *platforms, *pins])  # fmt: skip
        stamp.write_text("\n".join(pins))
    wheels = sorted(folder.glob("*.whl"))
    if len(wheels) != len(pins):
        raise SystemExit(f"[build] expected {len(pins)} wheels in {folder}, found {[w.name for w in wheels]}; delete the folder and retry")
    return wheels


def build_runtime_wheel(python: Path, work: Path) -> Path:
    """model_runtime as a pure-python wheel, with the shipped assets as package data (_assets)."""
    source = work / "runtime-source"
    shutil.copytree(ROOT / "model_runtime", source / "model_runtime", ignore=_SKIP)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for relative in WHEEL_ASSETS:
        origin, target = ROOT / "assets" / relative, source / "model_runtime" / "_assets" / relative
        if not origin.exists():
            log(f"note: assets/{relative} does not exist; the runtime wheel ships without it")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, target, ignore=_SKIP)
        else:
            shutil.copy2(origin, target)
    run([python, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--wheel-dir", work / "runtime-wheel", source])
    (wheel,) = (work / "runtime-wheel").glob("*.whl")
    return wheel


def blender_scripts(bpy_python: Path) -> Path:
    """Blender's bundled scripts folder (holds the extension builder), from the bpy venv."""
    printed = subprocess.run([str(bpy_python), "-c", "import bpy, sys; sys.stdout.write('\\n' + bpy.utils.system_resource('SCRIPTS'))"],
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
    return Path(printed.strip().splitlines()[-1])


LEGACY_INIT = '''"""Speech Gaze as a legacy add-on for Blender 3.4-4.1 (4.2+ installs the extension zip instead).

The add-on is in ``addon/``; the runtime and its dependencies are unpacked per Python version in
``_vendor/cpXY`` and appended to sys.path, so modules Blender already has (its numpy) win.
"""

import sys
from pathlib import Path

bl_info = {bl_info}

_PYTHON = f"{{sys.version_info[0]}}.{{sys.version_info[1]}}"


def _vendor_dir():
    folder = Path(__file__).resolve().parent / "_vendor" / ("cp" + _PYTHON.replace(".", ""))
    if not folder.is_dir():
        raise RuntimeError(f"Speech Gaze: this zip carries no runtime for Python {{_PYTHON}} (it has {{', '.join(sorted(p.name for p in folder.parent.iterdir()))}}); "
                           "use the zip for your platform, or the extension zip on Blender 4.2+")
    return str(folder)


def register():
    vendor = _vendor_dir()
    if vendor not in sys.path:
        sys.path.append(vendor)
    from .addon import register as _register

    _register()


def unregister():
    from .addon import unregister as _unregister

    _unregister()
'''


def build_legacy_zip(platform: str, runtime: Path, wheels_by_python: dict[str, list[Path]], version: str) -> Path:
    """A bl_info add-on zip for Blender 3.4-4.1: the add-on plus unpacked wheels per Python version."""
    source = ast.parse((ROOT / "gaze_addon" / "__init__.py").read_text())
    bl_info = next(ast.literal_eval(node.value) for node in source.body if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "bl_info")
    bl_info["description"] += " (legacy add-on; dependencies bundled)"
    target = DIST / f"{EXTENSION_ID}_legacy-{version}-{platform.replace('-', '_')}.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.writestr(f"{EXTENSION_ID}/__init__.py", LEGACY_INIT.format(bl_info=repr(bl_info)))
        for path in sorted((ROOT / "gaze_addon").rglob("*.py")):
            if "__pycache__" not in path.parts:
                archive.write(path, f"{EXTENSION_ID}/addon/{path.relative_to(ROOT / 'gaze_addon').as_posix()}")
        for python_version, wheels in wheels_by_python.items():
            prefix = f"{EXTENSION_ID}/_vendor/cp{python_version.replace('.', '')}"
            for wheel in [runtime, *wheels]:
                with zipfile.ZipFile(wheel) as packed:
                    for info in packed.infolist():
                        if not info.is_dir():
                            archive.writestr(f"{prefix}/{info.filename}", packed.read(info), zipfile.ZIP_DEFLATED)
    return target


def cmd_extension(_: argparse.Namespace) -> int:
    started = time.monotonic()
    python = ensure_main_venv()
    bpy_python = ensure_blender_venv(EXTENSION_BUILDER_PYTHON)
    version = project_version()
    DIST.mkdir(exist_ok=True)
    for old in DIST.glob(f"{EXTENSION_ID}*.zip"):
        old.unlink()
    scripts = blender_scripts(bpy_python)
    builder = scripts / "addons_core" / "bl_pkg" / "cli" / "blender_ext.py"
    tags = scripts / "modules" / "_bpy_internal" / "extensions" / "tags.py"
    with tempfile.TemporaryDirectory(prefix="gaze-extension-") as tmp:
        work = Path(tmp)
        runtime = build_runtime_wheel(python, work)
        stage = work / EXTENSION_ID
        shutil.copytree(ROOT / "gaze_addon", stage, ignore=_SKIP)
        (stage / "wheels").mkdir()
        names = [runtime.name]
        shutil.copy2(runtime, stage / "wheels")
        for platform in EXTENSION_PLATFORMS:
            for wheel in download_wheels(python, platform, EXTENSION_PYTHON, DEPENDENCY_WHEELS):
                if wheel.name not in names:
                    names.append(wheel.name)
                    shutil.copy2(wheel, stage / "wheels")
        manifest = (ROOT / "blender_manifest.toml").read_text()
        listed = "wheels = [\n" + "".join(f'    "./wheels/{name}",\n' for name in names) + "]"
        if "wheels = []" not in manifest:
            raise SystemExit("[build] blender_manifest.toml must hold the line 'wheels = []' for the build to fill")
        (stage / "blender_manifest.toml").write_text(manifest.replace("wheels = []", listed))
        run([bpy_python, builder, "build", "--source-dir", stage, "--output-dir", DIST, "--split-platforms", "--valid-tags", tags])
        built = sorted(DIST.glob(f"{EXTENSION_ID}-{version}-*.zip"))
        if len(built) != len(EXTENSION_PLATFORMS):
            raise SystemExit(f"[build] expected one zip per platform {list(EXTENSION_PLATFORMS)}, got {[z.name for z in built]}")
        for package in built:
            run([bpy_python, builder, "validate", package])
        for platform in EXTENSION_PLATFORMS:
            pins = (*DEPENDENCY_WHEELS, *LEGACY_EXTRA_WHEELS)
            wheels = {py: download_wheels(python, platform, py, pins) for py in LEGACY_PYTHONS}
            built.append(build_legacy_zip(platform, runtime, wheels, version))
    for package in built:
        log(f"{package.relative_to(ROOT)}  {package.stat().st_size / 1e6:.1f} MB")
    log(f"extension zips built and validated in {time.monotonic() - started:.0f} s")
    return 0


# --- demo: the main job -------------------------------------------------------------------------------
DEMO_BLENDER = "5.0"
DEMO_SECONDS = 10
DEMO_FPS = 25  # as assets/demo_head/render_demo.py keys and renders
DEMO_LEGACY_PRESET = "calm_presenter"  # the style of the Blender 3.4 demo scene


def _load_script(path: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cmd_demo(_: argparse.Namespace) -> int:
    started = time.monotonic()
    steps: list[tuple[str, float]] = []
    clock = started

    def step(name: str) -> None:
        nonlocal clock
        now = time.monotonic()
        steps.append((name, now - clock))
        log(f"{name}: {now - clock:.1f} s")
        clock = now

    ensure_apt()
    python = ensure_main_venv()
    bpy_python = ensure_blender_venv(DEMO_BLENDER)
    step("set-up (Debian packages, venvs)")
    out = ROOT / "out"
    out.mkdir(exist_ok=True)
    voice, how = _load_script(ROOT / "assets" / "voice" / "make_voice.py").voice_clip(out / "voice.wav")
    log(f"voice: {how}")
    step("voice")
    run([bpy_python, ROOT / "assets" / "demo_head" / "render_demo.py", "--out", out, "--voice", voice, "--seconds", str(DEMO_SECONDS)])
    blender = json.loads((out / "demo_blender.json").read_text())
    step("Blender: head, two generations, demo.blend, frames")
    video = out / "demo.mp4"
    run(["ffmpeg", "-loglevel", "error", "-y", "-framerate", str(DEMO_FPS), "-i", out / "frames" / "%04d.png", "-i", voice,
         "-t", str(DEMO_SECONDS), "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18", "-c:a", "aac", "-b:a", "128k", video])  # fmt: skip
    # Contact sheet: the preset (one frame a second) above the reference-style video at the same times.
    sheet = out / "contact_sheet.png"
    pick = f"not(mod(n+{DEMO_FPS - DEMO_FPS // 2}\\,{DEMO_FPS}))"
    columns, rows = 5, -(-DEMO_SECONDS // 5)
    run(["ffmpeg", "-loglevel", "error", "-y", "-i", out / "frames_preset" / "%04d.png", "-i", out / "frames" / "%04d.png", "-filter_complex",
         f"[0]tile={columns}x{rows}[a];[1]select='{pick}',tile={columns}x{rows}[b];[a][b]vstack", "-frames:v", "1", "-update", "1", sheet])  # fmt: skip
    step("video and contact sheet (ffmpeg)")
    # The same head keyed in Debian's Blender 3.4 (headless, the legacy add-on from the checkout):
    # a demo scene that Blender 3.4 to 4.1 can open (a 5.0 .blend cannot be read by them).
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True)
    legacy_env = {**os.environ, "GAZE_PYTHONPATH": site.stdout.strip()}
    legacy_head = out / "demo_head_blender34.blend"
    run(["blender", "-b", "--factory-startup", "--python-exit-code", "1", "--python", ROOT / "assets" / "demo_head" / "build_head.py", "--", legacy_head], env=legacy_env)
    run(["blender", "-b", legacy_head, "--python-exit-code", "1", "--python", ROOT / "gaze_addon" / "headless.py", "--", "--audio", voice,
         "--eye-contact", "camera", "--style", DEMO_LEGACY_PRESET, "--output", out / "demo_blender34.blend"], env=legacy_env)  # fmt: skip
    legacy_head.unlink(missing_ok=True)
    step("Blender 3.4: demo_blender34.blend")
    motion = out / "demo_reference_style.npz"
    run([python, "-m", "model_runtime", "eval", motion, "--audio", voice, "--json", out / "eval.json", "--report", out / "eval_report.html"])
    step("evaluation report")
    total = time.monotonic() - started
    print(f"\n[build] demo done in {total:.0f} s ({total / 60:.1f} min); Blender {blender['blender']}, engine {blender['engine']}")
    for name, seconds in steps:
        print(f"    {seconds:7.1f} s  {name}")
    for name, seconds in blender["steps_s"].items():
        print(f"    {seconds:7.1f} s    Blender: {name}")
    print(f"    rendering: {blender['frames']} frames at {blender['size']}x{blender['size']}, Cycles CPU {blender['samples']} samples + denoise: "
          f"{blender['per_frame_s']:.2f} s per frame (first frame {blender['first_frame_s']:.2f} s)")
    print("outputs:")
    for path, what in ((out / "demo.blend", "the scene: head, rig, the reference-style take on the gaze layer, voice strip"),
                       (out / "demo_blender34.blend", "the same head keyed in Blender 3.4 (opens in 3.4 and later)"),
                       (video, f"{DEMO_SECONDS} s video with the voice, in the style of the reference take"),
                       (sheet, "contact sheet: preset (top) and reference style (bottom), one frame a second"),
                       (out / "eval_report.html", "evaluation report of the generated motion"), (out / "eval.json", "its figures"),
                       (motion, "the generated motion (reference style)"), (out / "demo_preset.npz", "the generated motion (preset)"),
                       (voice, f"the voice ({how})")):  # fmt: skip
        print(f"    {path.relative_to(ROOT)}  {what}")
    return 0


def cmd_train(_: argparse.Namespace) -> int:
    """Reproduce assets/models/*.onnx and docs/model_card.md on CPU (about 20-30 min on 2 cores)."""
    ensure_apt()
    python = ensure_main_venv()
    started = time.monotonic()
    code = run([python, "-m", "model_runtime", "train"], env={**os.environ, "GAZE_SHARED": str(SHARED)}, check=False)
    log(f"training took {time.monotonic() - started:.0f} s; models in assets/models, model card in docs/model_card.md")
    return code


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("setup", help="install everything the other commands need").set_defaults(func=cmd_setup)
    sub.add_parser("demo", help="run the main job on embedded defaults").set_defaults(func=cmd_demo)
    sub.add_parser("extension", help="build and validate the Blender extension zips (and the legacy add-on zips)").set_defaults(func=cmd_extension)
    sub.add_parser("train", help="reproduce the shipped model weights (CPU, <= 30 min)").set_defaults(func=cmd_train)
    test = sub.add_parser("test", help="run every test, lint and type check")
    test.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    test.set_defaults(func=cmd_test)
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
