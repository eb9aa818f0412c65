"""A batch manifest: a CSV with one generation per line, read into typed :class:`BatchLine` values.

Columns (header line first; names are case-insensitive, order free):

=========  ========  ==============================================================================
column     needed    what
=========  ========  ==============================================================================
audio      yes       speech recording; relative paths are from the manifest's folder
style      no        a preset name, a STYLE.json or a take file to take the style from
seed       no        random seed, 0 to 2**32-1 (default 0)
fps        no        frame rate of the outputs
output     no        output name, without folder or extension (default: the audio file's stem)
rig        no        the character's rig .blend, ``RIG.blend#ARMATURE`` when it holds several: the
                     keyed take is also exported through Blender (FBX or glTF, ``batch --rig-format``)
=========  ========  ==============================================================================

Blank lines and lines starting with ``#`` are skipped. Empty cells take the batch's defaults. A bad row does not stop the manifest: it becomes a
:class:`BadLine` with one message naming the manifest, the line and what was expected, and so does a
row whose output name an earlier row already uses. A manifest that cannot be read at all (missing,
not UTF-8 text, no ``audio`` column, beyond the limits) raises :class:`FileFormatError`.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

from model_runtime.conventions import MAX_FPS, MIN_FPS
from model_runtime.errors import FileFormatError

COLUMNS = ("audio", "style", "seed", "fps", "output", "rig")
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
MAX_MANIFEST_LINES = 1_000_000
MAX_FIELD_CHARS = 4096
MAX_NAME_CHARS = 120
MAX_SEED = 2**32 - 1
_FORBIDDEN_IN_NAME = set('/\\:*?"<>|')


@dataclass(frozen=True)
class BatchLine:
    """One generation: where its speech and style come from, its seed and rate, and its output name."""

    number: int  # line of the manifest (1 is the header)
    audio: Path
    style: str  # a preset name or a path
    seed: int
    fps: float
    output: str  # file name without extension, unique in the batch (case-insensitively)
    rig: Path | None = None  # the character's .blend, for the Blender export
    armature: str = ""  # the armature in it; empty: its only one


@dataclass(frozen=True)
class BadLine:
    """A manifest row that cannot run: its line, the output name it asked for (if any) and why."""

    number: int
    output: str
    message: str


@dataclass(frozen=True)
class Defaults:
    """What an empty cell means."""

    style: str = "neutral"
    seed: int = 0
    fps: float = 30.0


def _whole(text: str) -> int | None:
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    return int(text)


def _rate(text: str) -> float | None:
    try:
        if "_" in text:
            raise ValueError
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and MIN_FPS <= value <= MAX_FPS else None


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be an output name, or None."""
    if not name:
        return "is empty"
    if len(name) > MAX_NAME_CHARS:
        return f"is {len(name)} characters long; expected at most {MAX_NAME_CHARS}"
    if any(char in _FORBIDDEN_IN_NAME or not char.isprintable() for char in name):
        return 'holds a folder separator or one of : * ? " < > | or a control character; expected a plain file name'
    if name.startswith(".") or name.endswith((".", " ")) or name != name.strip():
        return "starts with a dot or has spaces or a dot at an end; expected a plain file name"
    if name.lower().endswith(".done"):
        return "ends in .done, which the batch keeps for its own records"
    return None


def _line(row: dict[str, str], number: int, folder: Path, defaults: Defaults, where: str) -> BatchLine | BadLine:
    def bad(problem: str, output: str = "") -> BadLine:
        return BadLine(number, output, f"{where}: {problem}")

    audio_text = row.get("audio", "")
    output = row.get("output", "")
    if output.lower().endswith(".npz"):
        output = output[: -len(".npz")]
    if not audio_text:
        return bad("the audio cell is empty; expected a speech recording", output)
    audio = folder / audio_text
    if not output:
        output = audio.stem
    problem = name_problem(output)
    if problem:
        return bad(f"output name {output[:60]!r} {problem}")
    seed_text = row.get("seed", "")
    seed = defaults.seed if not seed_text else _whole(seed_text)
    if seed is None or not 0 <= seed <= MAX_SEED:
        return bad(f"seed {seed_text[:40]!r} is not a whole number from 0 to {MAX_SEED}", output)
    fps_text = row.get("fps", "")
    fps = defaults.fps if not fps_text else _rate(fps_text)
    if fps is None:
        return bad(f"fps {fps_text[:40]!r} is not a frame rate of {MIN_FPS:g} to {MAX_FPS:g}", output)
    style_text = row.get("style", "")
    from model_runtime.performer.presets import PRESET_NAMES

    style = style_text if style_text in PRESET_NAMES else str(folder / style_text) if style_text else defaults.style
    rig_text, _, armature = row.get("rig", "").partition("#")
    if rig_text and not rig_text.lower().endswith(".blend"):
        return bad(f"rig {Path(rig_text).name[:60]!r} is not a .blend; expected the character's rig as RIG.blend or RIG.blend#ARMATURE", output)
    return BatchLine(number, audio, style, seed, fps, output, folder / rig_text if rig_text else None, armature.strip())


def read_manifest(path: Path, defaults: Defaults = Defaults()) -> list[BatchLine | BadLine]:
    """Every row of the manifest at ``path``, in order: a BatchLine, or a BadLine saying why not."""
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise FileFormatError(path, "is a folder; expected a manifest CSV")
        if size > MAX_MANIFEST_BYTES:
            raise FileFormatError(path, f"is {size / 2**20:.0f} MiB; expected a manifest CSV of at most {MAX_MANIFEST_BYTES // 2**20} MiB")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FileFormatError(path, "no such file; expected a manifest CSV") from None
    except OSError as exc:
        raise FileFormatError(path, f"cannot be read ({exc.strerror or exc})") from None
    if b"\x00" in raw:
        raise FileFormatError(path, "contains binary data (NUL bytes); expected a UTF-8 CSV manifest")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileFormatError(path, f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); expected a UTF-8 CSV manifest") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    folder = path.parent
    lines: list[BatchLine | BadLine] = []
    header: list[str] | None = None
    seen: dict[str, int] = {}
    try:
        for cells in reader:
            number = reader.line_num
            if number > MAX_MANIFEST_LINES:
                raise FileFormatError(path, f"has more than {MAX_MANIFEST_LINES} lines; split it into several batches")
            if not any(cell.strip() for cell in cells) or cells[0].lstrip().startswith("#"):
                continue  # blank lines and comments
            if header is None:
                header = [cell.strip().lower() for cell in cells]
                unknown = [name for name in header if name not in COLUMNS]
                if unknown or "audio" not in header or len(set(header)) != len(header):
                    raise FileFormatError(
                        path,
                        f"header {','.join(cells)[:200]!r} is not a manifest header; expected the column audio and any of {', '.join(COLUMNS[1:])}, each once",
                        f"line {number}",
                    )
                continue
            where = f"{path}: line {number}"
            if len(cells) > len(header) or any(len(cell) > MAX_FIELD_CHARS for cell in cells):
                lines.append(BadLine(number, "", f"{where}: has {len(cells)} cells (at most {len(header)}, each under {MAX_FIELD_CHARS} characters)"))
                continue
            row = {name: cell.strip() for name, cell in zip(header, cells, strict=False)}  # short rows: missing cells are empty
            line = _line(row, number, folder, defaults, where)
            if line.output:
                key = line.output.casefold()
                if key in seen:
                    line = BadLine(number, line.output, f"{where}: output name {line.output!r} is already used by line {seen[key]}; give each line its own output name")
                else:
                    seen[key] = number
            lines.append(line)
    except csv.Error as exc:
        raise FileFormatError(path, f"is not a readable CSV ({exc})", f"line {reader.line_num}") from None
    if header is None:
        raise FileFormatError(path, "is empty; expected a header line (audio,style,seed,fps,output) and one line per generation")
    return lines
