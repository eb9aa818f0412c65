"""The hostile files of issue #25, written at test time (nothing big is committed).

``write_all(folder)`` writes each and returns ``{case: (path, kind)}``; ``kind`` names the parser
that must refuse it with one GazeError naming the file: "take", "style" or "model_config".
Run as a script to write them into a folder for trying the command line by hand.
"""

from __future__ import annotations

import struct
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from model_runtime.takes.livelink import LIVE_LINK_COLUMNS

CHANNELS = ["head_pitch", "head_yaw", "head_roll", "left_eye_pitch", "left_eye_yaw", "right_eye_pitch", "right_eye_yaw", "blink_left", "blink_right"]


def npy_bytes(header: str, data: bytes = b"", version: tuple[int, int] = (1, 0)) -> bytes:
    """An .npy stream with any header text, padded as numpy pads it."""
    text = header.encode("latin-1")
    length_format = "<H" if version == (1, 0) else "<I"
    prefix = 6 + 2 + struct.calcsize(length_format)
    padding = -(prefix + len(text) + 1) % 64
    text = text + b" " * padding + b"\n"
    return b"\x93NUMPY" + bytes(version) + struct.pack(length_format, len(text)) + text + data


def array_bytes(array: np.ndarray) -> bytes:
    return npy_bytes(f"{{'descr': {np.lib.format.dtype_to_descr(array.dtype)!r}, 'fortran_order': False, 'shape': {array.shape!r}, }}", array.tobytes())


def write_npz(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def good_members() -> dict[str, bytes]:
    data = np.zeros((10, 9), dtype=np.float32)
    return {"fps.npy": array_bytes(np.array(30.0)), "channels.npy": array_bytes(np.array(CHANNELS)), "data.npy": array_bytes(data)}


def zip_bomb(path: Path) -> None:
    """A member that declares 10 frames in its header but inflates to 300 MiB of zeros (3 MB on disk would reach 3 GB)."""
    zeros = bytes(1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, data in good_members().items():
            if name != "data.npy":
                archive.writestr(name, data)
        with archive.open(zipfile.ZipInfo("data.npy"), "w", force_zip64=True) as member:
            member.write(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (10, 9), }"))
            for _ in range(300):
                member.write(zeros)


def damaged_stream(path: Path) -> None:
    """A valid archive whose data member's compressed bytes are flipped past its header."""
    members = {**good_members(), "data.npy": array_bytes(np.random.default_rng(0).normal(0, 5, (200, 9)))}
    write_npz(path, members)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("data.npy")
    raw = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + 400
    raw[start : start + 8] = bytes(b ^ 0xA5 for b in raw[start : start + 8])
    path.write_bytes(bytes(raw))


def live_link_rows(timecodes: list[str], cell: str = "0.1") -> str:
    rows = [",".join(LIVE_LINK_COLUMNS)]
    rows += [",".join([code, "61"] + [cell] * (len(LIVE_LINK_COLUMNS) - 2)) for code in timecodes]
    return "\n".join(rows) + "\n"


def native_csv(cell: str, column: int = 1) -> str:
    values = ["0.0"] * 9
    values[column] = cell
    rows = ["# fps=30", "frame,time_s," + ",".join(CHANNELS)] + [f"{i},{i / 30:.6f}," + ",".join(values) for i in range(5)]
    return "\n".join(rows) + "\n"


def style_json(value: str) -> str:
    return '{"parameters": {"saccade_rate_hz": ' + value + "}}"


def _bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def _text(data: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(data, encoding="utf-8")


def _npz(**replace: bytes) -> Callable[[Path], None]:
    return lambda path: write_npz(path, {**good_members(), **replace})


def _arrays(**arrays: np.ndarray) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        with path.open("wb") as handle:
            np.savez(handle, **arrays)

    return write


POSE = np.zeros((10, 15))
DEEP = "[" * 100_000 + "]" * 100_000

# case: (file name, kind, writer)
CASES: dict[str, tuple[str, str, Callable[[Path], None]]] = {
    "npz channels (10^12, 0)": ("huge_empty.npz", "take", _npz(**{"channels.npy": npy_bytes("{'descr': '<U10', 'fortran_order': False, 'shape': (1000000000000, 0), }")})),
    "npz member inflating far past its header": ("bomb.npz", "take", zip_bomb),
    "npz header declaring 7 GB": ("declares_7gb.npz", "take", _npz(**{"data.npy": npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (100000000, 9), }")})),
    "npy header declaring 10.9 TiB": ("declares_11tib.npy", "take", _bytes(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (200000000000, 15), }"))),
    "npz member that is not an npy array": ("not_npy.npz", "take", _npz(**{"data.npy": b"this is not an array"})),
    "npy malformed header (tokenizer error)": ("bad_header.npy", "take", _bytes(npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (3, "))),
    "npy negative shape over a long stream": ("negative.npz", "take", _npz(**{"data.npy": npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 9), }", bytes(50 * 2**20))})),
    "npy header not a dict": ("header_list.npy", "take", _bytes(npy_bytes("[1, 2, 3]"))),
    "npy data shorter than declared": ("short.npy", "take", _bytes(npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (10, 15), }", b"\0" * 40))),
    "npy of structured records": ("records.npy", "take", _bytes(array_bytes(np.zeros(3, dtype=[("a", "<f8")])))),
    "npz version not an integer": ("version_text.npz", "take", _npz(**{"version.npy": array_bytes(np.array("one"))})),
    "npz version a float": ("version_float.npz", "take", _npz(**{"version.npy": array_bytes(np.array(1.5))})),
    "npz channel names not Unicode": ("channels_codes.npz", "take", _npz(**{"channels.npy": npy_bytes("{'descr': '<U1', 'fortran_order': False, 'shape': (9,), }", b"\xff" * 36)})),
    "npz metadata with a surrogate": ("meta_surrogate.npz", "take", _npz(**{"meta_keys.npy": array_bytes(np.array(["a"])), "meta_values.npy": npy_bytes("{'descr': '<U1', 'fortran_order': False, 'shape': (1,), }", b"\x00\xd8\x00\x00")})),
    "npz of 5,000 members": ("many_members.npz", "take", lambda p: write_npz(p, {**good_members(), **{f"m{i}.npy": b"" for i in range(5000)}})),
    "npz with a damaged deflate stream": ("damaged_stream.npz", "take", damaged_stream),
    "npz channels as numbers": ("channels_numbers.npz", "take", _npz(**{"channels.npy": array_bytes(np.arange(9.0))})),
    "npz blink closure 60": ("blink60.npz", "take", _npz(**{"data.npy": array_bytes(np.where(np.arange(9) == 7, 60.0, 0.0) * np.ones((10, 1)))})),
    "npz angle 1e18 deg": ("angle1e18.npz", "take", _npz(**{"data.npy": array_bytes(np.where(np.arange(9) == 1, 1e18, 0.0) * np.ones((10, 1)))})),
    "npz 5.6 h take at 1 fps": ("too_long.npz", "take", _npz(**{"fps.npy": array_bytes(np.array(1.0)), "data.npy": npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (20000, 9), }", bytes(20000 * 36))})),
    "flame blinks as strings": ("flame_blink_text.npz", "take", _arrays(pose=POSE, blink=np.array(["closed"] * 10))),
    "flame blink closure 60": ("flame_blink60.npz", "take", _arrays(pose=POSE, blink=np.full(10, 60.0))),
    "flame pose array of text": ("flame_text.npy", "take", lambda p: np.save(p, np.array([["a"] * 15] * 3))),
    "flame scalar pose": ("flame_scalar.npz", "take", _arrays(pose=np.array(1.0))),
    "llf 5 rows, last 24 h later": ("day_long.csv", "take", _text(live_link_rows([f"00:00:00:{i:02d}.000" for i in range(4)] + ["23:59:59:00.000"]))),
    "llf hole of a minute": ("hole.csv", "take", _text(live_link_rows(["00:00:00:00.000", "00:00:00:01.000", "00:01:00:02.000"]))),
    "llf angle 1e18 deg": ("llf_angle.csv", "take", _text(live_link_rows([f"00:00:00:{i:02d}.000" for i in range(4)], cell="1e18"))),
    "llf underscore number": ("llf_underscore.csv", "take", _text(live_link_rows([f"00:00:00:{i:02d}.000" for i in range(4)], cell="1_0"))),
    "native csv 1_000": ("underscore.csv", "take", _text(native_csv("1_000"))),
    "native csv blink 60": ("native_blink.csv", "take", _text(native_csv("60", column=8))),
    "native csv angle beyond float32": ("native_big.csv", "take", _text(native_csv("1e39"))),
    "native csv fps 1e-9": ("native_fps.csv", "take", _text(native_csv("0").replace("# fps=30", "# fps=1e-9"))),
    "csv with an endless line": ("long_line.csv", "take", _text("Timecode," + "x" * 3_000_000 + "\n")),
    "csv with a huge quoted field": ("quoted.csv", "take", _text('a,b\n1,"' + "x" * 200_000 + '"\n')),
    "style nested 10^5 deep": ("deep.json", "style", _text(DEEP)),
    "style 400-digit integer": ("digits400.json", "style", _text(style_json("9" * 400))),
    "style 5000-digit integer": ("digits5000.json", "style", _text(style_json("9" * 5000))),
    "style 1e999": ("inf.json", "style", _text(style_json("1e999"))),
    "style NaN": ("nan.json", "style", _text(style_json("NaN"))),
    "style not UTF-8": ("latin.json", "style", _bytes(b'{"a": "caf\xe9"}')),
    "style a list": ("list.json", "style", _text("[1, 2]")),
    "style folder": ("style_dir.json", "style", lambda p: p.mkdir()),
    "model config nested 10^5 deep": ("deep_config.json", "model_config", _text(DEEP)),
    "model config 400-digit chunk": ("config400.json", "model_config", _text('{"fps": 25, "chunk": ' + "9" * 400 + "}")),
    "model config 5000-digit chunk": ("config5000.json", "model_config", _text('{"fps": 25, "chunk": ' + "9" * 5000 + "}")),
    "model config preset of the wrong size": ("config_preset.json", "model_config", _text('{"fps": 25, "audio_features": [], "channels": [], "chunk": 5, "lookahead": 1, "latent_dim": 1, "hidden": 1, "layers": 1, "style_window": 1, "style_dim": 4, "gaze_grid_deg": [1, 1, 1], "presets": {"neutral": [1, 2]}}')),
    "model config negative sizes": ("config_negative.json", "model_config", _text('{"fps": 25, "audio_features": [], "channels": [], "chunk": -5, "lookahead": 1, "latent_dim": 1, "hidden": 1, "layers": 1, "style_window": 1, "style_dim": 1, "gaze_grid_deg": [1, 1, 1]}')),
}


def write_all(folder: Path) -> dict[str, tuple[Path, str]]:
    written = {}
    for case, (name, kind, write) in CASES.items():
        path = folder / name
        write(path)
        written[case] = (path, kind)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile")
    target.mkdir(parents=True, exist_ok=True)
    for case, (path, kind) in write_all(target).items():
        print(f"{kind:13s} {path}  ({case})")
