"""Writing output files: the path checked before any work, the file written whole or not at all."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from model_runtime.errors import GazeError


class OutputError(GazeError):
    """An output path cannot be written: names it and why."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        super().__init__(f"{self.path}: {problem}")


def check_output(path: Path, inputs: Iterable[Path | None] = ()) -> None:
    """Refuse, before any work, an output whose folder is missing or read-only, or that is an input."""
    folder = path.parent
    if path.is_dir():
        raise OutputError(path, "is a folder; expected an output file name")
    if not folder.is_dir():
        raise OutputError(path, f"the folder {folder} does not exist; create it first")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(path, f"the folder {folder} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError(path, "exists and is read-only")
    for source in inputs:
        if source is not None and (source.resolve() == path.resolve() or (path.exists() and source.exists() and path.samefile(source))):
            raise OutputError(path, "is also an input; write the output to another file")


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed onto it when the block succeeds and removed when it fails."""
    try:
        # Same suffix as the output: some writers choose the format by it.
        handle, name = tempfile.mkstemp(prefix=f".{path.stem}.part-", suffix=path.suffix, dir=path.parent)
    except OSError as exc:
        raise OutputError(path, f"cannot be written ({exc.strerror or exc})") from None
    os.close(handle)
    temporary = Path(name)
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(temporary, 0o666 & ~mask)  # mkstemp makes it private; the output gets the usual mode
    try:
        yield temporary
        os.replace(temporary, path)
    except OSError as exc:
        raise OutputError(path, f"cannot be written ({exc.strerror or exc})") from None
    finally:
        temporary.unlink(missing_ok=True)
