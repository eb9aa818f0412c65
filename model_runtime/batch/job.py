"""One manifest line, start to finish: skip it when its record says the same work is done, else
generate the take and write it (.npz and Live Link Face CSV), then the record.

A line's outputs in the batch folder ``OUT``:

- ``OUT/NAME.npz``: the take
- ``OUT/NAME.csv``: the same take as an ARKit / Live Link Face CSV
- ``OUT/NAME.fbx`` or ``OUT/NAME.glb``, for a line with a rig: the take keyed onto the rig and
  exported through Blender (:mod:`model_runtime.batch.blender`)
- ``OUT/NAME.done.json``: the record, written last: the line's content key and what it was made from

Each file is written whole or not at all (:func:`~model_runtime.outputs.atomic_output`), the record
after the takes, so a line killed half-way has no record and is done again on the next run. The
content key hashes everything the outputs depend on: the audio and style file bytes (or the preset
name), seed, rate, engine and the runtime's code, and for a rig export the rig's bytes, the
armature, the format, the Blender and the add-on's code; a rerun skips a line whose key is unchanged.

:func:`run_line` never raises for a bad line: it returns a failed :class:`LineResult` with the one
line message, so a batch goes on; it is the one function every runner (processes, Ray) calls.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from model_runtime import __version__
from model_runtime.batch.manifest import BatchLine
from model_runtime.errors import GazeError
from model_runtime.outputs import atomic_output

Status = Literal["ok", "skipped", "failed"]
RECORD_SUFFIX = ".done.json"
_CHUNK = 1 << 20
_PACKAGE = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class LineResult:
    """What became of one line: its status, a one-line message, and the seconds it took."""

    number: int
    output: str
    status: Status
    message: str
    seconds: float


@dataclass(frozen=True)
class JobSettings:
    """What every line of a batch shares."""

    out_dir: Path
    engine: str = "procedural"
    force: bool = False  # redo lines even when their record matches
    rig_format: str = "fbx"  # what a line with a rig exports: one of blender.RIG_FORMATS
    blender: str = "auto"  # which Blender exports it: see blender.exporter


def outputs(settings: JobSettings, name: str) -> tuple[Path, Path, Path]:
    """The take, the Live Link CSV and the record of output ``name``."""
    base = settings.out_dir / name
    return base.with_name(name + ".npz"), base.with_name(name + ".csv"), base.with_name(name + RECORD_SUFFIX)


def rig_output(settings: JobSettings, name: str) -> Path:
    """The Blender export of output ``name`` (lines with a rig)."""
    return settings.out_dir / f"{name}.{settings.rig_format}"


@lru_cache(maxsize=1)
def code_version() -> str:
    """The runtime's version and a hash of its source, presets and models: a change to any redoes every line."""
    from model_runtime.assets import assets_dir

    digest = hashlib.sha256(__version__.encode())
    files = [path for path in sorted(_PACKAGE.rglob("*.py")) if "__pycache__" not in path.parts and "_assets" not in path.parts]
    try:
        assets = assets_dir()
        files += sorted(assets.glob("presets/*.json")) + sorted(assets.glob("models/*"))
    except GazeError:
        pass  # no assets: the engines say so on the first line
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:16]}"


def _file_hash(path: Path, what: str) -> str:
    from model_runtime.errors import AudioError

    try:
        stat = path.stat()
        return _hash_of(path, stat.st_size, stat.st_mtime_ns, stat.st_ino)
    except FileNotFoundError:
        raise AudioError(path, "file not found") if what == "audio" else GazeError(f"{path}: {what} file not found") from None
    except IsADirectoryError:
        raise GazeError(f"{path}: is a folder; expected a {what} file") from None
    except OSError as exc:
        raise GazeError(f"{path}: the {what} file cannot be read ({exc.strerror or exc})") from None


@lru_cache(maxsize=64)
def _hash_of(path: Path, _size: int, _mtime_ns: int, _inode: int) -> str:
    """The file's SHA-256, read once per worker while it stays the same file (a rig or a style many
    lines share is not read again for each of them)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def content_key(line: BatchLine, settings: JobSettings) -> dict[str, object]:
    """Everything the line's outputs depend on, as a JSON-ready record (GazeError for a missing file or unknown style)."""
    from model_runtime.performer.presets import PRESET_NAMES

    if line.style in PRESET_NAMES:
        style = f"preset:{line.style}"
    elif Path(line.style).is_file():
        style = f"file{Path(line.style).suffix.lower()}:{_file_hash(Path(line.style), 'style')}"
    else:
        raise GazeError(f"style {line.style!r} is neither a preset ({', '.join(PRESET_NAMES)}) nor an existing STYLE.json or take file")
    key: dict[str, object] = {
        "audio": _file_hash(line.audio, "audio"),
        "style": style,
        "seed": line.seed,
        "fps": line.fps,
        "engine": settings.engine,
        "code": code_version(),
        "outputs": ["npz", "livelink"],
    }
    if line.rig is not None:
        from model_runtime.batch.blender import addon_version, exporter

        key["rig"] = {
            "blend": _file_hash(line.rig, "rig"),
            "armature": line.armature,
            "blender": exporter(settings.blender).identity,
            "addon": addon_version(),
        }
        key["outputs"] = ["npz", "livelink", settings.rig_format]
    return key


def _digest(key: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def _sizes(takes: tuple[Path, ...]) -> dict[str, int]:
    return {path.name: path.stat().st_size for path in takes}


def _done(record: Path, digest: str, takes: tuple[Path, ...]) -> bool:
    """Whether the record vouches for these takes: the same key, and the takes there at the sizes it wrote."""
    from model_runtime.bounded import read_json

    try:
        content = read_json(record)
        return isinstance(content, dict) and content.get("key") == digest and content.get("bytes") == _sizes(takes)
    except (GazeError, OSError):
        return False


def _job(line: BatchLine, settings: JobSettings) -> tuple[Status, str]:
    from model_runtime.generate import generate
    from model_runtime.takes import save_take

    key = content_key(line, settings)
    digest = _digest(key)
    npz, live_link, record = outputs(settings, line.output)
    written: tuple[Path, ...] = (npz, live_link) if line.rig is None else (npz, live_link, rig_output(settings, line.output))
    if not settings.force and _done(record, digest, written):
        return "skipped", "unchanged since the last run"
    record.unlink(missing_ok=True)  # the old record must not vouch for half-written new takes
    clip = generate(line.audio, line.fps, engine=settings.engine, style=line.style, seed=line.seed)
    save_take(clip, npz, "npz")
    save_take(clip, live_link, "livelink")
    message = f"{clip.n_frames} frames at {clip.fps:g} fps"
    if line.rig is not None:
        from model_runtime.batch.blender import RigExport, exporter

        try:
            with atomic_output(written[2]) as temporary:
                exported = exporter(settings.blender).export(RigExport(line.rig, line.armature, npz, temporary, settings.rig_format))
        except BaseException:
            for path in written:  # a failed line leaves none of its outputs
                path.unlink(missing_ok=True)
            raise
        message += f"; {exported}"
    content = {
        "key": digest,
        "line": line.number,
        "audio": str(line.audio),
        "style": line.style,
        "seed": line.seed,
        "fps": line.fps,
        "engine": settings.engine,
        "code": key["code"],
        "frames": clip.n_frames,
        "bytes": _sizes(written),
    }
    if line.rig is not None:
        content["rig"] = str(line.rig) + (f"#{line.armature}" if line.armature else "")
    with atomic_output(record) as temporary:
        temporary.write_text(json.dumps(content, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return "ok", message


def run_line(line: BatchLine, settings: JobSettings) -> LineResult:
    """Do one line; bad input and unexpected failures both come back as a failed result, never raised."""
    start = time.perf_counter()
    try:
        status, message = _job(line, settings)
    except GazeError as exc:
        status, message = "failed", str(exc)
    except Exception as exc:  # a bug or a resource the machine lacks: reported on the line, the batch goes on
        status, message = "failed", f"unexpected {type(exc).__name__}: {str(exc)[:300]} (rerun this line with generate --debug for the traceback)"
    return LineResult(line.number, line.output, status, " ".join(message.split()), time.perf_counter() - start)


def run_lines(lines: Sequence[BatchLine], settings: JobSettings) -> list[LineResult]:
    """Several lines in turn (one task of a cluster runner: fewer, longer tasks cost less to schedule)."""
    return [run_line(line, settings) for line in lines]


def single_thread_environment() -> dict[str, str]:
    """Environment variables that keep numeric libraries to one thread per worker process."""
    return {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")}


def default_jobs() -> int:
    """All the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)
