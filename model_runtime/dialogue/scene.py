"""A dialogue scene: characters placed in a world, lines of audio with start times and speakers.

The world frame is right-handed with Z up, in metres (Blender's). A character stands at
``position`` (its root, on the floor), its eyes ``eye_height_m`` above it, facing the horizontal
direction ``facing_deg`` (counter-clockwise from +X seen from above: 0 faces +X, -90 faces -Y as a
Blender character built facing the Front view). Its character frame (model_runtime.conventions) is
then FORWARD = (cos f, sin f, 0), UP = +Z, LEFT = UP x FORWARD. A character may move: its
``moves`` are waypoints (time, position, facing) it passes through, linearly in between; the
others look at where its eyes are at each frame.

:meth:`Dialogue.validated` checks a scene however it was built (from JSON by :func:`parse_dialogue`,
or directly by a caller) and fills in what may be left out: a character's facing (towards the
middle of the others) and a line's addressee (the character who spoke last before it, else the
nearest). The JSON format is in docs/dialogue.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from model_runtime.bounded import read_json
from model_runtime.conventions import MAX_FPS, MIN_FPS, angles_from_direction, snap_fps
from model_runtime.errors import FileFormatError, GazeError
from model_runtime.inputs import AudioInput
from model_runtime.limits import MAX_TAKE_SECONDS

# Two characters whose roots are closer than this (m) stand inside each other.
MIN_SEPARATION_M: Final[float] = 0.3
EYE_HEIGHT_RANGE_M: Final[tuple[float, float]] = (0.2, 3.0)
MAX_CHARACTERS: Final[int] = 16
MAX_LINES: Final[int] = 10000
# Scene coordinates beyond this (m) are refused: no one converses a kilometre away.
MAX_COORDINATE_M: Final[float] = 1000.0
MAX_LINE_SEED: Final[int] = 2**32 - 1
MAX_WAYPOINTS: Final[int] = 200_000  # a waypoint a frame for nearly two hours at 30 fps
# Moving characters are checked for standing inside each other at this step (s) and at their waypoints.
_APART_CHECK_STEP_S: Final[float] = 0.1


@dataclass(frozen=True)
class Waypoint:
    """Where a moving character is at ``time_s``: its root ``position`` (x, y, z) m and heading
    ``facing_deg`` (None: the heading it had at the waypoint before)."""

    time_s: float
    position: tuple[float, float, float]
    facing_deg: float | None = None


@dataclass(frozen=True)
class Character:
    """One character: ``name`` (unique), ``position`` (x, y, z) m of its root in the world frame,
    ``eye_height_m`` above the root, ``facing_deg`` its heading (None: towards the others' middle),
    ``style`` a preset name, a STYLE.json or a take file (None: the scene's style); ``moves``
    waypoints in order of time (empty: it stands still at ``position``, which holds until the first)."""

    name: str
    position: tuple[float, float, float]
    eye_height_m: float = 1.6
    facing_deg: float | None = None
    style: str | None = None
    moves: tuple[Waypoint, ...] = ()

    @property
    def eyes(self) -> NDArray[np.float64]:
        """World position (3,) of the point between the eyes."""
        out: NDArray[np.float64] = np.array(self.position, dtype=np.float64) + np.array([0.0, 0.0, self.eye_height_m])
        return out

    def placement(self, times: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """At scene ``times`` (n,) s: the eyes' world positions (n, 3) and character frames (n, 3, 3)
        (rows LEFT, UP, FORWARD), moving linearly between waypoints (headings the short way round)."""
        key_times = np.array([0.0] + [w.time_s for w in self.moves])
        roots = np.array([self.position] + [w.position for w in self.moves], dtype=np.float64)
        headings = [self.facing_deg or 0.0]
        for waypoint in self.moves:
            headings.append(headings[-1] if waypoint.facing_deg is None else waypoint.facing_deg)
        turn = np.unwrap(np.radians(headings))
        if self.moves and self.moves[0].time_s <= 0.0:  # a waypoint at 0 replaces the standing place
            key_times, roots, turn = key_times[1:], roots[1:], turn[1:]
        eyes = np.stack([np.interp(times, key_times, roots[:, axis]) for axis in range(3)], axis=-1) + np.array([0.0, 0.0, self.eye_height_m])
        f = np.interp(times, key_times, turn)
        forward = np.stack([np.cos(f), np.sin(f), np.zeros_like(f)], axis=-1)
        up = np.broadcast_to(np.array([0.0, 0.0, 1.0]), forward.shape)
        return eyes, np.stack([np.cross(up, forward), up, forward], axis=1)


@dataclass(frozen=True)
class Line:
    """One line: ``character`` speaks ``audio`` (a path, an AudioSignal, or SpeechFeatures at the
    scene's fps) from ``start_s`` seconds, to ``addressee`` (None: who spoke last, else the nearest).
    ``seed``: a performance of this line of its own (the speaker's motion while saying it), leaving
    the rest of the scene as the scene's seed makes it; None: the scene's."""

    character: str
    audio: AudioInput
    start_s: float
    addressee: str | None = None
    seed: int | None = None


@dataclass(frozen=True)
class Dialogue:
    """A scene: frame rate, characters, lines in order of start time; ``end_s`` the least length of
    the scene in seconds (None: a second after the last line ends); ``source`` names it in messages."""

    fps: float
    characters: tuple[Character, ...]
    lines: tuple[Line, ...]
    source: str = "dialogue"
    end_s: float | None = None

    def character(self, name: str) -> Character:
        for character in self.characters:
            if character.name == name:
                return character
        raise GazeError(f"{self.source}: no character named {name!r}; characters are {', '.join(c.name for c in self.characters)}")

    def look(self, viewer: str, target: str) -> tuple[float, float, float]:
        """(pitch deg, yaw deg, distance m) from ``viewer``'s eyes to ``target``'s eyes at the scene's start, in the viewer's character frame."""
        pitch, yaw, distance = self.looks(viewer, target, np.zeros(1))[0]
        return float(pitch), float(yaw), float(distance)

    def looks(self, viewer: str, target: str, times: NDArray[np.float64]) -> NDArray[np.float64]:
        """(n, 3) pitch deg, yaw deg, distance m from ``viewer``'s eyes to ``target``'s at scene ``times``
        (n,) s, in the viewer's character frame then (characters may move)."""
        eyes_a, frames_a = self.character(viewer).placement(times)
        eyes_b, _ = self.character(target).placement(times)
        offset = eyes_b - eyes_a
        local = np.einsum("nij,nj->ni", frames_a, offset)
        pitch, yaw = angles_from_direction(local)
        return np.stack([pitch, yaw, np.linalg.norm(offset, axis=1)], axis=-1)

    def nearest(self, name: str) -> str:
        """The character nearest ``name`` (the first of equals)."""
        me = self.character(name)
        others = [c for c in self.characters if c.name != name]
        return min(others, key=lambda c: float(np.linalg.norm(c.eyes - me.eyes))).name

    def validated(self) -> Dialogue:
        """The scene checked, with facings and addressees filled in; GazeError naming the first problem."""
        where = self.source
        if isinstance(self.fps, bool) or not isinstance(self.fps, (int, float)) or not math.isfinite(self.fps) or not MIN_FPS <= self.fps <= MAX_FPS:
            raise GazeError(f"{where}: fps = {self.fps!r}; expected a number between {MIN_FPS:g} and {MAX_FPS:g}")
        if not 2 <= len(self.characters) <= MAX_CHARACTERS:
            raise GazeError(f"{where}: characters: {len(self.characters)} given; a dialogue needs 2 to {MAX_CHARACTERS}")
        if self.end_s is not None and (not _finite(self.end_s) or not 0.0 <= self.end_s <= MAX_TAKE_SECONDS):
            raise GazeError(f"{where}: end_s: expected a number of seconds in 0..{MAX_TAKE_SECONDS:g}, got {self.end_s!r}")
        if len(self.lines) > MAX_LINES:
            raise GazeError(f"{where}: lines: {len(self.lines)} given; at most {MAX_LINES}")
        names = [c.name for c in self.characters]
        for i, c in enumerate(self.characters):
            field = f"characters[{i}]"
            if not isinstance(c.name, str) or not c.name.strip():
                raise GazeError(f"{where}: {field}.name: expected a non-empty text, got {c.name!r}")
            if names.count(c.name) > 1:
                raise GazeError(f"{where}: {field}.name: {c.name!r} names two characters; names must be unique")
            if len(c.position) != 3 or not all(_finite(v) and abs(v) <= MAX_COORDINATE_M for v in c.position):
                raise GazeError(f"{where}: {field}.position: expected three finite numbers (x, y, z m) within {MAX_COORDINATE_M:g} m, got {c.position!r}")
            low, high = EYE_HEIGHT_RANGE_M
            if not _finite(c.eye_height_m) or not low <= c.eye_height_m <= high:
                raise GazeError(f"{where}: {field}.eye_height_m: expected a number in {low:g}..{high:g} m, got {c.eye_height_m!r}")
            if c.facing_deg is not None and not _finite(c.facing_deg):
                raise GazeError(f"{where}: {field}.facing_deg: expected a finite number of degrees, got {c.facing_deg!r}")
            _check_moves(c, f"{where}: {field}.moves")
        _check_apart(self.characters, where)
        characters = tuple(replace(c, facing_deg=_towards_others(c, self.characters)) if c.facing_deg is None else c for c in self.characters)
        scene = replace(self, fps=snap_fps(float(self.fps)), characters=characters)
        lines: list[Line] = []
        previous = 0.0
        for i, line in enumerate(self.lines):
            field = f"lines[{i}]"
            if line.character not in names:
                raise GazeError(f"{where}: {field}.character: {line.character!r} is no character of the scene; characters are {', '.join(names)}")
            if not _finite(line.start_s) or not 0.0 <= line.start_s <= MAX_TAKE_SECONDS:
                raise GazeError(f"{where}: {field}.start_s: expected a number of seconds in 0..{MAX_TAKE_SECONDS:g}, got {line.start_s!r}")
            if line.start_s < previous:
                raise GazeError(f"{where}: {field}.start_s: {line.start_s:g} s is before the line above it ({previous:g} s); list the lines in order of start time")
            previous = float(line.start_s)
            addressee = line.addressee
            if addressee is not None and (addressee not in names or addressee == line.character):
                raise GazeError(f"{where}: {field}.addressee: {addressee!r} is not another character of the scene")
            if line.seed is not None and (isinstance(line.seed, bool) or not isinstance(line.seed, int) or not 0 <= line.seed <= MAX_LINE_SEED):
                raise GazeError(f"{where}: {field}.seed: expected a whole number from 0 to {MAX_LINE_SEED}, got {line.seed!r}")
            if addressee is None:
                spoken = [earlier.character for earlier in lines if earlier.character != line.character]
                addressee = spoken[-1] if spoken else scene.nearest(line.character)
            lines.append(replace(line, addressee=addressee, start_s=float(line.start_s)))
        return replace(scene, lines=tuple(lines))


def _finite(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def _check_moves(character: Character, where: str) -> None:
    if len(character.moves) > MAX_WAYPOINTS:
        raise GazeError(f"{where}: {len(character.moves)} waypoints; at most {MAX_WAYPOINTS}")
    previous = -1.0
    for k, waypoint in enumerate(character.moves):
        if not _finite(waypoint.time_s) or not previous < waypoint.time_s <= MAX_TAKE_SECONDS:
            raise GazeError(f"{where}[{k}].time_s: expected seconds in 0..{MAX_TAKE_SECONDS:g}, after the waypoint before ({previous:g}); got {waypoint.time_s!r}")
        previous = float(waypoint.time_s)
        if len(waypoint.position) != 3 or not all(_finite(v) and abs(v) <= MAX_COORDINATE_M for v in waypoint.position):
            raise GazeError(f"{where}[{k}].position: expected three finite numbers (x, y, z m) within {MAX_COORDINATE_M:g} m, got {waypoint.position!r}")
        if waypoint.facing_deg is not None and not _finite(waypoint.facing_deg):
            raise GazeError(f"{where}[{k}].facing_deg: expected a finite number of degrees, got {waypoint.facing_deg!r}")


def _check_apart(characters: tuple[Character, ...], where: str) -> None:
    """GazeError when two characters' roots come closer than :data:`MIN_SEPARATION_M` (at the
    start, at any waypoint, or every :data:`_APART_CHECK_STEP_S` while anyone moves)."""
    last = max((w.time_s for c in characters for w in c.moves), default=0.0)
    steps = min(int(last / _APART_CHECK_STEP_S) + 1, MAX_WAYPOINTS)
    times = np.unique(np.concatenate([np.linspace(0.0, last, steps + 1), [w.time_s for c in characters for w in c.moves]]))
    roots = [c.placement(times)[0][:, :2] for c in characters]
    for i, a in enumerate(characters):
        for j in range(i + 1, len(characters)):
            gaps = np.linalg.norm(roots[i] - roots[j], axis=1)
            k = int(np.argmin(gaps))
            if gaps[k] < MIN_SEPARATION_M:
                when = "" if not last else f" at {times[k]:.2f} s"
                raise GazeError(
                    f"{where}: characters {a.name!r} and {characters[j].name!r} stand {gaps[k]:.2f} m apart{when}, inside each other; "
                    f"place them at least {MIN_SEPARATION_M:g} m apart"
                )


def _towards_others(character: Character, characters: tuple[Character, ...]) -> float:
    """Heading (deg) from ``character`` to the middle of the others."""
    others = np.mean([np.array(c.position, dtype=np.float64) for c in characters if c.name != character.name], axis=0)
    offset = others - np.array(character.position, dtype=np.float64)
    return math.degrees(math.atan2(offset[1], offset[0]))


def parse_dialogue(path: str | Path) -> Dialogue:
    """Read a dialogue JSON file (docs/dialogue.md); audio paths are relative to its folder.
    FileFormatError naming the file and the field for anything missing or malformed."""
    path = Path(path)
    raw = read_json(path)
    if not isinstance(raw, dict):
        raise FileFormatError(path, "expected a JSON object with fps, characters and lines")

    def need(container: dict[str, Any], key: str, where: str) -> Any:
        if key not in container:
            raise FileFormatError(path, f"missing field {key!r}", where or None)
        return container[key]

    def number(value: Any, where: str) -> float:
        if not _finite(value):
            raise FileFormatError(path, f"expected a number, got {value!r}", where)
        return float(value)

    def text(value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise FileFormatError(path, f"expected a non-empty text, got {value!r}", where)
        return value

    def items(key: str) -> list[dict[str, Any]]:
        value = need(raw, key, "")
        if not isinstance(value, list):
            raise FileFormatError(path, "expected a list", key)
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise FileFormatError(path, "expected an object", f"{key}[{i}]")
        return value

    fps = number(raw.get("fps", 30.0), "fps")
    end_s = None if raw.get("end_s") is None else number(raw["end_s"], "end_s")
    characters = []
    for i, item in enumerate(items("characters")):
        where = f"characters[{i}]"
        position = need(item, "position", where)
        if not isinstance(position, list) or len(position) != 3:
            raise FileFormatError(path, f"expected [x, y, z] in metres, got {position!r}", f"{where}.position")
        facing = item.get("facing_deg")
        moves = item.get("moves", [])
        if not isinstance(moves, list) or len(moves) > MAX_WAYPOINTS:
            raise FileFormatError(path, f"expected a list of at most {MAX_WAYPOINTS} waypoints", f"{where}.moves")
        waypoints = []
        for k, move in enumerate(moves):
            at = f"{where}.moves[{k}]"
            if not isinstance(move, dict):
                raise FileFormatError(path, "expected an object with time_s, position and optionally facing_deg", at)
            spot = need(move, "position", at)
            if not isinstance(spot, list) or len(spot) != 3:
                raise FileFormatError(path, f"expected [x, y, z] in metres, got {spot!r}", f"{at}.position")
            turn = move.get("facing_deg")
            waypoints.append(Waypoint(
                time_s=number(need(move, "time_s", at), f"{at}.time_s"),
                position=(number(spot[0], f"{at}.position"), number(spot[1], f"{at}.position"), number(spot[2], f"{at}.position")),
                facing_deg=None if turn is None else number(turn, f"{at}.facing_deg"),
            ))
        style = item.get("style")
        if style is not None:
            style = text(style, f"{where}.style")
            if style.lower().endswith((".json", ".npz", ".csv")):
                style = str(path.parent / style)
        characters.append(Character(
            name=text(need(item, "name", where), f"{where}.name"),
            position=(number(position[0], f"{where}.position"), number(position[1], f"{where}.position"), number(position[2], f"{where}.position")),
            eye_height_m=number(item.get("eye_height_m", 1.6), f"{where}.eye_height_m"),
            facing_deg=None if facing is None else number(facing, f"{where}.facing_deg"),
            style=style,
            moves=tuple(waypoints),
        ))
    lines = []
    for i, item in enumerate(items("lines")):
        where = f"lines[{i}]"
        addressee = item.get("addressee")
        line_seed = item.get("seed")
        if line_seed is not None and (isinstance(line_seed, bool) or not isinstance(line_seed, int)):
            raise FileFormatError(path, f"expected a whole number, got {line_seed!r}", f"{where}.seed")
        lines.append(Line(
            character=text(need(item, "character", where), f"{where}.character"),
            audio=path.parent / text(need(item, "audio", where), f"{where}.audio"),
            start_s=number(need(item, "start_s", where), f"{where}.start_s"),
            addressee=None if addressee is None else text(addressee, f"{where}.addressee"),
            seed=line_seed,
        ))
    return Dialogue(fps=fps, characters=tuple(characters), lines=tuple(lines), source=str(path), end_s=end_s).validated()
