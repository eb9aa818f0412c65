"""Live Link Face (Epic's iOS app) / ARKit CSV takes.

Layout: ``Timecode,BlendShapeCount`` then the 52 ARKit blend shapes and 9 rotation columns
(HeadYaw, HeadPitch, HeadRoll, LeftEyeYaw, ...), one row per captured frame. The timecode is
``HH:MM:SS:FF.sss``: frame ``FF`` at the timecode rate, with a sub-frame fraction.

Units and signs are not documented by the app. What this reader assumes, and how to override it,
is in ``docs/conventions.md``; in short:

* angles are radians (degrees when a column holds values beyond 2 pi, which radians never reach);
* the signs of eye yaw and pitch are read off the file itself when it can tell: the eye blend
  shapes (``EyeLookOutLeft`` is the left eye turned to the character's left, ``EyeLookUp*`` up)
  move with the rotation columns, so their correlation gives the sign. Head columns share the
  eyes' convention (the app writes all nine from the same rotation conversion);
* otherwise, and for roll: +yaw turns to the character's right, +pitch looks up, +roll tilts the top
  of the head to the character's right (Unreal's rotator convention), i.e. yaw and roll are negated
  into this project's convention.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from model_runtime.clip import MotionClip
from model_runtime.conventions import CHANNELS, STANDARD_FPS, snap_fps
from model_runtime.errors import TakeFormatError
from model_runtime.takes.textfile import CsvTable, check_increasing, parse_csv

ARKIT_BLEND_SHAPES: tuple[str, ...] = (
    "EyeBlinkLeft", "EyeLookDownLeft", "EyeLookInLeft", "EyeLookOutLeft", "EyeLookUpLeft", "EyeSquintLeft", "EyeWideLeft",
    "EyeBlinkRight", "EyeLookDownRight", "EyeLookInRight", "EyeLookOutRight", "EyeLookUpRight", "EyeSquintRight", "EyeWideRight",
    "JawForward", "JawLeft", "JawRight", "JawOpen", "MouthClose", "MouthFunnel", "MouthPucker", "MouthLeft", "MouthRight",
    "MouthSmileLeft", "MouthSmileRight", "MouthFrownLeft", "MouthFrownRight", "MouthDimpleLeft", "MouthDimpleRight",
    "MouthStretchLeft", "MouthStretchRight", "MouthRollLower", "MouthRollUpper", "MouthShrugLower", "MouthShrugUpper",
    "MouthPressLeft", "MouthPressRight", "MouthLowerDownLeft", "MouthLowerDownRight", "MouthUpperUpLeft", "MouthUpperUpRight",
    "BrowDownLeft", "BrowDownRight", "BrowInnerUp", "BrowOuterUpLeft", "BrowOuterUpRight", "CheekPuff", "CheekSquintLeft",
    "CheekSquintRight", "NoseSneerLeft", "NoseSneerRight", "TongueOut",
)  # fmt: skip
ROTATION_COLUMNS: tuple[str, ...] = (
    "HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll", "RightEyeYaw", "RightEyePitch", "RightEyeRoll",
)  # fmt: skip
LIVE_LINK_COLUMNS: tuple[str, ...] = ("Timecode", "BlendShapeCount", *ARKIT_BLEND_SHAPES, *ROTATION_COLUMNS)
REQUIRED_COLUMNS: tuple[str, ...] = (
    "Timecode", "HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "RightEyeYaw", "RightEyePitch",
    "EyeBlinkLeft", "EyeBlinkRight",
)  # fmt: skip
# Live Link Face records at these rates; the timecode itself runs at 24, 25, 30, 50 or 60.
CAPTURE_RATES = (30.0, 60.0)
TIMECODE_RATES = (24.0, 25.0, 30.0, 50.0, 60.0)
# Eye rotation at which an ARKit "look" blend shape is taken as fully on, when writing (degrees).
EYE_LOOK_FULL_DEG = 30.0
_TIMECODE = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})[:;](\d{1,3})(?:\.(\d+))?$")

Sign = Literal[-1, 1]


@dataclass(frozen=True)
class LiveLinkOptions:
    """How to read the file's angles: unit and signs, each ``None`` meaning "decide as documented".

    ``angle_scale`` (degrees per file unit) overrides ``angle_unit``. A sign of -1 negates that axis
    for head and eyes alike. ``fps`` forces the capture rate instead of reading it off the timecode.
    """

    angle_unit: Literal["auto", "radians", "degrees"] = "auto"
    angle_scale: float | None = None
    yaw_sign: Sign | None = None
    pitch_sign: Sign | None = None
    roll_sign: Sign | None = None
    fps: float | None = None
    timecode_rate: float | None = None


# Signs used when neither the user nor the file decides (see module docstring).
DEFAULT_SIGNS: dict[str, Sign] = {"yaw": -1, "pitch": 1, "roll": -1}


def looks_like_live_link(header: list[str]) -> bool:
    return "Timecode" in header and ("HeadYaw" in header or "BlendShapeCount" in header or "EyeBlinkLeft" in header)


def parse_timecode(path: Path, table: CsvTable, column: int, rate: float | None) -> NDArray[np.float64]:
    """Seconds since midnight of each row's timecode (wrapping past midnight handled)."""
    parts = np.empty((len(table.rows), 5))
    for i, (row, line) in enumerate(zip(table.rows, table.line_numbers, strict=True)):
        match = _TIMECODE.match(row[column].strip())
        if match is None:
            raise TakeFormatError(path, f"expected a timecode HH:MM:SS:FF.sss, got {row[column].strip()[:40]!r}", f"line {line}, column 'Timecode'")
        hours, minutes, seconds, frame = (int(g) for g in match.groups()[:4])
        fraction = float("0." + match.group(5)) if match.group(5) else 0.0
        if minutes > 59 or seconds > 59 or hours > 23:
            raise TakeFormatError(path, f"timecode {row[column].strip()!r} is out of range", f"line {line}, column 'Timecode'")
        parts[i] = (hours, minutes, seconds, frame, fraction)
    if rate is None:
        highest = int(parts[:, 3].max())
        # With three distinct seconds, one whole second lies between: its frames show the rate.
        whole_second_seen = len({tuple(p) for p in parts[:, :3]}) >= 3
        candidates = TIMECODE_RATES if whole_second_seen else CAPTURE_RATES
        rate = next((r for r in candidates if highest < r), None)
        if rate is None:
            raise TakeFormatError(path, f"timecode frame numbers reach {highest}; expected under 60 (pass the timecode rate to read it)", "column 'Timecode'")
    elif parts[:, 3].max() >= rate:
        raise TakeFormatError(path, f"timecode frame {int(parts[:, 3].max())} is not below the timecode rate {rate:g}", "column 'Timecode'")
    seconds_of_day = parts[:, 0] * 3600 + parts[:, 1] * 60 + parts[:, 2] + (parts[:, 3] + parts[:, 4]) / rate
    wraps = np.concatenate([[0.0], np.cumsum(np.diff(seconds_of_day) < -43200.0)])
    times: NDArray[np.float64] = seconds_of_day + wraps * 86400.0
    return times


def _decide_scale(options: LiveLinkOptions, raw: NDArray[np.float64]) -> tuple[float, str]:
    if options.angle_scale is not None:
        return float(options.angle_scale), f"scale {options.angle_scale:g} deg/unit (given)"
    if options.angle_unit == "degrees":
        return 1.0, "degrees (given)"
    if options.angle_unit == "radians":
        return 180.0 / math.pi, "radians (given)"
    if np.abs(raw).max(initial=0.0) > 2.0 * math.pi:
        return 1.0, "degrees (values beyond 2 pi)"
    return 180.0 / math.pi, "radians (assumed)"


def _detect_sign(angle: NDArray[np.float64], shape_signal: NDArray[np.float64] | None) -> Sign | None:
    """+1 or -1 when the blend-shape signal clearly moves with (or against) the angle column."""
    if shape_signal is None or angle.std() < 1e-6 or shape_signal.std() < 1e-3:
        return None
    correlation = float(np.corrcoef(angle, shape_signal)[0, 1])
    if not math.isfinite(correlation) or abs(correlation) < 0.5:
        return None
    return 1 if correlation > 0 else -1


def load_live_link(path: Path, options: LiveLinkOptions | None = None) -> MotionClip:
    options = options or LiveLinkOptions()
    table = parse_csv(path)
    table.require(REQUIRED_COLUMNS, "Live Link Face take")
    if len(table.rows) < 2:
        raise TakeFormatError(path, "has one frame; a Live Link Face take needs at least two to know its timing")
    times = parse_timecode(path, table, table.header.index("Timecode"), options.timecode_rate)
    check_increasing(path, times, table.line_numbers, "Timecode")

    def column(name: str) -> NDArray[np.float64] | None:
        index = table.column_index(name)
        return None if index is None else table.numbers(index)

    def required(name: str) -> NDArray[np.float64]:
        values = column(name)
        assert values is not None  # checked by table.require
        return values

    raw = {name: required(name) for name in REQUIRED_COLUMNS if name != "Timecode"}
    for name in ("EyeBlinkLeft", "EyeBlinkRight"):
        if raw[name].min() < -0.01 or raw[name].max() > 1.01:
            bad = int(np.argmax((raw[name] < -0.01) | (raw[name] > 1.01)))
            raise TakeFormatError(path, f"blend shape value {raw[name][bad]:g} is outside 0-1", f"line {table.line_numbers[bad]}, column {name!r}")

    angles = np.stack([raw[n] for n in ("HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "RightEyeYaw", "RightEyePitch")])
    scale, unit_note = _decide_scale(options, angles)

    def shape_difference(positive: tuple[str, ...], negative: tuple[str, ...]) -> NDArray[np.float64] | None:
        values = [column(n) for n in positive + negative]
        if any(v is None for v in values):
            return None
        arrays = [v for v in values if v is not None]
        half = len(positive)
        difference: NDArray[np.float64] = np.sum(arrays[:half], axis=0) - np.sum(arrays[half:], axis=0)
        return difference

    yaw_signal = shape_difference(("EyeLookOutLeft", "EyeLookInRight"), ("EyeLookInLeft", "EyeLookOutRight"))
    pitch_signal = shape_difference(("EyeLookUpLeft", "EyeLookUpRight"), ("EyeLookDownLeft", "EyeLookDownRight"))
    notes = [f"angles: {unit_note}"]
    signs: dict[str, Sign] = {}
    for axis, given, detected in (
        ("yaw", options.yaw_sign, _detect_sign(raw["LeftEyeYaw"] + raw["RightEyeYaw"], yaw_signal)),
        ("pitch", options.pitch_sign, _detect_sign(raw["LeftEyePitch"] + raw["RightEyePitch"], pitch_signal)),
        ("roll", options.roll_sign, None),
    ):
        if given is not None:
            signs[axis], how = given, "given"
        elif detected is not None:
            signs[axis], how = detected, "from eye blend shapes"
        else:
            signs[axis], how = DEFAULT_SIGNS[axis], "default"
        notes.append(f"{axis} sign {signs[axis]:+d} ({how})")

    def degrees(name: str, axis: str) -> NDArray[np.float64]:
        return raw[name] * scale * signs[axis]

    channels = np.stack(
        [
            degrees("HeadPitch", "pitch"), degrees("HeadYaw", "yaw"), degrees("HeadRoll", "roll"),
            degrees("LeftEyePitch", "pitch"), degrees("LeftEyeYaw", "yaw"),
            degrees("RightEyePitch", "pitch"), degrees("RightEyeYaw", "yaw"),
            np.clip(raw["EyeBlinkLeft"], 0.0, 1.0), np.clip(raw["EyeBlinkRight"], 0.0, 1.0),
        ],
        axis=1,
    )  # fmt: skip
    if options.fps is not None:
        fps = float(options.fps)
    else:
        measured = 1.0 / float(np.median(np.diff(times)))
        fps = snap_fps(measured)
        if fps not in STANDARD_FPS:
            # Phone timing jitters; the app records at 30 or 60.
            nearest = min(CAPTURE_RATES, key=lambda rate: abs(rate - measured))
            fps = nearest if abs(measured - nearest) < 0.05 * nearest else measured
    grid = times[0] + np.arange(round((times[-1] - times[0]) * fps) + 1) / fps
    uniform = np.stack([np.interp(grid, times, channels[:, i]) for i in range(len(CHANNELS))], axis=1)
    meta = {"source": path.name, "source_format": "live_link_face", "conversion": "; ".join(notes), "start_timecode_s": f"{times[0]:.6f}"}
    try:
        return MotionClip(fps=fps, data=uniform, meta=meta)
    except ValueError as exc:
        raise TakeFormatError(path, str(exc)) from None


def _timecode(seconds: float, rate: float) -> str:
    frames_total = seconds * rate
    whole = math.floor(frames_total + 1e-9)
    sub = frames_total - whole
    frame = whole % int(rate)
    secs = whole // int(rate)
    return f"{secs // 3600 % 24:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}:{frame:02d}.{round(sub * 1000) % 1000:03d}"


def save_live_link(clip: MotionClip, path: Path, options: LiveLinkOptions | None = None) -> None:
    """Write a 61-column Live Link Face CSV in the convention that :func:`load_live_link` reads back.

    Eye "look" and blink blend shapes are filled from the eye angles and blinks so that the file
    drives ARKit rigs too; the mouth and brow shapes are zero.
    """
    options = options or LiveLinkOptions()
    scale = options.angle_scale or (1.0 if options.angle_unit == "degrees" else 180.0 / math.pi)
    sign = {axis: getattr(options, f"{axis}_sign") or DEFAULT_SIGNS[axis] for axis in ("yaw", "pitch", "roll")}
    timecode_rate = float(round(clip.fps)) if round(clip.fps) in TIMECODE_RATES else (60.0 if clip.fps > 30.5 else 30.0)
    d = clip.data

    def look(values: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.clip(values / EYE_LOOK_FULL_DEG, 0.0, 1.0)

    shapes = dict.fromkeys(ARKIT_BLEND_SHAPES, np.zeros(clip.n_frames))
    shapes.update(
        EyeBlinkLeft=d[:, 7], EyeBlinkRight=d[:, 8],
        EyeLookOutLeft=look(d[:, 4]), EyeLookInLeft=look(-d[:, 4]), EyeLookUpLeft=look(d[:, 3]), EyeLookDownLeft=look(-d[:, 3]),
        EyeLookOutRight=look(-d[:, 6]), EyeLookInRight=look(d[:, 6]), EyeLookUpRight=look(d[:, 5]), EyeLookDownRight=look(-d[:, 5]),
    )  # fmt: skip
    rotations = {
        "HeadYaw": d[:, 1] * sign["yaw"], "HeadPitch": d[:, 0] * sign["pitch"], "HeadRoll": d[:, 2] * sign["roll"],
        "LeftEyeYaw": d[:, 4] * sign["yaw"], "LeftEyePitch": d[:, 3] * sign["pitch"], "LeftEyeRoll": np.zeros(clip.n_frames),
        "RightEyeYaw": d[:, 6] * sign["yaw"], "RightEyePitch": d[:, 5] * sign["pitch"], "RightEyeRoll": np.zeros(clip.n_frames),
    }  # fmt: skip
    columns = [shapes[n] for n in ARKIT_BLEND_SHAPES] + [rotations[n] / scale for n in ROTATION_COLUMNS]
    table = np.stack(columns, axis=1)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(",".join(LIVE_LINK_COLUMNS) + "\n")
        for i in range(clip.n_frames):
            values = ",".join(f"{v:.7g}" for v in table[i])
            handle.write(f"{_timecode(i / clip.fps, timecode_rate)},{len(columns)},{values}\n")
