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
from model_runtime.conventions import CHANNELS, MAX_FPS, MIN_FPS, STANDARD_FPS, snap_fps
from model_runtime.errors import TakeFormatError
from model_runtime.limits import BLINK_TOLERANCE, MAX_TAKE_FRAMES, MAX_TAKE_SECONDS, MAX_TIMECODE_GAP_S
from model_runtime.takes.textfile import Columns, CsvReader, check_increasing, number
from model_runtime.takes.values import checked_motion

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


@dataclass
class _Timecodes:
    """Timecodes as read: whole seconds of day and frame (with sub-frame) of each row."""

    highest_frame: int = 0
    seconds_seen: int = 0  # distinct HH:MM:SS values, counted up to three
    _last_second: tuple[int, int, int] | None = None

    def parse(self, cell: str, path: Path, line: int) -> tuple[float, float]:
        match = _TIMECODE.match(cell.strip())
        if match is None:
            raise TakeFormatError(path, f"expected a timecode HH:MM:SS:FF.sss, got {cell.strip()[:40]!r}", f"line {line}, column 'Timecode'")
        hours, minutes, seconds, frame = (int(g) for g in match.groups()[:4])
        if minutes > 59 or seconds > 59 or hours > 23:
            raise TakeFormatError(path, f"timecode {cell.strip()!r} is out of range", f"line {line}, column 'Timecode'")
        fraction = float("0." + match.group(5)) if match.group(5) else 0.0
        self.highest_frame = max(self.highest_frame, frame)
        if self.seconds_seen < 3 and (hours, minutes, seconds) != self._last_second:
            self._last_second = (hours, minutes, seconds)
            self.seconds_seen += 1
        return float(hours * 3600 + minutes * 60 + seconds), frame + fraction

    def rate(self, path: Path, given: float | None) -> float:
        """The timecode rate: given, or the lowest rate above every frame number seen."""
        if given is not None:
            if not math.isfinite(given) or given <= 0 or self.highest_frame >= given:
                raise TakeFormatError(path, f"timecode frame {self.highest_frame} is not below the timecode rate {given:g}", "column 'Timecode'")
            return given
        # With three distinct seconds, one whole second lies between: its frames show the rate.
        candidates = TIMECODE_RATES if self.seconds_seen >= 3 else CAPTURE_RATES
        rate = next((r for r in candidates if self.highest_frame < r), None)
        if rate is None:
            raise TakeFormatError(path, f"timecode frame numbers reach {self.highest_frame}; expected under 60 (pass the timecode rate to read it)", "column 'Timecode'")
        return rate


def timecode_seconds(whole: NDArray[np.float64], frames: NDArray[np.float64], rate: float) -> NDArray[np.float64]:
    """Seconds since midnight of the first row's day (wrapping past midnight handled)."""
    seconds_of_day = whole + frames / rate
    wraps = np.concatenate([[0.0], np.cumsum(np.diff(seconds_of_day) < -43200.0)])
    times: NDArray[np.float64] = seconds_of_day + wraps * 86400.0
    return times


def _decide_scale(options: LiveLinkOptions, largest: float) -> tuple[float, str]:
    """Degrees per file unit; ``largest`` is the largest absolute angle in the file."""
    if options.angle_scale is not None:
        return float(options.angle_scale), f"scale {options.angle_scale:g} deg/unit (given)"
    if options.angle_unit == "degrees":
        return 1.0, "degrees (given)"
    if options.angle_unit == "radians":
        return 180.0 / math.pi, "radians (given)"
    if largest > 2.0 * math.pi:
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


# Eye blend shapes whose differences move with eye yaw and pitch (see the module docstring).
_YAW_SHAPES = (("EyeLookOutLeft", "EyeLookInRight"), ("EyeLookInLeft", "EyeLookOutRight"))
_PITCH_SHAPES = (("EyeLookUpLeft", "EyeLookUpRight"), ("EyeLookDownLeft", "EyeLookDownRight"))
_ANGLES = ("HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "RightEyeYaw", "RightEyePitch")


def _read_rows(path: Path) -> tuple[_Timecodes, dict[str, NDArray[np.float64]], NDArray[np.int64]]:
    """Stream the file, keeping the timecodes, the angle and blink columns and two eye-shape signals."""
    timecodes = _Timecodes()
    with CsvReader(path) as reader:
        header = reader.header
        header.require(REQUIRED_COLUMNS, "Live Link Face take")
        timecode_column = header.names.index("Timecode")
        kept = [(name, header.names.index(name)) for name in (*_ANGLES, "EyeBlinkLeft", "EyeBlinkRight")]
        signals = [
            (name, [header.index(n) for n in positive + negative], len(positive))
            for name, (positive, negative) in (("yaw_signal", _YAW_SHAPES), ("pitch_signal", _PITCH_SHAPES))
        ]
        signals = [(name, columns, half) for name, columns, half in signals if None not in columns]
        names = ["whole_second", "frame", *(n for n, _ in kept), *(n for n, _, _ in signals)]
        columns = Columns(len(names))
        for line, row in reader.rows():
            values = [*timecodes.parse(row[timecode_column], path, line)]
            values += [number(row[i], path, line, name) for name, i in kept]
            for _, indices, half in signals:
                shapes = [number(row[i], path, line, header.names[i]) for i in indices if i is not None]
                values.append(sum(shapes[:half]) - sum(shapes[half:]))
            columns.append(line, values)
    if len(columns) < 2:
        raise TakeFormatError(path, "has one frame; a Live Link Face take needs at least two to know its timing")
    return timecodes, dict(zip(names, columns.arrays(), strict=True)), np.frombuffer(columns.lines, dtype=np.int64)


def _capture_fps(path: Path, options: LiveLinkOptions, times: NDArray[np.float64]) -> float:
    if options.fps is not None:
        if not math.isfinite(options.fps) or not MIN_FPS <= options.fps <= MAX_FPS:
            raise TakeFormatError(path, f"frame rate {options.fps:g} was given; expected {MIN_FPS:g}-{MAX_FPS:g} fps")
        return float(options.fps)
    measured = 1.0 / float(np.median(np.diff(times)))
    fps = snap_fps(measured)
    if fps in STANDARD_FPS:
        return fps
    # Phone timing jitters; the app records at 30 or 60.
    nearest = min(CAPTURE_RATES, key=lambda rate: abs(rate - measured))
    fps = nearest if abs(measured - nearest) < 0.05 * nearest else measured
    if not MIN_FPS <= fps <= MAX_FPS:
        raise TakeFormatError(path, f"timecodes are {1 / measured:.3g} s apart; expected a frame rate of {MIN_FPS:g}-{MAX_FPS:g} fps", "column 'Timecode'")
    return fps


def _check_timing(path: Path, times: NDArray[np.float64], lines: NDArray[np.int64], fps: float) -> int:
    """Frames of the uniform take, refusing holes and spans the rows do not support."""
    check_increasing(path, times, lines, "Timecode")
    gaps = np.diff(times)
    widest = int(np.argmax(gaps))
    if gaps[widest] > MAX_TIMECODE_GAP_S:
        raise TakeFormatError(path, f"timecode jumps {gaps[widest]:.6g} s; expected frames at most {MAX_TIMECODE_GAP_S:g} s apart", f"line {lines[widest + 1]}")
    span = float(times[-1] - times[0])
    frames = round(span * fps) + 1
    if span > MAX_TAKE_SECONDS or frames > MAX_TAKE_FRAMES:
        raise TakeFormatError(path, f"spans {span:.0f} s, {frames} frames at {fps:g} fps; expected at most {MAX_TAKE_SECONDS:g} s and {MAX_TAKE_FRAMES} frames", "column 'Timecode'")
    return frames


def load_live_link(path: Path, options: LiveLinkOptions | None = None) -> MotionClip:
    options = options or LiveLinkOptions()
    timecodes, raw, lines = _read_rows(path)
    times = timecode_seconds(raw.pop("whole_second"), raw.pop("frame"), timecodes.rate(path, options.timecode_rate))
    fps = _capture_fps(path, options, times)
    frames = _check_timing(path, times, lines, fps)
    for name in ("EyeBlinkLeft", "EyeBlinkRight"):
        bad = (raw[name] < -BLINK_TOLERANCE) | (raw[name] > 1.0 + BLINK_TOLERANCE)
        if bad.any():
            first = int(np.argmax(bad))
            raise TakeFormatError(path, f"blend shape value {raw[name][first]:g} is outside 0-1", f"line {lines[first]}, column {name!r}")

    scale, unit_note = _decide_scale(options, max(float(np.abs(raw[n]).max()) for n in _ANGLES))
    notes = [f"angles: {unit_note}"]
    signs: dict[str, Sign] = {}
    for axis, given, detected in (
        ("yaw", options.yaw_sign, _detect_sign(raw["LeftEyeYaw"] + raw["RightEyeYaw"], raw.get("yaw_signal"))),
        ("pitch", options.pitch_sign, _detect_sign(raw["LeftEyePitch"] + raw["RightEyePitch"], raw.get("pitch_signal"))),
        ("roll", options.roll_sign, None),
    ):
        if given is not None:
            signs[axis], how = given, "given"
        elif detected is not None:
            signs[axis], how = detected, "from eye blend shapes"
        else:
            signs[axis], how = DEFAULT_SIGNS[axis], "default"
        notes.append(f"{axis} sign {signs[axis]:+d} ({how})")

    sources: tuple[tuple[str, str | None], ...] = (
        ("HeadPitch", "pitch"), ("HeadYaw", "yaw"), ("HeadRoll", "roll"), ("LeftEyePitch", "pitch"), ("LeftEyeYaw", "yaw"),
        ("RightEyePitch", "pitch"), ("RightEyeYaw", "yaw"), ("EyeBlinkLeft", None), ("EyeBlinkRight", None),
    )  # fmt: skip
    channels = np.empty((len(times), len(CHANNELS)))
    for i, (source, source_axis) in enumerate(sources):
        channels[:, i] = raw.pop(source) * (scale * signs[source_axis] if source_axis else 1.0)
    del raw  # the file's columns are no longer needed: the take is built from ``channels``
    checked_motion(path, channels, lambda row: f"line {lines[row]}")
    grid = times[0] + np.arange(frames) / fps
    uniform = np.empty((frames, len(CHANNELS)))
    for i in range(len(CHANNELS)):
        uniform[:, i] = np.interp(grid, times, channels[:, i])
    meta = {"source": path.name, "source_format": "live_link_face", "conversion": "; ".join(notes), "start_timecode_s": f"{times[0]:.6f}"}
    return MotionClip(fps=fps, data=uniform, meta=meta)


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
