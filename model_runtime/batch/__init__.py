"""Batches at scale: a manifest CSV of speech lines in, a take and a Live Link Face CSV per line out.

- :mod:`~model_runtime.batch.manifest`: the manifest read into typed lines (bad rows kept as failures)
- :mod:`~model_runtime.batch.job`: one line, skipped when its content key is unchanged (resumable)
- :mod:`~model_runtime.batch.runner`: worker processes, progress with ETA, report CSV
- :mod:`~model_runtime.batch.cluster`: the same lines as Ray tasks (optional extra ``cluster``)

The command is ``python -m model_runtime batch MANIFEST.csv --out DIR``.
"""

from model_runtime.batch.job import JobSettings, LineResult, run_line
from model_runtime.batch.manifest import BadLine, BatchLine, Defaults, read_manifest
from model_runtime.batch.runner import BatchSummary, run_batch

__all__ = ["BadLine", "BatchLine", "BatchSummary", "Defaults", "JobSettings", "LineResult", "read_manifest", "run_batch", "run_line"]
