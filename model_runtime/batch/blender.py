"""The batch's way into Blender, for lines whose character has a rig .blend.

``--blender auto`` (the default) uses the ``bpy`` module in the worker itself when it imports
(a batch run from a Python with ``pip install bpy``), else the ``blender`` executable on PATH;
``--blender bpy`` insists on the module; anything else is the path of a Blender executable. An
executable is started once per worker process and kept running
(``blender -b --python gaze_addon/rig_export.py -- --serve``), one request per line, so a line
pays for an export and not for Blender's start. Either way the work is
:func:`gaze_addon.rig_export.export_take`; it needs the add-on's sources beside the runtime's
(a checkout of the project), and a Blender whose Python can import the runtime's dependencies
(they are lent through ``GAZE_PYTHONPATH``: the same Python version as the batch's).
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import json
import os
import select
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO, Protocol

from model_runtime.errors import GazeError

RIG_FORMATS = ("fbx", "glb")
EXPORT_TIMEOUT_S = 900.0  # one line's key and export, a 20-minute take included
_ROOT = Path(__file__).resolve().parents[2]
_ADDON = _ROOT / "gaze_addon"
_ANSWER = "\x1egaze-export "  # gaze_addon.rig_export.ANSWER (that module imports bpy)


@dataclass(frozen=True)
class RigExport:
    """One line's export: the take keyed onto the armature of ``rig`` and written to ``out``."""

    rig: Path
    armature: str  # empty: the scene's only armature
    take: Path
    out: Path
    format: str  # one of RIG_FORMATS


class Exporter(Protocol):
    identity: str  # which Blender: part of a line's content key

    def export(self, request: RigExport) -> str: ...


def addon_dir() -> Path:
    if not (_ADDON / "rig_export.py").is_file():
        raise GazeError(f"a rig export needs the add-on's sources at {_ADDON} (a checkout of the project); this runtime is installed without them")
    return _ADDON


@lru_cache(maxsize=1)
def addon_version() -> str:
    """A hash of the add-on's sources: a change to them redoes every rig export."""
    digest = hashlib.sha256()
    for path in sorted(addon_dir().glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


class _InProcess:
    """The ``bpy`` module, imported into this worker."""

    def __init__(self) -> None:
        from importlib.metadata import PackageNotFoundError, version

        addon_dir()
        try:
            self.identity = f"bpy {version('bpy')}"
        except PackageNotFoundError:
            self.identity = "bpy"

    def export(self, request: RigExport) -> str:
        if str(_ROOT) not in sys.path:
            sys.path.insert(0, str(_ROOT))
        from gaze_addon.rig_export import export_take

        return export_take(request.rig, request.armature, request.take, request.out, request.format)


class _Child:
    """A Blender executable kept running for this worker, answering one request per line."""

    def __init__(self, executable: Path) -> None:
        self.executable = executable
        stat = executable.stat()
        self.identity = f"blender {executable} {stat.st_size} {stat.st_mtime_ns}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log: IO[bytes] | None = None
        self.pending = b""
        atexit.register(self.close)

    def _start(self) -> subprocess.Popen[bytes]:
        self.close()
        # Blender's Python borrows this one's packages (numpy and the runtime's other dependencies).
        lent = [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *os.environ.get("GAZE_PYTHONPATH", "").split(os.pathsep)]
        env = dict(os.environ, GAZE_PYTHONPATH=os.pathsep.join(path for path in dict.fromkeys(lent) if path))
        self.log = tempfile.TemporaryFile()  # noqa: SIM115  (lives as long as the child it logs)
        # One thread, as every batch worker: Blender 3.4's threaded evaluation can drop a key from a baked FBX curve.
        command = [str(self.executable), "-b", "-t", "1", "--factory-startup", "--python-exit-code", "1", "--python", str(addon_dir() / "rig_export.py"), "--", "--serve"]
        try:
            self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, env=env)
        except OSError as exc:
            raise GazeError(f"Blender {self.executable} cannot be started ({exc.strerror or exc})") from None
        self.pending = b""
        return self.process

    def _gone(self, what: str) -> GazeError:
        """The child is unusable: stop it and say why, with the last line it wrote on stderr."""
        last = ""
        if self.log is not None:
            self.log.seek(0)
            lines = [line.strip() for line in self.log.read()[-4000:].decode("utf-8", "replace").splitlines() if line.strip()]
            last = lines[-1] if lines else ""
        self.close()
        return GazeError(f"Blender {self.executable} {what}" + (f" ({last[:200]})" if last else "") + "; a Blender whose Python is the batch's version, or --blender PATH")

    def export(self, request: RigExport) -> str:
        process = self.process if self.process is not None and self.process.poll() is None else self._start()
        assert process.stdin is not None and process.stdout is not None
        fields = {"rig": str(request.rig), "armature": request.armature, "take": str(request.take), "out": str(request.out), "format": request.format}
        try:
            process.stdin.write(json.dumps(fields).encode() + b"\n")
            process.stdin.flush()
        except OSError:
            raise self._gone("stopped before the export") from None
        deadline = time.monotonic() + EXPORT_TIMEOUT_S
        fd = process.stdout.fileno()
        while True:
            newline = self.pending.find(b"\n")
            if newline >= 0:
                text, self.pending = self.pending[:newline].decode("utf-8", "replace"), self.pending[newline + 1 :]
                if text.startswith(_ANSWER):
                    answer = json.loads(text[len(_ANSWER) :])
                    if not answer["ok"]:
                        raise GazeError(str(answer["message"]))
                    return str(answer["message"])
                continue  # Blender's own chatter
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._gone(f"took over {EXPORT_TIMEOUT_S:.0f} s on one export and was stopped")
            if os.name == "posix" and not select.select([fd], [], [], left)[0]:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                process.wait()
                raise self._gone(f"exited (code {process.returncode}) during the export")
            self.pending += chunk

    def close(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            if process.stdin is not None:
                process.stdin.close()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()
        if self.log is not None:
            self.log.close()
            self.log = None


@lru_cache(maxsize=4)
def exporter(choice: str) -> Exporter:
    """The exporter ``--blender`` asks for (one per worker process; GazeError when there is none)."""
    if choice == "bpy" or (choice == "auto" and importlib.util.find_spec("bpy") is not None):
        if importlib.util.find_spec("bpy") is None:
            raise GazeError("--blender bpy: the bpy module is not installed in this Python (pip install bpy, the version of your Blender)")
        return _InProcess()
    if choice == "auto":
        found = shutil.which("blender")
        if found is None:
            raise GazeError("a rig export needs Blender: install the bpy module (pip install bpy) or put blender on PATH, or give --blender PATH")
        return _Child(Path(found).resolve())
    path = Path(choice).expanduser()
    if not path.is_file() or not os.access(path, os.X_OK):
        raise GazeError(f"--blender {choice}: no Blender executable there; expected auto, bpy or the path of a Blender executable")
    return _Child(path.resolve())
