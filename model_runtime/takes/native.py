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

from model_runtime.clip import MotionClip
from model_runtime.conventions import CHANNELS, MAX_FPS, MIN_FPS, snap_fps
from model_runtime.errors import TakeFormatError
from model_runtime.takes.textfile import check_increasing, parse_csv

FORMAT_NAME = "gaze-motion-clip"
FORMAT_VERSION = 1


def save_npz(clip: MotionClip, path: Path) -> None:
    meta = sorted(clip.meta.items())
    with path.open("wb") as handle:
        np.savez_compressed(
            handle,
            format=np.array(FORMAT_NAME),
            version=np.array(FORMAT_VERSION),
            fps=np.array(clip.fps),
            channels=np.array(CHANNELS),
            data=clip.data.astype(np.float32),
            meta_keys=np.array([k for k, _ in meta], dtype=str),
            meta_values=np.array([v for _, v in meta], dtype=str),
        )


def open_npz(path: Path) -> dict[str, np.ndarray]:
    """All arrays of an npz file without unpickling anything; errors name the file."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise TakeFormatError(path, "is a single .npy array, not an .npz archive")
            return {key: archive[key] for key in archive.files}
    except TakeFormatError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc):
            raise TakeFormatError(path, "holds Python objects (pickled data), which are never loaded; expected numeric arrays") from None
        raise TakeFormatError(path, f"is not a readable .npz archive ({exc})") from None
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise TakeFormatError(path, f"is not a readable .npz archive ({exc})") from None


def is_native_npz(arrays: dict[str, np.ndarray]) -> bool:
    return "data" in arrays and "channels" in arrays


def load_npz(path: Path, arrays: dict[str, np.ndarray] | None = None) -> MotionClip:
    arrays = open_npz(path) if arrays is None else arrays
    for key in ("fps", "channels", "data"):
        if key not in arrays:
            raise TakeFormatError(path, f"missing array {key!r}; a motion clip .npz needs fps, channels and data", f"key {key!r}")
    version = int(arrays["version"]) if "version" in arrays and arrays["version"].size == 1 else FORMAT_VERSION
    if version > FORMAT_VERSION:
        raise TakeFormatError(path, f"was written by a newer version (format {version}); this version reads format {FORMAT_VERSION}")
    fps = _scalar_fps(path, arrays["fps"], "key 'fps'")
    channels = [str(name) for name in np.atleast_1d(arrays["channels"])]
    data = arrays["data"]
    if data.dtype.kind not in "fiu":
        raise TakeFormatError(path, f"expected numbers, got dtype {data.dtype}", "key 'data'")
    if data.ndim != 2 or data.shape[1] != len(channels):
        raise TakeFormatError(path, f"expected shape (frames, {len(channels)}) to match 'channels', got {data.shape}", "key 'data'")
    missing = [name for name in CHANNELS if name not in channels]
    if missing:
        raise TakeFormatError(path, f"missing channel(s) {', '.join(missing)}", "key 'channels'")
    ordered = data[:, [channels.index(name) for name in CHANNELS]].astype(np.float64)
    if ordered.shape[0] == 0:
        raise TakeFormatError(path, "has no frames; expected at least one", "key 'data'")
    bad = np.argwhere(~np.isfinite(ordered))
    if bad.size:
        frame, column = bad[0]
        raise TakeFormatError(path, "contains NaN or infinite values; expected finite numbers", f"key 'data', frame {frame}, channel {CHANNELS[column]!r}")
    meta: dict[str, str] = {}
    if "meta_keys" in arrays and "meta_values" in arrays:
        meta = {str(k): str(v) for k, v in zip(np.atleast_1d(arrays["meta_keys"]), np.atleast_1d(arrays["meta_values"]), strict=False)}
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
    table = parse_csv(path)
    columns = table.require(CHANNELS, "motion clip CSV")
    data = np.stack([table.numbers(c) for c in columns], axis=1)
    fps: float | None = None
    for comment in table.comments:
        key, _, value = comment.partition("=")
        if key.strip() == "fps":
            try:
                fps = float(value)
            except ValueError:
                raise TakeFormatError(path, f"expected '# fps=<number>', got '# {comment}'", "header comment") from None
    if fps is None:
        time_column = table.column_index("time_s")
        if time_column is None or len(table.rows) < 2:
            raise TakeFormatError(path, "cannot tell the frame rate: expected a '# fps=<number>' line or a time_s column with two or more frames")
        times = table.numbers(time_column)
        check_increasing(path, times, table.line_numbers, "time_s")
        fps = (len(times) - 1) / (times[-1] - times[0])
    if not MIN_FPS <= fps <= MAX_FPS:
        raise TakeFormatError(path, f"frame rate {fps:g} is outside {MIN_FPS:g}-{MAX_FPS:g} fps")
    return MotionClip(fps=snap_fps(fps), data=data)


def _scalar_fps(path: Path, value: np.ndarray, where: str) -> float:
    if value.size != 1 or value.dtype.kind not in "fiu":
        raise TakeFormatError(path, f"expected a single number for the frame rate, got {value.dtype} of shape {value.shape}", where)
    fps = float(value.reshape(()))
    if not np.isfinite(fps) or not MIN_FPS <= fps <= MAX_FPS:
        raise TakeFormatError(path, f"frame rate {fps:g} is outside {MIN_FPS:g}-{MAX_FPS:g} fps", where)
    return fps
