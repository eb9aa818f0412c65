"""Errors that reach the user: each names the file (or bone) and what was expected."""

from __future__ import annotations

from pathlib import Path


class GazeError(Exception):
    """Base of every error this product raises on purpose for bad input."""


class FileFormatError(GazeError):
    """A data file (take, style, preset, model configuration) could not be read: names the file, where in it, and what was expected."""

    def __init__(self, path: str | Path, problem: str, where: str | None = None) -> None:
        self.path = str(path)
        self.where = where
        self.problem = problem
        location = f"{self.path}: {where}" if where else self.path
        super().__init__(f"{location}: {problem}")


class TakeFormatError(FileFormatError):
    """A take file could not be read."""


class AudioError(GazeError):
    """An audio file could not be used: names the file and the problem."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
