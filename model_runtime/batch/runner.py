"""Running a manifest: lines fanned out to worker processes (or Ray tasks), progress with an ETA on
stderr, a report CSV of every line, the exit status.

The scheduling is the executor's own (``concurrent.futures.ProcessPoolExecutor`` on one machine,
Ray on a cluster): each line is one task calling :func:`~model_runtime.batch.job.run_line`, so a
line's outputs are the same whichever worker runs it and in whatever order.
"""

from __future__ import annotations

import csv
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import IO

from model_runtime.batch.job import RECORD_SUFFIX, JobSettings, LineResult, default_jobs, run_line, single_thread_environment
from model_runtime.batch.manifest import BadLine, BatchLine
from model_runtime.outputs import OutputError, atomic_output

REPORT_COLUMNS = ("line", "output", "status", "message", "seconds")


class Progress:
    """``[ 120/200]  60%  14.2 lines/s  ETA 0:00:05  (2 failed)`` on a stream: redrawn in place on a
    terminal, otherwise one line at most every ``every`` seconds and at the end."""

    def __init__(self, total: int, stream: IO[str] | None = None, every: float = 2.0) -> None:
        self.total = total
        self.stream = stream
        self.every = every
        self.done = self.failed = self.skipped = 0
        self.start = self.shown = time.monotonic()
        self.tty = stream is not None and stream.isatty()

    def add(self, result: LineResult) -> None:
        self.done += 1
        self.failed += result.status == "failed"
        self.skipped += result.status == "skipped"
        now = time.monotonic()
        if self.stream is not None and (self.tty or now - self.shown >= self.every or self.done == self.total):
            self.shown = now
            end = "\n" if not self.tty or self.done == self.total else ""
            self.stream.write(("\r" if self.tty else "") + self.line(now) + end)
            self.stream.flush()

    def line(self, now: float) -> str:
        elapsed = now - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = self.total - self.done
        eta = left / rate if rate > 0 else 0.0
        width = len(str(self.total))
        notes = ", ".join(f"{n} {what}" for n, what in ((self.skipped, "skipped"), (self.failed, "failed")) if n)
        return (
            f"[{self.done:{width}d}/{self.total}] {100 * self.done / max(self.total, 1):3.0f}%  {rate * 60:6.0f} lines/min  "
            f"ETA {_clock(eta)}  elapsed {_clock(elapsed)}" + (f"  ({notes})" if notes else "")
        )


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` set in os.environ for the block (inherited by the processes started in it)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def remove_partials(out_dir: Path, names: Sequence[str]) -> int:
    """Remove the temporary files a killed run left for these outputs (``.NAME.part-*``); their count."""
    wanted = {name.casefold() for name in names}
    removed = 0
    for entry in os.scandir(out_dir):
        if not entry.name.startswith(".") or ".part-" not in entry.name or not entry.is_file(follow_symlinks=False):
            continue
        stem = entry.name[1 : entry.name.rindex(".part-")]
        if stem.casefold() in wanted or stem.removesuffix(RECORD_SUFFIX.removesuffix(".json")).casefold() in wanted:
            os.unlink(entry.path)
            removed += 1
    return removed


def _leave_with_parent(parent: int) -> None:
    """In a worker: exit when the batch process is gone (killed), instead of lingering as an orphan."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="leave-with-parent").start()


def _local(lines: Sequence[BatchLine], settings: JobSettings, jobs: int, report: Callable[[LineResult], None]) -> None:
    """Every line on a pool of ``jobs`` worker processes (started fresh, one numeric thread each)."""
    if jobs == 1:
        for line in lines:
            report(run_line(line, settings))
        return
    with _environment(single_thread_environment()), ProcessPoolExecutor(
        max_workers=jobs, mp_context=get_context("spawn"), initializer=_leave_with_parent, initargs=(os.getpid(),)
    ) as pool:
        pending: dict[Future[LineResult], BatchLine] = {}
        queue = iter(lines)
        try:
            # Lines are handed out a few per worker ahead, so a 10,000-line batch holds few futures.
            for line in queue:
                pending[pool.submit(run_line, line, settings)] = line
                if len(pending) >= 4 * jobs:
                    break
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    line = pending.pop(future)
                    try:
                        report(future.result())
                    except BrokenProcessPool:
                        report(LineResult(line.number, line.output, "failed", "the worker process died (out of memory, or killed); rerun the batch to retry", 0.0))
                    next_line = next(queue, None)
                    if next_line is not None:
                        try:
                            pending[pool.submit(run_line, next_line, settings)] = next_line
                        except BrokenProcessPool:
                            report(LineResult(next_line.number, next_line.output, "failed", "the worker pool broke; rerun the batch to retry", 0.0))
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _ray(lines: Sequence[BatchLine], settings: JobSettings, address: str, report: Callable[[LineResult], None]) -> None:
    """Every line as one Ray task on the cluster at ``address`` ("auto": the one this machine belongs to, or a new local one)."""
    from model_runtime.batch.cluster import run_on_ray

    run_on_ray(lines, settings, address, report)


@dataclass(frozen=True)
class BatchSummary:
    results: tuple[LineResult, ...]
    report: Path
    seconds: float

    def count(self, status: str) -> int:
        return sum(result.status == status for result in self.results)


def run_batch(
    rows: Sequence[BatchLine | BadLine],
    settings: JobSettings,
    *,
    report_path: Path,
    jobs: int | None = None,
    ray_address: str | None = None,
    progress: IO[str] | None = sys.stderr,
) -> BatchSummary:
    """Run every good row, report every row (bad ones as failed), write the report CSV; the summary."""
    start = time.monotonic()
    results: list[LineResult] = [LineResult(row.number, row.output, "failed", row.message, 0.0) for row in rows if isinstance(row, BadLine)]
    lines = [row for row in rows if isinstance(row, BatchLine)]
    taken = {report_path.resolve()}
    runnable: list[BatchLine] = []
    for line in lines:
        if (settings.out_dir / (line.output + ".csv")).resolve() in taken:
            results.append(LineResult(line.number, line.output, "failed", f"output name {line.output!r} would overwrite the report {report_path}; rename it", 0.0))
        else:
            runnable.append(line)
    remove_partials(settings.out_dir, [line.output for line in runnable] + [report_path.stem] * (report_path.parent.resolve() == settings.out_dir.resolve()))
    meter = Progress(len(rows), progress)
    for result in results:
        meter.add(result)

    def record(result: LineResult) -> None:
        results.append(result)
        meter.add(result)

    if ray_address is not None:
        _ray(runnable, settings, ray_address, record)
    else:
        _local(runnable, settings, jobs or default_jobs(), record)
    results.sort(key=lambda result: result.number)
    write_report(report_path, results)
    return BatchSummary(tuple(results), report_path, time.monotonic() - start)


def write_report(path: Path, results: Sequence[LineResult]) -> None:
    """The report CSV (line, output, status, message, seconds), written whole or not at all."""
    try:
        with atomic_output(path) as temporary, temporary.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(REPORT_COLUMNS)
            for result in results:
                writer.writerow([result.number, result.output, result.status, result.message, f"{result.seconds:.3f}"])
    except OSError as exc:
        raise OutputError(path, f"cannot be written ({exc.strerror or exc})") from None
