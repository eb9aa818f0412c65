"""Lines as Ray tasks: ``batch --ray auto|ADDRESS``. Ray is an optional extra (``pip install
gaze-motion-runtime[cluster]``), imported only here and only when asked for.

One task per chunk of lines (a few lines each, see :func:`chunk_size`), each calling the same
:func:`~model_runtime.batch.job.run_line` as the local pool, line by line; Ray schedules them (one
CPU each) and :func:`ray.wait` gathers the results as they finish, for the progress line. The workers read the audio and write the outputs by path, so every machine
of the cluster must see the manifest's files and the output folder at the same paths (a shared
file system).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from typing import Any

from model_runtime.batch.job import JobSettings, LineResult, run_lines, single_thread_environment
from model_runtime.batch.manifest import BatchLine
from model_runtime.errors import GazeError

_TASKS_PER_CPU = 8
_MAX_CHUNK = 16
_IN_FLIGHT_PER_CPU = 2  # tasks submitted ahead per cluster CPU: the cluster stays busy, the driver's object store stays small


def chunk_size(lines: int, cpus: int) -> int:
    """Lines per task: about 8 tasks per CPU, at most 16 lines each (a task of a few lines costs Ray
    a few milliseconds to schedule, as much as a short line takes to generate)."""
    return max(1, min(_MAX_CHUNK, lines // (cpus * _TASKS_PER_CPU)))


def _check_reachable(address: str) -> None:
    """GazeError at once when ``address`` is a HOST:PORT nothing answers on (Ray itself retries for minutes)."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or "://" in address:
        return  # "auto", "local", ray://...: left to Ray
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=10):
            pass
    except OSError as exc:
        raise GazeError(f"--ray {address}: no Ray head answers there ({exc.strerror or exc}); start one with ray start --head, or check the address") from None


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise GazeError("--ray needs Ray, which is not installed: pip install 'gaze-motion-runtime[cluster]' (or 'ray[default]>=2.9')") from None
    return ray


def run_on_ray(lines: Sequence[BatchLine], settings: JobSettings, address: str, report: Callable[[LineResult], None]) -> None:
    """Run every line as a Ray task on the cluster at ``address`` and report each result as it comes."""
    ray = _import_ray()
    _check_reachable(address)
    started_here = not ray.is_initialized()
    if started_here:
        try:
            ray.init(
                address=None if address == "local" else address,
                runtime_env={"env_vars": single_thread_environment()},
                include_dashboard=False,
                logging_level="WARNING",
                log_to_driver=False,
            )
        except Exception as exc:  # ConnectionError, an authentication or version mismatch, a bad address ...
            raise GazeError(f"--ray {address}: cannot join the Ray cluster ({str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__})") from None
    try:
        task = ray.remote(num_cpus=1, max_retries=2)(run_lines)
        settings_ref = ray.put(settings)
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        size = chunk_size(len(lines), cpus)
        chunks = iter([lines[at : at + size] for at in range(0, len(lines), size)])
        pending: dict[Any, Sequence[BatchLine]] = {}
        for chunk in chunks:
            pending[task.remote(chunk, settings_ref)] = chunk
            if len(pending) >= cpus * _IN_FLIGHT_PER_CPU:
                break
        while pending:
            finished, _ = ray.wait(list(pending), num_returns=1)
            for ref in finished:
                chunk = pending.pop(ref)
                try:
                    results: list[LineResult] = ray.get(ref)
                except ray.exceptions.RayError as exc:
                    message = f"the Ray task failed ({type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}); rerun the batch to retry"
                    results = [LineResult(line.number, line.output, "failed", message, 0.0) for line in chunk]
                for result in results:
                    report(result)
                next_chunk = next(chunks, None)
                if next_chunk is not None:
                    pending[task.remote(next_chunk, settings_ref)] = next_chunk
    finally:
        if started_here:
            ray.shutdown()
