"""Bounded readers for .npy, .npz and JSON files: limits checked before anything is allocated.

Every reader returns plain values or raises :class:`FileFormatError` (or the subclass the caller
passes) naming the file, the member or field, and what was expected. Nothing is unpickled:
arrays of Python objects are refused from their header.
"""

from __future__ import annotations

import json
import math
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any, NoReturn

import numpy as np

from model_runtime.errors import FileFormatError
from model_runtime.limits import (
    MAX_ARRAY_BYTES,
    MAX_ARRAY_DIM,
    MAX_JSON_BYTES,
    MAX_JSON_DEPTH,
    MAX_JSON_NUMBER_CHARS,
    MAX_NPY_HEADER_BYTES,
    MAX_NPZ_MEMBERS,
    MAX_TEXT_ARRAY_CHARS,
)

# Numbers, booleans and text; never objects (pickles), structured records or raw bytes.
_ARRAY_KINDS = "biufU"
# The end-of-directory record sits within the last 64 KiB (its comment) + 22 bytes of a zip.
_EOCD_SEARCH = 65536 + 22
_MAX_DIRECTORY_ENTRY = 1024  # bytes: a member's directory entry, name and extra fields included
# How a truncated or corrupt file or member shows while it is read.
_DAMAGED = (OSError, EOFError, zipfile.BadZipFile, zlib.error)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _read_array(handle: IO[bytes], path: Path, where: str, error: type[FileFormatError]) -> np.ndarray:
    """One .npy stream: header checked against the limits, then exactly the declared bytes."""
    try:
        version = np.lib.format.read_magic(handle)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(handle, max_header_size=MAX_NPY_HEADER_BYTES)
        elif version == (2, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(handle, max_header_size=MAX_NPY_HEADER_BYTES)
        else:
            raise error(path, f"is .npy format version {version[0]}.{version[1]}; expected 1.0 or 2.0", where)
    except FileFormatError:
        raise
    except _DAMAGED as exc:
        raise error(path, f"is damaged: the array cannot be read ({str(exc)[:120]})", where) from None
    except Exception as exc:  # numpy's header parser raises ValueError, TokenError, SyntaxError ...
        raise error(path, f"is not a readable .npy array (bad header: {str(exc)[:120]})", where) from None
    if dtype.hasobject:
        raise error(path, "holds Python objects (pickled data), which are never loaded; expected numeric arrays", where)
    if dtype.kind not in _ARRAY_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise error(path, f"has dtype {dtype}; expected numbers or text", where)
    if dtype.kind == "U" and dtype.itemsize > 4 * MAX_TEXT_ARRAY_CHARS:
        raise error(path, f"holds strings of {dtype.itemsize // 4} characters; expected at most {MAX_TEXT_ARRAY_CHARS}", where)
    if len(shape) > 4 or any(not 0 <= d <= MAX_ARRAY_DIM for d in shape):
        raise error(path, f"declares shape {shape}; expected at most 4 dimensions of at most {MAX_ARRAY_DIM} each", where)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > MAX_ARRAY_BYTES:
        raise error(path, f"declares {nbytes / 2**20:.0f} MiB of data (shape {shape}); expected at most {MAX_ARRAY_BYTES // 2**20} MiB", where)
    try:
        raw = handle.read(nbytes)
    except (*_DAMAGED, ValueError) as exc:
        raise error(path, f"is damaged: the array data cannot be read ({str(exc)[:120]})", where) from None
    if len(raw) != nbytes:
        raise error(path, f"is truncated: the header declares {nbytes} bytes of data, the file holds {len(raw)}", where)
    if dtype.kind == "U":
        codes = np.frombuffer(raw, dtype=np.dtype(np.uint32).newbyteorder(dtype.byteorder))
        if np.any((codes > 0x10FFFF) | ((codes >= 0xD800) & (codes <= 0xDFFF))):
            raise error(path, "holds text that is not valid Unicode; expected names or metadata", where)
    array = np.frombuffer(raw, dtype=dtype).reshape(shape, order="F" if fortran_order else "C")
    return array


def read_npy(path: Path, error: type[FileFormatError] = FileFormatError) -> np.ndarray:
    """A single .npy file."""
    try:
        with path.open("rb") as handle:
            return _read_array(handle, path, "", error)
    except OSError as exc:
        raise error(path, f"cannot be read ({exc.strerror or exc})") from None


def _check_directory(path: Path, error: type[FileFormatError]) -> None:
    """Refuse an archive whose central directory is too big, before zipfile reads all of it."""
    with path.open("rb") as handle:
        handle.seek(0, 2)
        handle.seek(max(0, handle.tell() - _EOCD_SEARCH))
        tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return  # not a zip at all: zipfile says so
    entries, directory_bytes = struct.unpack("<HI", tail[at + 10 : at + 16])
    if entries > MAX_NPZ_MEMBERS or directory_bytes > MAX_NPZ_MEMBERS * _MAX_DIRECTORY_ENTRY:
        # Zip64 archives mark their counts 0xFFFF / 0xFFFFFFFF here; an .npz never needs one.
        raise error(path, f"lists {entries} members in {directory_bytes} bytes; expected an .npz of at most {MAX_NPZ_MEMBERS} arrays")


def read_npz(path: Path, error: type[FileFormatError] = FileFormatError) -> dict[str, np.ndarray]:
    """Every ``*.npy`` member of an .npz archive by name (without ``.npy``); other members are ignored."""
    arrays: dict[str, np.ndarray] = {}
    try:
        _check_directory(path, error)
        with zipfile.ZipFile(path) as archive:
            members = [info for info in archive.infolist() if info.filename.endswith(".npy")]
            if len(archive.infolist()) > MAX_NPZ_MEMBERS:
                raise error(path, f"holds {len(archive.infolist())} members; expected at most {MAX_NPZ_MEMBERS}")
            for info in members:
                name = info.filename[: -len(".npy")]
                where = f"key {name[:60]!r}"
                if info.file_size > MAX_ARRAY_BYTES + MAX_NPY_HEADER_BYTES + 16:
                    raise error(path, f"member inflates to {info.file_size / 2**20:.0f} MiB; expected at most {MAX_ARRAY_BYTES // 2**20} MiB", where)
                with archive.open(info) as handle:
                    arrays[name] = _read_array(handle, path, where, error)
    except FileFormatError:
        raise
    except (*_DAMAGED, zipfile.LargeZipFile, NotImplementedError, ValueError, RuntimeError) as exc:
        # RuntimeError: encrypted members; NotImplementedError: unsupported compression.
        raise error(path, f"is not a readable .npz archive ({str(exc)[:120]})") from None
    return arrays


def _json_number(text: str, path: Path) -> float | int:
    if len(text) > MAX_JSON_NUMBER_CHARS:
        raise FileFormatError(path, f"holds a number of {len(text)} characters ({text[:20]}...); expected at most {MAX_JSON_NUMBER_CHARS}")
    value = float(text) if any(c in text for c in ".eE") else int(text)
    if not math.isfinite(value):
        raise FileFormatError(path, f"holds the number {text}, beyond what a float can hold; expected a finite number")
    return value


def _refuse_constant(name: str, path: Path) -> NoReturn:
    raise FileFormatError(path, f"holds {name}, which is not a JSON number; expected finite numbers")


def parse_json(text: str, path: Path) -> Any:
    """JSON text of a file, with its size, nesting depth and number lengths bounded."""
    if len(text) > MAX_JSON_BYTES:
        raise FileFormatError(path, f"is {len(text) / 2**20:.1f} MiB of JSON; expected at most {MAX_JSON_BYTES // 2**20} MiB")
    depth = deepest = 0
    for char in re.findall(r"[\[\]{}]", _STRING.sub("", text)):
        depth += 1 if char in "[{" else -1
        deepest = max(deepest, depth)
    if deepest > MAX_JSON_DEPTH:
        raise FileFormatError(path, f"nests {deepest} levels deep; expected at most {MAX_JSON_DEPTH}")
    try:
        return json.loads(
            text,
            parse_int=lambda s: _json_number(s, path),
            parse_float=lambda s: _json_number(s, path),
            parse_constant=lambda s: _refuse_constant(s, path),
        )
    except json.JSONDecodeError as exc:
        raise FileFormatError(path, f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None


def read_json(path: Path) -> Any:
    """A JSON file, size checked before it is read."""
    try:
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            raise FileFormatError(path, f"is {size / 2**20:.1f} MiB; expected a JSON file of at most {MAX_JSON_BYTES // 2**20} MiB")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FileFormatError(path, "no such file") from None
    except IsADirectoryError:
        raise FileFormatError(path, "is a folder; expected a JSON file") from None
    except OSError as exc:
        raise FileFormatError(path, f"cannot be read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileFormatError(path, f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); expected a UTF-8 JSON file") from None
    return parse_json(text, path)
