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
import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
SHARED = ROOT.parent / "shared"
# Debian packages: the 3.4 binary for the --background tests, speech synthesis and media tools.
APT_PACKAGES = ("blender", "espeak-ng", "ffmpeg", "sox", "libsndfile1")
APT_COMMANDS = ("blender", "espeak-ng", "ffmpeg", "sox")
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


def ensure_main_venv() -> Path:
    pyproject = (ROOT / "pyproject.toml").read_bytes()
    return ensure_venv(VENV, ["-e", f"{ROOT}[dev]"], key_extra=hashlib.sha256(pyproject).hexdigest())


def ensure_blender_venv(version: str) -> Path:
    venv = ROOT / f".venv-bpy-{version}"
    return ensure_venv(venv, [BLENDER_WHEELS[version], *BLENDER_TEST_DEPS, "-e", str(ROOT)])


def cmd_setup(_: argparse.Namespace) -> int:
    ensure_apt()
    ensure_main_venv()
    for version in BLENDER_WHEELS:
        ensure_blender_venv(version)
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    started = time.monotonic()
    ensure_apt()
    python = ensure_main_venv()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "GAZE_SHARED": str(SHARED)}
    steps: list[tuple[str, list[str | Path]]] = [
        ("ruff", [python, "-m", "ruff", "check", "."]),
        ("mypy", [python, "-m", "mypy"]),
        ("import check", [python, "-c", "import model_runtime, sys; assert 'bpy' not in sys.modules and 'torch' not in sys.modules"]),
        ("pytest (runtime)", [python, "-m", "pytest", "-q", "tests", "--ignore=tests/blender", *args.pytest_args]),
    ]
    failures: list[str] = []
    for name, command in steps:
        log(f"--- {name}")
        if run(command, env=env, check=False) != 0:
            failures.append(name)
    blender_tests = ROOT / "tests" / "blender"
    if blender_tests.is_dir() and any(blender_tests.glob("test_*.py")):
        for version in BLENDER_WHEELS:
            log(f"--- pytest (bpy {version})")
            bpy_python = ensure_blender_venv(version)
            if run([bpy_python, "-m", "pytest", "-q", blender_tests, *args.pytest_args], env=env, check=False) != 0:
                failures.append(f"bpy {version}")
        # Debian's Blender 3.4 binary: the legacy add-on and the `blender -b --python` path. Its system
        # Python (3.11, like .venv) lacks numpy and the runtime's deps; GAZE_PYTHONPATH lends .venv's.
        log("--- blender -b (Debian Blender 3.4)")
        site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True)
        background = ["blender", "-b", "--factory-startup", "--python-exit-code", "1", "--python", blender_tests / "run_background.py"]
        if run(background, env={**env, "GAZE_PYTHONPATH": site.stdout.strip()}, check=False) != 0:
            failures.append("blender 3.4 background")
    log(f"tests took {time.monotonic() - started:.0f} s")
    if failures:
        log(f"FAILED: {', '.join(failures)}")
        return 1
    log("all checks passed")
    return 0


def cmd_demo(_: argparse.Namespace) -> int:
    ensure_apt()
    python = ensure_main_venv()
    out = ROOT / "out"
    out.mkdir(exist_ok=True)
    take = ROOT / "assets" / "takes" / "reference_livelink.csv"
    started = time.monotonic()
    run([python, "-m", "model_runtime", "convert", take, "-o", out / "reference.npz"])
    run([python, "-m", "model_runtime", "info", out / "reference.npz"])
    log(f"demo finished in {time.monotonic() - started:.1f} s; outputs in {out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("setup", help="install everything the other commands need").set_defaults(func=cmd_setup)
    sub.add_parser("demo", help="run the main job on embedded defaults").set_defaults(func=cmd_demo)
    test = sub.add_parser("test", help="run every test, lint and type check")
    test.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    test.set_defaults(func=cmd_test)
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
