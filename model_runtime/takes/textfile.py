"""Reading CSV-like text takes in a stream, with errors that name the file, line and column.

Only the columns a reader keeps are converted, into typed arrays as the rows go by, so memory is
proportional to the numbers kept, not to the text; rows and fields are bounded (:mod:`limits`).
"""

from __future__ import annotations

import codecs
import csv
import math
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
from numpy.typing import NDArray

from model_runtime.errors import TakeFormatError
from model_runtime.limits import MAX_CSV_COLUMNS, MAX_CSV_COMMENT_LINES, MAX_CSV_FIELD_CHARS, MAX_TAKE_FRAMES, MAX_TEXT_BYTES

_SNIFF_BYTES = 65536
_MAX_LINE_BYTES = MAX_CSV_FIELD_CHARS * MAX_CSV_COLUMNS


@dataclass(frozen=True)
class CsvHeader:
    """A CSV take's column names and the ``#`` comment lines before them."""

    path: Path
    names: tuple[str, ...]
    comments: tuple[str, ...]

    def index(self, name: str) -> int | None:
        return self.names.index(name) if name in self.names else None

    def require(self, names: Sequence[str], what: str) -> list[int]:
        missing = [name for name in names if name not in self.names]
        if missing:
            raise TakeFormatError(self.path, f"missing column(s) {', '.join(missing)}; a {what} needs {', '.join(names)}", "line 1 (header)")
        return [self.names.index(name) for name in names]


def number(cell: str, path: Path, line: int, column: str, allow_nan: bool = False) -> float:
    """One cell as a float; Python-only spellings (``1_000``) and, unless allowed, NaN and infinity are refused."""
    try:
        if "_" in cell:
            raise ValueError
        value = float(cell)
    except ValueError:
        raise TakeFormatError(path, f"expected a number, got {cell.strip()[:40]!r}", f"line {line}, column {column!r}") from None
    if not allow_nan and not math.isfinite(value):
        raise TakeFormatError(path, f"expected a finite number, got {cell.strip()[:40]!r}", f"line {line}, column {column!r}")
    return value


def _open(path: Path) -> _Utf8Lines:
    """The file as UTF-8 lines, after the checks that tell a text take from something else."""
    try:
        size = path.stat().st_size
        handle = path.open("rb")
        start = handle.read(_SNIFF_BYTES)
        handle.seek(0)
    except OSError as exc:
        raise TakeFormatError(path, f"cannot be read ({exc.strerror or exc})") from None
    problem = None
    if size == 0:
        problem = "the file is empty; expected a CSV take with a header line and at least one frame"
    elif size > MAX_TEXT_BYTES:
        problem = f"the file is {size / 2**20:.0f} MiB; a CSV take is expected to be under {MAX_TEXT_BYTES // 2**20} MiB"
    elif b"\x00" in start:
        problem = "contains binary data (NUL bytes); expected a UTF-8 text CSV take"
    if problem is not None:
        handle.close()
        raise TakeFormatError(path, problem)
    lines = _Utf8Lines(handle, path)
    try:
        # Text that is not UTF-8 is told as such at once, not as the missing columns it garbles.
        codecs.getincrementaldecoder("utf-8")().decode(start)
    except UnicodeDecodeError as exc:
        lines.close()
        line = start[: exc.start].count(b"\n") + 1
        raise TakeFormatError(path, f"is not UTF-8 text (byte 0x{start[exc.start]:02x}); save the CSV as UTF-8", f"line {line}") from None
    return lines


class _Utf8Lines:
    """Decoded lines of a binary file; a bad byte raises naming its line."""

    def __init__(self, handle: IO[bytes], path: Path) -> None:
        self._handle = handle
        self._path = path
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.line = 0

    def __iter__(self) -> Iterator[str]:
        while raw := self._handle.readline(_MAX_LINE_BYTES + 1):  # bounded: a file without line breaks is not read whole
            self.line += 1
            if len(raw) > _MAX_LINE_BYTES:
                raise TakeFormatError(self._path, f"has a line over {_MAX_LINE_BYTES} bytes; expected CSV rows of at most {MAX_CSV_COLUMNS} fields", f"line {self.line}")
            try:
                yield self._decoder.decode(raw)
            except UnicodeDecodeError as exc:
                raise TakeFormatError(self._path, f"is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the CSV as UTF-8", f"line {self.line}") from None

    def close(self) -> None:
        self._handle.close()


class CsvReader:
    """Header first, then the rows one at a time: ``with CsvReader(path) as csv: for line, row in csv.rows(): ...``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lines = _open(path)
        self._reader = csv.reader(self._lines)
        try:
            self.header = self._read_header()
        except BaseException:
            self.close()
            raise

    def _read_header(self) -> CsvHeader:
        comments: list[str] = []
        for row in self._records():
            if row[0].lstrip().startswith("#"):
                if len(comments) == MAX_CSV_COMMENT_LINES:
                    raise TakeFormatError(self.path, f"has more than {MAX_CSV_COMMENT_LINES} comment lines before the header", f"line {self.line}")
                comments.append(",".join(row).lstrip()[1:].strip())
                continue
            names = tuple(cell.strip() for cell in row)
            duplicates = sorted({name for name in names if names.count(name) > 1})
            if duplicates:
                raise TakeFormatError(self.path, f"duplicate column(s) {', '.join(duplicates)[:200]}", "line 1 (header)")
            return CsvHeader(self.path, names, tuple(comments))
        raise TakeFormatError(self.path, "has no header line; expected column names on the first line")

    def __enter__(self) -> CsvReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._lines.close()

    @property
    def line(self) -> int:
        return self._lines.line

    def _records(self) -> Iterator[list[str]]:
        """Non-blank CSV records, fields bounded."""
        try:
            for row in self._reader:
                if len(row) > MAX_CSV_COLUMNS:
                    raise TakeFormatError(self.path, f"has {len(row)} fields; expected at most {MAX_CSV_COLUMNS}", f"line {self.line}")
                if not row or all(not cell.strip() for cell in row):
                    continue
                yield row
        except csv.Error as exc:
            raise TakeFormatError(self.path, f"is not valid CSV ({exc})", f"line {self.line}") from None

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(line number, fields) of each data row; at least one, at most :data:`MAX_TAKE_FRAMES`."""
        width = len(self.header.names)
        count = 0
        for row in self._records():
            if len(row) != width:
                raise TakeFormatError(self.path, f"expected {width} fields as in the header, got {len(row)}", f"line {self.line}")
            count += 1
            if count > MAX_TAKE_FRAMES:
                raise TakeFormatError(self.path, f"has more than {MAX_TAKE_FRAMES} frames; expected a take of at most {MAX_TAKE_FRAMES}", f"line {self.line}")
            yield self.line, row
        if count == 0:
            raise TakeFormatError(self.path, "has a header but no frames; expected at least one data line")


def read_header(path: Path) -> CsvHeader:
    """Only the header of a CSV take (to tell its format)."""
    with CsvReader(path) as reader:
        return reader.header


class Columns:
    """Growing float columns (8 bytes a value), turned into arrays once the rows are read."""

    def __init__(self, count: int) -> None:
        self._columns = [array("d") for _ in range(count)]
        self.lines = array("q")

    def append(self, line: int, values: Sequence[float]) -> None:
        self.lines.append(line)
        for column, value in zip(self._columns, values, strict=True):
            column.append(value)

    def __len__(self) -> int:
        return len(self.lines)

    def arrays(self) -> list[NDArray[np.float64]]:
        """Each column as an array, sharing memory with the buffer (no copy)."""
        return [np.frombuffer(column, dtype=np.float64) for column in self._columns]


def check_increasing(path: Path, times: NDArray[np.float64], lines: NDArray[np.int64], what: str) -> None:
    """Raise naming the first line where ``times`` does not increase."""
    steps = np.diff(times)
    bad = np.flatnonzero(steps <= 0)
    if bad.size:
        i = int(bad[0]) + 1
        raise TakeFormatError(
            path,
            f"{what} does not increase ({times[i - 1]:.6g} then {times[i]:.6g}); expected strictly increasing times",
            f"line {lines[i]}",
        )
