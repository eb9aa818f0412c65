"""Lines as Ray tasks: ``batch --ray auto|ADDRESS``. Ray is an optional extra (``pip install
gaze-motion-runtime[cluster]``), imported only here and only when asked for.

One task per line, each calling the same :func:`~model_runtime.batch.job.run_line` as the local
pool; Ray schedules them (one CPU each) and :func:`ray.wait` gathers the results as they finish, for
the progress line. The workers read the audio and write the outputs by path, so every machine
of the cluster must see the manifest's files and the output folder at the same paths (a shared
file system).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from model_runtime.batch.job import JobSettings, LineResult, run_line, single_thread_environment
from model_runtime.batch.manifest import BatchLine
from model_runtime.errors import GazeError

_IN_FLIGHT_PER_CPU = 4  # tasks submitted ahead per cluster CPU: the cluster stays busy, the driver's object store stays small


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise GazeError("--ray needs Ray, which is not installed: pip install 'gaze-motion-runtime[cluster]' (or 'ray[default]>=2.9')") from None
    return ray


def run_on_ray(lines: Sequence[BatchLine], settings: JobSettings, address: str, report: Callable[[LineResult], None]) -> None:
    """Run every line as a Ray task on the cluster at ``address`` and report each result as it comes."""
    ray = _import_ray()
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
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise GazeError(f"--ray {address}: cannot join the Ray cluster ({str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__})") from None
    try:
        task = ray.remote(num_cpus=1, max_retries=2)(run_line)
        settings_ref = ray.put(settings)
        ahead = max(1, int(ray.cluster_resources().get("CPU", 1))) * _IN_FLIGHT_PER_CPU
        queue = iter(lines)
        pending: dict[Any, BatchLine] = {}
        for line in queue:
            pending[task.remote(line, settings_ref)] = line
            if len(pending) >= ahead:
                break
        while pending:
            finished, _ = ray.wait(list(pending), num_returns=1)
            for ref in finished:
                line = pending.pop(ref)
                try:
                    report(ray.get(ref))
                except ray.exceptions.RayError as exc:
                    report(LineResult(line.number, line.output, "failed", f"the Ray task failed ({type(exc).__name__}); rerun the batch to retry", 0.0))
                next_line = next(queue, None)
                if next_line is not None:
                    pending[task.remote(next_line, settings_ref)] = next_line
    finally:
        if started_here:
            ray.shutdown()
