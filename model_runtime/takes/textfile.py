"""Reading CSV-like text takes with errors that name the file, line and column."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from model_runtime.errors import TakeFormatError

# A take of a few hours at 60 fps stays well below this; larger is almost surely not a take.
MAX_TEXT_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class CsvTable:
    """A parsed CSV: header names, and each data row with its 1-based line number in the file."""

    path: Path
    header: list[str]
    rows: list[list[str]]
    line_numbers: list[int]
    comments: list[str]

    def column_index(self, name: str) -> int | None:
        try:
            return self.header.index(name)
        except ValueError:
            return None

    def require(self, names: list[str] | tuple[str, ...], what: str) -> list[int]:
        missing = [name for name in names if name not in self.header]
        if missing:
            raise TakeFormatError(
                self.path,
                f"missing column(s) {', '.join(missing)}; a {what} needs {', '.join(names)}",
                "line 1 (header)",
            )
        return [self.header.index(name) for name in names]

    def numbers(self, column: int, allow_nan: bool = False) -> NDArray[np.float64]:
        """One column as floats; a bad cell raises naming its line and column."""
        name = self.header[column]
        values = np.empty(len(self.rows))
        for i, (row, line) in enumerate(zip(self.rows, self.line_numbers, strict=True)):
            cell = row[column].strip()
            try:
                value = float(cell)
            except ValueError:
                raise TakeFormatError(self.path, f"expected a number, got {cell[:40]!r}", f"line {line}, column {name!r}") from None
            if not allow_nan and not math.isfinite(value):
                raise TakeFormatError(self.path, f"expected a finite number, got {cell!r}", f"line {line}, column {name!r}")
            values[i] = value
        return values


def read_text(path: Path) -> str:
    """The file as text, or an error that says why it is not a text take."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise TakeFormatError(path, f"cannot be read ({exc.strerror or exc})") from None
    if size == 0:
        raise TakeFormatError(path, "the file is empty; expected a CSV take with a header line and at least one frame")
    if size > MAX_TEXT_BYTES:
        raise TakeFormatError(path, f"the file is {size / 2**20:.0f} MiB; a CSV take is expected to be under {MAX_TEXT_BYTES // 2**20} MiB")
    raw = path.read_bytes()
    if b"\x00" in raw[:65536]:
        raise TakeFormatError(path, "contains binary data (NUL bytes); expected a UTF-8 text CSV take")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise TakeFormatError(path, f"is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the CSV as UTF-8", f"line {line}") from None


def parse_csv(path: Path, text: str | None = None) -> CsvTable:
    """Split a CSV take into header and rows; '#' lines before the header are kept as comments."""
    text = read_text(path) if text is None else text
    comments: list[str] = []
    header: list[str] | None = None
    rows: list[list[str]] = []
    line_numbers: list[int] = []
    try:
        for index, row in enumerate(csv.reader(io.StringIO(text))):
            line = index + 1
            if not row or all(not cell.strip() for cell in row):
                continue
            if header is None:
                if row[0].lstrip().startswith("#"):
                    comments.append(",".join(row).lstrip()[1:].strip())
                    continue
                header = [cell.strip() for cell in row]
                duplicates = sorted({name for name in header if header.count(name) > 1})
                if duplicates:
                    raise TakeFormatError(path, f"duplicate column(s) {', '.join(duplicates)}", "line 1 (header)")
                continue
            if len(row) != len(header):
                raise TakeFormatError(path, f"expected {len(header)} fields as in the header, got {len(row)}", f"line {line}")
            rows.append(row)
            line_numbers.append(line)
    except csv.Error as exc:
        raise TakeFormatError(path, f"is not valid CSV ({exc})") from None
    if header is None:
        raise TakeFormatError(path, "has no header line; expected column names on the first line")
    if not rows:
        raise TakeFormatError(path, "has a header but no frames; expected at least one data line")
    return CsvTable(path=path, header=header, rows=rows, line_numbers=line_numbers, comments=comments)


def check_increasing(path: Path, times: NDArray[np.float64], lines: list[int], what: str) -> None:
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
