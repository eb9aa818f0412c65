"""Reading and writing takes in every supported format, behind two calls: load_take and save_take.

Formats (``format`` argument, or told from the file):

=============  ==============================================  ======
name           what                                            writer
=============  ==============================================  ======
``npz``        this project's motion clip archive              yes
``csv``        this project's motion clip table                yes
``livelink``   Live Link Face / ARKit CSV                      yes
``flame``      FLAME pose sequence (.npz / .npy)               yes
=============  ==============================================  ======
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from model_runtime.clip import MotionClip
from model_runtime.errors import TakeFormatError
from model_runtime.outputs import atomic_output
from model_runtime.takes import flame, livelink, native
from model_runtime.takes.flame import FlameOptions
from model_runtime.takes.livelink import LiveLinkOptions
from model_runtime.takes.textfile import read_header
from model_runtime.takes.values import check_length, checked_motion

TakeFormat = Literal["npz", "csv", "livelink", "flame"]
FORMATS: tuple[TakeFormat, ...] = ("npz", "csv", "livelink", "flame")

__all__ = ["FORMATS", "FlameOptions", "LiveLinkOptions", "TakeFormat", "detect_format", "load_take", "save_take"]


def detect_format(path: Path) -> TakeFormat:
    """Tell the format from the extension and, for ambiguous ones, the content."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise TakeFormatError(path, "no such file")
    if path.is_dir():
        raise TakeFormatError(path, "is a folder; expected a take file (.npz, .npy or .csv)")
    if suffix == ".npy":
        return "flame"
    if suffix == ".npz":
        arrays = native.open_npz(path)
        if native.is_native_npz(arrays):
            return "npz"
        if flame.looks_like_flame(arrays):
            return "flame"
        raise TakeFormatError(
            path,
            "is an .npz archive of neither a motion clip (data, channels, fps) nor a FLAME pose sequence (pose or eye_pose ...)",
            "keys " + ", ".join(sorted(arrays)) if arrays else "no arrays",
        )
    if suffix in (".csv", ".txt"):
        names = list(read_header(path).names)
        return "livelink" if livelink.looks_like_live_link(names) else "csv"
    raise TakeFormatError(path, f"unknown take format {suffix or '(no extension)'!r}; expected .npz, .npy or .csv")


def load_take(
    path: str | Path,
    format: TakeFormat | None = None,
    live_link: LiveLinkOptions | None = None,
    flame_options: FlameOptions | None = None,
) -> MotionClip:
    """Read any supported take into a MotionClip; bad files raise TakeFormatError naming the problem."""
    path = Path(path)
    kind = format or detect_format(path)
    if kind == "npz":
        return native.load_npz(path)
    if kind == "csv":
        return native.load_csv(path)
    if kind == "livelink":
        return livelink.load_live_link(path, live_link)
    if path.suffix.lower() == ".npz":
        return flame.load_flame(path, flame_options, native.open_npz(path))
    return flame.load_flame(path, flame_options)


def save_take(clip: MotionClip, path: str | Path, format: TakeFormat | None = None, live_link: LiveLinkOptions | None = None) -> None:
    """Write a clip, whole or not at all; the format follows the extension (.npz, .csv) unless named.

    The values are checked as on reading, so everything written reads back (finite float32 included).
    """
    path = Path(path)
    kind = format or {".npz": "npz", ".csv": "csv", ".npy": "flame"}.get(path.suffix.lower())
    if kind is None:
        raise TakeFormatError(path, f"cannot tell the output format from {path.suffix or 'no extension'!r}; use .npz or .csv, or name a format")
    check_length(path, clip.n_frames, clip.fps)
    checked_motion(path, clip.data.copy())
    with atomic_output(path) as temporary:
        if kind == "npz":
            native.save_npz(clip, temporary)
        elif kind == "csv":
            native.save_csv(clip, temporary)
        elif kind == "livelink":
            livelink.save_live_link(clip, temporary, live_link)
        else:
            flame.save_flame(clip, temporary)
