"""Every malformed take gets a TakeFormatError that names the file, where, and what was expected."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from model_runtime.errors import TakeFormatError
from model_runtime.takes import load_take, save_take
from model_runtime.takes.livelink import LIVE_LINK_COLUMNS
from tests.conftest import random_clip


def live_link(rows: int = 5, edit: Callable[[list[list[str]]], None] | None = None) -> str:
    table = [list(LIVE_LINK_COLUMNS)]
    for i in range(rows):
        table.append([f"00:00:01:{i:02d}.000", "61"] + ["0.1"] * (len(LIVE_LINK_COLUMNS) - 2))
    if edit:
        edit(table)
    return "\n".join(",".join(row) for row in table) + "\n"


def set_cell(row: int, column: str, value: str) -> Callable[[list[list[str]]], None]:
    def edit(table: list[list[str]]) -> None:
        table[row][table[0].index(column)] = value

    return edit


def drop_column(column: str) -> Callable[[list[list[str]]], None]:
    def edit(table: list[list[str]]) -> None:
        index = table[0].index(column)
        for row in table:
            del row[index]

    return edit


def native_csv(edit: Callable[[str], str] = lambda text: text) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        save_take(random_clip(seconds=0.5), path)
        path.write_text(edit(path.read_text()))

    return write


def npz(**arrays: np.ndarray) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        with path.open("wb") as handle:
            np.savez(handle, **arrays)

    return write


def text(content: str | bytes) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")

    return write


def truncated_npz(path: Path) -> None:
    save_take(random_clip(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def zip_without_arrays(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")


GOOD = random_clip(seconds=0.5).data
CHANNEL_NAMES = np.array(["head_pitch", "head_yaw", "head_roll", "left_eye_pitch", "left_eye_yaw", "right_eye_pitch", "right_eye_yaw", "blink_left", "blink_right"])

# (case id, file name, how to write it, words the message must contain)
CASES: list[tuple[str, str, Callable[[Path], None], tuple[str, ...]]] = [
    ("empty file", "take.csv", text(""), ("empty",)),
    ("header only", "take.csv", text(",".join(LIVE_LINK_COLUMNS) + "\n"), ("no frames",)),
    ("binary garbage as csv", "take.csv", text(bytes(range(256)) * 4), ("binary",)),
    ("latin-1 text", "take.csv", text("Timecode,HeadYaw\n00:00:00:00.000,caf\xe9\n".encode("latin-1")), ("UTF-8", "line 2")),
    ("llf missing head column", "take.csv", text(live_link(edit=drop_column("HeadPitch"))), ("HeadPitch", "missing column")),
    ("llf missing blink column", "take.csv", text(live_link(edit=drop_column("EyeBlinkRight"))), ("EyeBlinkRight",)),
    ("llf text in number cell", "take.csv", text(live_link(edit=set_cell(3, "HeadYaw", "abc"))), ("line 4", "HeadYaw", "expected a number")),
    ("llf NaN", "take.csv", text(live_link(edit=set_cell(2, "LeftEyePitch", "nan"))), ("line 3", "LeftEyePitch", "finite")),
    ("llf infinity", "take.csv", text(live_link(edit=set_cell(2, "HeadRoll", "inf"))), ("line 3", "HeadRoll", "finite")),
    ("llf bad timecode", "take.csv", text(live_link(edit=set_cell(2, "Timecode", "yesterday"))), ("line 3", "Timecode", "HH:MM:SS:FF")),
    ("llf time goes back", "take.csv", text(live_link(edit=set_cell(4, "Timecode", "00:00:01:01.000"))), ("line 5", "increasing")),
    ("llf repeated timecode", "take.csv", text(live_link(edit=set_cell(3, "Timecode", "00:00:01:01.000"))), ("line 4", "increasing")),
    ("llf short row", "take.csv", text(live_link() + "00:00:01:09.000,61,0.1\n"), ("line 7", "fields")),
    ("llf blink out of range", "take.csv", text(live_link(edit=set_cell(2, "EyeBlinkLeft", "7"))), ("line 3", "EyeBlinkLeft", "0-1")),
    ("llf single frame", "take.csv", text(live_link(rows=1)), ("one frame",)),
    ("llf timecode out of range", "take.csv", text(live_link(edit=set_cell(1, "Timecode", "00:75:00:00.000"))), ("line 2", "out of range")),
    ("llf duplicate column", "take.csv", text("Timecode,HeadYaw,HeadYaw\n00:00:00:00.000,1,2\n"), ("duplicate", "HeadYaw")),
    ("native csv missing channel", "take.csv", native_csv(lambda t: t.replace("blink_right", "blink_r")), ("blink_right", "missing")),
    ("native csv bad fps comment", "take.csv", native_csv(lambda t: t.replace("# fps=30.0", "# fps=fast")), ("fps",)),
    ("native csv absurd fps", "take.csv", native_csv(lambda t: t.replace("# fps=30.0", "# fps=100000")), ("frame rate", "outside")),
    ("native csv no rate at all", "take.csv", native_csv(lambda t: t.replace("# fps=30.0\n", "").replace("time_s", "t")), ("frame rate",)),
    ("npz not a zip", "take.npz", text(b"PK\x03\x04 this is not really a zip file" * 10), ("npz",)),
    ("npz truncated", "take.npz", truncated_npz, ("npz",)),
    ("npz without arrays", "take.npz", zip_without_arrays, ("neither",)),
    ("npz unrelated keys", "take.npz", npz(weights=np.zeros(3)), ("neither", "weights")),
    ("npz pickled objects", "take.npz", npz(data=np.array([{"a": 1}], dtype=object), channels=CHANNEL_NAMES, fps=np.array(30.0)), ("pickled",)),
    ("npz wrong data shape", "take.npz", npz(data=np.zeros((10, 4)), channels=CHANNEL_NAMES, fps=np.array(30.0)), ("shape", "'data'")),
    ("npz NaN", "take.npz", npz(data=np.where(np.arange(9) == 4, np.nan, GOOD), channels=CHANNEL_NAMES, fps=np.array(30.0)), ("NaN", "left_eye_yaw")),
    ("npz zero frames", "take.npz", npz(data=np.zeros((0, 9)), channels=CHANNEL_NAMES, fps=np.array(30.0)), ("no frames",)),
    ("npz negative fps", "take.npz", npz(data=GOOD, channels=CHANNEL_NAMES, fps=np.array(-5.0)), ("frame rate",)),
    ("npz fps array", "take.npz", npz(data=GOOD, channels=CHANNEL_NAMES, fps=np.array([25.0, 30.0])), ("single number",)),
    ("npz text data", "take.npz", npz(data=np.array([["a"] * 9]), channels=CHANNEL_NAMES, fps=np.array(30.0)), ("numbers",)),
    ("flame wrong width", "take.npz", npz(pose=np.zeros((10, 12))), ("(frames, 15)", "'pose'")),
    ("flame NaN", "take.npz", npz(pose=np.where(np.arange(15) == 9, np.nan, np.zeros((10, 15)))), ("NaN", "'pose'")),
    ("flame degrees not radians", "take.npz", npz(pose=np.full((10, 15), 30.0)), ("radians",)),
    ("flame frame counts differ", "take.npz", npz(eye_pose=np.zeros((10, 6)), neck_pose=np.zeros((9, 3))), ("frames", "neck_pose")),
    ("flame neck without eyes", "take.npz", npz(neck_pose=np.zeros((10, 3))), ("eye",)),
    ("flame npy 1-D", "take.npy", lambda p: np.save(p, np.zeros(15)), ("(frames, 15)",)),
    ("flame npy empty", "take.npy", lambda p: np.save(p, np.zeros((0, 15))), ("no frames",)),
    ("flame npy garbage", "take.npy", text(b"\x93NUMPY garbage"), ("npy",)),
    ("unknown extension", "take.bvh", text("HIERARCHY\n"), ("unknown take format", ".bvh")),
    ("folder", "takes_dir", lambda p: p.mkdir(), ("folder",)),
]


@pytest.mark.parametrize(("name", "filename", "write", "words"), CASES, ids=[c[0] for c in CASES])
def test_malformed_take_is_named_and_explained(tmp_path: Path, name, filename, write, words):
    path = tmp_path / filename
    write(path)
    with pytest.raises(TakeFormatError) as caught:
        load_take(path)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    for word in words:
        assert word.lower() in message.lower(), f"{word!r} not in {message!r}"


def test_missing_file(tmp_path: Path):
    with pytest.raises(TakeFormatError, match="no such file"):
        load_take(tmp_path / "nothing.csv")


def test_at_least_twenty_cases():
    assert len(CASES) >= 20
