"""The command line: ``python -m model_runtime <command> ...``.

Each command lives in :mod:`model_runtime.commands` as a module with ``register(subparsers)``;
this file only lists them. Expected failures (GazeError) print one line naming the file and the
problem, and exit with status 2. Anything else is a bug: one line naming the command's input and
asking for the traceback, which ``--debug`` prints; status 1.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from pathlib import Path

from model_runtime import __version__, commands
from model_runtime.commands.terminal import printable
from model_runtime.errors import GazeError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m model_runtime", description="Speech-driven gaze, head and blink motion.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="print the traceback of an unexpected error")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"model_runtime.commands.{info.name}")
        if hasattr(module, "register"):
            module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.func(args)
    except GazeError as exc:
        print(f"error: {printable(str(exc))}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, or a resource the machine lacks (MemoryError, a full disk)
        if args.debug:
            raise
        inputs = ", ".join(str(value) for key, value in sorted(vars(args).items()) if isinstance(value, Path) and key not in ("output", "json", "csv", "report"))
        print(
            f"error: {args.command} failed on {printable(inputs) or 'its input'}: {type(exc).__name__}: {printable(str(exc))[:300]} "
            "(unexpected: rerun as python -m model_runtime --debug ... for the traceback, and report it)",
            file=sys.stderr,
        )
        return 1
    return result
