"""The project's own take files: ``.npz`` (arrays) and ``.csv`` (one row per frame).

npz keys: ``format`` ("gaze-motion-clip"), ``version`` (1), ``fps`` (scalar), ``channels`` (9 names,
unicode), ``data`` ((frames, 9) float32), ``meta_keys`` / ``meta_values`` (unicode). Loaded with
``allow_pickle=False``: nothing in a file can run code.

csv: optional ``# fps=25`` comment line, then a header ``frame,time_s,<channels>`` and one row per
frame. Without the comment the rate comes from the ``time_s`` column.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from model_runtime.bounded import read_npz
from model_runtime.clip import MotionClip
from model_runtime.conventions import CHANNELS, MAX_FPS, MIN_FPS, snap_fps
from model_runtime.errors import TakeFormatError
from model_runtime.limits import MAX_CSV_COLUMNS, MAX_META_ENTRIES
from model_runtime.takes.textfile import Columns, CsvReader, check_increasing, number
from model_runtime.takes.values import check_length, checked_motion

FORMAT_NAME = "gaze-motion-clip"
FORMAT_VERSION = 1
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # a fixed member time: the same clip, the same bytes


def save_npz(clip: MotionClip, path: Path) -> None:
    """The clip as a compressed .npz; the same clip gives the same bytes (members are stamped 1980-01-01, not now)."""
    meta = sorted(clip.meta.items())
    arrays = {
        "format": np.array(FORMAT_NAME),
        "version": np.array(FORMAT_VERSION),
        "fps": np.array(clip.fps),
        "channels": np.array(CHANNELS),
        "data": clip.data.astype(np.float32),
        "meta_keys": np.array([k for k, _ in meta], dtype=str),
        "meta_values": np.array([v for _, v in meta], dtype=str),
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


def open_npz(path: Path) -> dict[str, np.ndarray]:
    """All arrays of an npz file, bounded and without unpickling anything; errors name the file."""
    return read_npz(path, TakeFormatError)


def is_native_npz(arrays: dict[str, np.ndarray]) -> bool:
    return "data" in arrays and "channels" in arrays


def _text_list(path: Path, value: np.ndarray, key: str, most: int) -> list[str]:
    if value.dtype.kind != "U" or value.ndim > 1 or value.size > most:
        raise TakeFormatError(path, f"expected up to {most} names (text), got {value.dtype} of shape {value.shape}", f"key {key!r}")
    return [str(name) for name in np.atleast_1d(value)]


def load_npz(path: Path, arrays: dict[str, np.ndarray] | None = None) -> MotionClip:
    arrays = open_npz(path) if arrays is None else arrays
    for key in ("fps", "channels", "data"):
        if key not in arrays:
            raise TakeFormatError(path, f"missing array {key!r}; a motion clip .npz needs fps, channels and data", f"key {key!r}")
    version = arrays.get("version", np.array(FORMAT_VERSION))
    if version.size != 1 or version.dtype.kind not in "iu":
        raise TakeFormatError(path, f"expected one whole number, got {version.dtype} of shape {version.shape}", "key 'version'")
    if int(version.reshape(())) > FORMAT_VERSION:
        raise TakeFormatError(path, f"was written by a newer version (format {int(version.reshape(()))}); this version reads format {FORMAT_VERSION}")
    fps = _scalar_fps(path, arrays["fps"], "key 'fps'")
    channels = _text_list(path, arrays["channels"], "channels", MAX_CSV_COLUMNS)
    data = arrays["data"]
    if data.dtype.kind not in "fiu":
        raise TakeFormatError(path, f"expected numbers, got dtype {data.dtype}", "key 'data'")
    if data.ndim != 2 or data.shape[1] != len(channels):
        raise TakeFormatError(path, f"expected shape (frames, {len(channels)}) to match 'channels', got {data.shape}", "key 'data'")
    missing = [name for name in CHANNELS if name not in channels]
    if missing:
        raise TakeFormatError(path, f"missing channel(s) {', '.join(missing)}", "key 'channels'")
    if data.shape[0] == 0:
        raise TakeFormatError(path, "has no frames; expected at least one", "key 'data'")
    check_length(path, data.shape[0], fps, "key 'data'")
    ordered = data[:, [channels.index(name) for name in CHANNELS]].astype(np.float64)
    checked_motion(path, ordered, lambda frame: f"key 'data', frame {frame}")
    meta: dict[str, str] = {}
    if "meta_keys" in arrays and "meta_values" in arrays:
        keys = _text_list(path, arrays["meta_keys"], "meta_keys", MAX_META_ENTRIES)
        values = _text_list(path, arrays["meta_values"], "meta_values", MAX_META_ENTRIES)
        meta = dict(zip(keys, values, strict=False))
    return MotionClip(fps=fps, data=ordered, meta=meta)


def save_csv(clip: MotionClip, path: Path) -> None:
    header = "frame,time_s," + ",".join(CHANNELS)
    frames = np.arange(clip.n_frames)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(f"# fps={clip.fps!r}\n{header}\n")
        for i in frames:
            values = ",".join(f"{v:.6f}" for v in clip.data[i])
            handle.write(f"{i},{i / clip.fps:.6f},{values}\n")


def load_csv(path: Path) -> MotionClip:
    with CsvReader(path) as reader:
        header = reader.header
        indices = header.require(CHANNELS, "motion clip CSV")
        time_column = header.index("time_s")
        kept = [*indices, *([time_column] if time_column is not None else [])]
        columns = Columns(len(kept))
        for line, row in reader.rows():
            columns.append(line, [number(row[i], path, line, header.names[i]) for i in kept])
    arrays = columns.arrays()
    lines = np.frombuffer(columns.lines, dtype=np.int64)
    fps: float | None = None
    for comment in header.comments:
        key, _, value = comment.partition("=")
        if key.strip() == "fps":
            try:
                fps = number(value, path, 0, "fps")
            except TakeFormatError:
                raise TakeFormatError(path, f"expected '# fps=<number>', got '# {comment[:40]}'", "header comment") from None
    if fps is None:
        if time_column is None or len(lines) < 2:
            raise TakeFormatError(path, "cannot tell the frame rate: expected a '# fps=<number>' line or a time_s column with two or more frames")
        times = arrays[-1]
        check_increasing(path, times, lines, "time_s")
        fps = (len(times) - 1) / (times[-1] - times[0])
    if not MIN_FPS <= fps <= MAX_FPS:
        raise TakeFormatError(path, f"frame rate {fps:g} is outside {MIN_FPS:g}-{MAX_FPS:g} fps")
    check_length(path, len(lines), fps, f"line {lines[-1]}")
    data = checked_motion(path, np.stack(arrays[: len(CHANNELS)], axis=1), lambda row: f"line {lines[row]}")
    return MotionClip(fps=snap_fps(fps), data=data)


def _scalar_fps(path: Path, value: np.ndarray, where: str) -> float:
    if value.size != 1 or value.dtype.kind not in "fiu":
        raise TakeFormatError(path, f"expected a single number for the frame rate, got {value.dtype} of shape {value.shape}", where)
    fps = float(value.reshape(()))
    if not np.isfinite(fps) or not MIN_FPS <= fps <= MAX_FPS:
        raise TakeFormatError(path, f"frame rate {fps:g} is outside {MIN_FPS:g}-{MAX_FPS:g} fps", where)
    return fps
