"""A seeded mutational fuzzer over every file parser (issue #25).

Each parser gets a valid seed file; each case is the seed with a few random mutations (bytes, number
tokens, and for .npz archives the members and their .npy headers). Cases run in a worker process
under an address-space limit; the parent times each one. Outcomes:

* ``refused``: a GazeError whose message starts with the file's path;
* ``accepted``: the parser returned a value that passes the same checks as any read (finite, in range);
* a failure: ``traceback`` (any other exception), ``unnamed`` (a GazeError not naming the file),
  ``nonsense`` (an accepted value out of range), ``hang`` (over the time limit) or ``memory``
  (over the traced-memory cap, MemoryError, or the worker killed).

Used by tests/test_fuzz_parsers.py (a quick run) and benchmarks/fuzz_parsers.py (the long run).
"""

from __future__ import annotations

import io
import math
import multiprocessing
import os
import re
import resource
import tempfile
import tracemalloc
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

MEMORY_CAP = 256 * 2**20  # traced allocations of one case
ADDRESS_LIMIT = 3 * 2**30  # the worker's whole address space (numpy and its libraries included)
CASE_TIMEOUT_S = 20.0
FAILURES = ("traceback", "unnamed", "nonsense", "hang", "memory")

INTERESTING: tuple[bytes, ...] = (
    b"0", b"-1", b"1e309", b"-1e309", b"nan", b"inf", b"1_000", b"9" * 400, b"9" * 5000, b"1e18", b"4294967296",
    b"-0", b"", b"\x00", b"\xff\xfe", b"\x1b[31m", b'"', b",", b"\n", b"[" * 50, b"{", b"60", b"1e-300", b"2000",
)  # fmt: skip
_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


# ---- seeds ---------------------------------------------------------------------------------------


def _seed_files(folder: Path) -> dict[str, tuple[str, bytes]]:
    """parser -> (file suffix, valid content)."""
    from model_runtime.clip import MotionClip
    from model_runtime.learned.metadata import ModelConfig
    from model_runtime.learned.steering import StyleTargets
    from model_runtime.performer.style import PerformerStyle
    from model_runtime.takes import save_take

    rng = np.random.default_rng(0)
    frames = 40
    data = np.column_stack([rng.normal(0, 5, (frames, 7)), rng.uniform(0, 1, (frames, 2))])
    clip = MotionClip(fps=30.0, data=data, meta={"source": "fuzz"})
    paths = {
        "livelink": ("llf.csv", "livelink"),
        "project_csv": ("take.csv", "csv"),
        "project_npz": ("take.npz", "npz"),
        "flame_npz": ("flame.npz", "flame"),
        "flame_npy": ("flame.npy", "flame"),
    }
    seeds: dict[str, tuple[str, bytes]] = {}
    for parser, (name, kind) in paths.items():
        save_take(clip, folder / name, kind)  # type: ignore[arg-type]
        seeds[parser] = (Path(name).suffix, (folder / name).read_bytes())
    PerformerStyle().save(folder / "style.json")
    seeds["style"] = (".json", (folder / "style.json").read_bytes())
    from model_runtime.assets import asset_path

    seeds["preset"] = (".json", asset_path("presets/calm_presenter.json").read_bytes())
    targets = StyleTargets.from_dict({name: 0.5 for name in StyleTargets.__dataclass_fields__ if name not in ("head_mover", "away_landings")})
    config = ModelConfig(audio_features=("rms", "f0"), style_dim=2, presets={"neutral": (0.5, 0.5)}, preset_statistics={"neutral": targets}, default_style=(0.5, 0.5))
    seeds["model_config"] = (".json", config.to_json().encode())
    return seeds


# ---- mutation ------------------------------------------------------------------------------------


def _mutate_bytes(data: bytes, rng: np.random.Generator) -> bytes:
    buffer = bytearray(data)
    for _ in range(int(rng.integers(1, 4))):
        op = int(rng.integers(8))
        at = int(rng.integers(len(buffer) + 1))
        if op == 0 and buffer:  # flip a bit
            i = min(at, len(buffer) - 1)
            buffer[i] ^= 1 << int(rng.integers(8))
        elif op == 1:  # insert an interesting token
            buffer[at:at] = INTERESTING[int(rng.integers(len(INTERESTING)))]
        elif op == 2:  # delete a range
            del buffer[at : at + int(rng.integers(1, 64))]
        elif op == 3 and buffer:  # duplicate a range
            end = min(len(buffer), at + int(rng.integers(1, 256)))
            buffer[at:at] = buffer[at:end] * int(rng.integers(1, 8))
        elif op == 4:  # truncate
            del buffer[at:]
        elif op == 5 and buffer:  # random bytes
            buffer[at : at + 4] = rng.integers(0, 256, int(rng.integers(1, 8)), dtype=np.uint8).tobytes()
        else:  # replace a number token
            numbers = list(_NUMBER.finditer(bytes(buffer)))
            if numbers:
                match = numbers[int(rng.integers(len(numbers)))]
                buffer[match.start() : match.end()] = INTERESTING[int(rng.integers(len(INTERESTING)))]
    return bytes(buffer)


def _mutate_npz(data: bytes, rng: np.random.Generator) -> bytes:
    """Mutate inside the archive: a member's .npy header or data, or which members there are."""
    if rng.random() < 0.15:
        return _mutate_bytes(data, rng)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    names = sorted(members)
    name = names[int(rng.integers(len(names)))]
    choice = rng.random()
    if choice < 0.1:
        del members[name]
    elif choice < 0.2:
        members[name.replace(".npy", "") + ".txt" if rng.random() < 0.5 else "blink.npy"] = members[name]
    else:
        members[name] = _mutate_bytes(members[name][:128], rng) + members[name][128:] if rng.random() < 0.7 else _mutate_bytes(members[name], rng)
    out = io.BytesIO()
    compression = zipfile.ZIP_DEFLATED if rng.random() < 0.5 else zipfile.ZIP_STORED
    with zipfile.ZipFile(out, "w", compression) as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return out.getvalue()


def mutate(parser: str, data: bytes, rng: np.random.Generator) -> bytes:
    return _mutate_npz(data, rng) if parser in ("project_npz", "flame_npz") else _mutate_bytes(data, rng)


# ---- the worker ----------------------------------------------------------------------------------


def _parse(parser: str, path: Path) -> object:
    from model_runtime.learned.metadata import ModelConfig
    from model_runtime.performer.presets import read_preset
    from model_runtime.performer.style import PerformerStyle
    from model_runtime.takes import load_take

    if parser == "style":
        return PerformerStyle.load(path)
    if parser == "preset":
        return read_preset(path).style
    if parser == "model_config":  # stored as an ONNX metadata string: text, whatever the bytes
        return ModelConfig.from_json(path.read_bytes().decode("utf-8", errors="replace"), path)
    return load_take(path)


def _sensible(value: object) -> bool:
    """What a parser returns must be usable: a take within the limits, a style of finite numbers."""
    from model_runtime.clip import MotionClip
    from model_runtime.limits import EYE_RANGE_DEG, HEAD_RANGE_DEG, MAX_TAKE_FRAMES
    from model_runtime.performer.style import PerformerStyle

    if isinstance(value, MotionClip):
        d = value.data
        return bool(
            0 < value.n_frames <= MAX_TAKE_FRAMES
            and np.all(np.abs(d[:, :3]) <= HEAD_RANGE_DEG)
            and np.all(np.abs(d[:, 3:7]) <= EYE_RANGE_DEG)
            and np.all((d[:, 7:] >= 0) & (d[:, 7:] <= 1))
        )
    if isinstance(value, PerformerStyle):
        return all(math.isfinite(v) for v in value.to_dict().values())
    return True


def run_case(parser: str, path: Path) -> tuple[str, str]:
    """(outcome, detail) of one file, in this process."""
    from model_runtime.errors import GazeError

    tracemalloc.start()
    try:
        value = _parse(parser, path)
        outcome = ("accepted", "") if _sensible(value) else ("nonsense", f"{type(value).__name__} with values out of range")
    except GazeError as exc:
        outcome = ("refused", "") if str(exc).startswith(str(path)) and "\n" not in str(exc) else ("unnamed", str(exc)[:200])
    except MemoryError:
        outcome = ("memory", "MemoryError")
    except Exception as exc:
        outcome = ("traceback", f"{type(exc).__name__}: {str(exc)[:200]}")
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    if peak > MEMORY_CAP and outcome[0] in ("refused", "accepted"):
        outcome = ("memory", f"traced peak {peak / 2**20:.0f} MiB")
    return outcome


def _worker(connection: Connection, folder: str) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_LIMIT, ADDRESS_LIMIT))
    import warnings

    warnings.simplefilter("ignore")
    while True:
        message = connection.recv()
        if message is None:
            return
        parser, suffix, content = message
        path = Path(folder) / f"case{suffix}"
        path.write_bytes(content)
        connection.send(run_case(parser, path))


class Worker:
    """One worker process; restarted after a hang or a crash."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._start()

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_worker, args=(child, str(self.folder)), daemon=True)
        self.process.start()

    def run(self, parser: str, suffix: str, content: bytes, timeout: float) -> tuple[str, str]:
        self.connection.send((parser, suffix, content))
        try:
            if self.connection.poll(timeout):
                result: tuple[str, str] = self.connection.recv()
                return result
            outcome = ("hang", f"over {timeout:g} s")
        except EOFError:
            outcome = ("memory", f"worker died (exit {self.process.exitcode})")
        self.process.kill()
        self.process.join()
        self._start()
        return outcome

    def close(self) -> None:
        self.connection.send(None)
        self.process.join(timeout=10)


@dataclass
class Report:
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def failures(self) -> int:
        return sum(counter[f] for counter in self.counts.values() for f in FAILURES)

    def table(self) -> str:
        lines = [f"{'parser':14s} {'cases':>7s} {'refused':>8s} {'accepted':>9s} {'failures':>9s}"]
        for parser, counter in self.counts.items():
            failed = sum(counter[f] for f in FAILURES)
            detail = ", ".join(f"{f} {counter[f]}" for f in FAILURES if counter[f])
            lines.append(f"{parser:14s} {sum(counter.values()):7d} {counter['refused']:8d} {counter['accepted']:9d} {failed:9d}  {detail}")
        for parser, examples in self.examples.items():
            lines += [f"  {parser}: {example}" for example in examples]
        return "\n".join(lines)


def fuzz(
    cases_per_parser: int,
    seed: int = 0,
    parsers: tuple[str, ...] | None = None,
    keep: Path | None = None,
    progress: Callable[[str, int], Any] | None = None,
) -> Report:
    """Run ``cases_per_parser`` mutated files through each parser; failing cases are written to ``keep``."""
    report = Report()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    with tempfile.TemporaryDirectory() as scratch:
        seeds = _seed_files(Path(scratch))
        worker = Worker(Path(scratch))
        try:
            for parser, (suffix, content) in seeds.items():
                if parsers is not None and parser not in parsers:
                    continue
                rng = np.random.default_rng([seed, sorted(seeds).index(parser)])
                counter = report.counts.setdefault(parser, Counter())
                for i in range(cases_per_parser):
                    case = mutate(parser, content, rng)
                    outcome, detail = worker.run(parser, suffix, case, CASE_TIMEOUT_S)
                    counter[outcome] += 1
                    if outcome in FAILURES:
                        if len(report.examples.setdefault(parser, [])) < 5:
                            report.examples[parser].append(f"case {i}: {outcome}: {detail}")
                        if keep is not None:
                            keep.mkdir(parents=True, exist_ok=True)
                            (keep / f"{parser}-{i}{suffix}").write_bytes(case)
                    if progress is not None:
                        progress(parser, i + 1)
        finally:
            worker.close()
    return report
