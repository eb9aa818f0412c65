"""``batch --ray ADDRESS`` on a Ray head the test starts on 127.0.0.1 with two worker CPUs: the same
bytes as the local pool. Skipped where Ray (the ``cluster`` extra) is not installed."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from model_runtime.batch import JobSettings, read_manifest, run_batch
from tests.conftest import ROOT
from tests.test_batch import _good_rows, _manifest, _outputs, _partials, _report, voices  # noqa: F401  (voices: the fixture)
from tests.test_batch_rig import BLENDER, RIG_HEADER, _exports, rig_blend, rig_rows  # noqa: F401  (rig_blend: the fixture)

pytest.importorskip("ray")

TOKEN = secrets.token_hex(32)  # this test's cluster's own token, not the one in ~/.ray
# Ray turns 127.0.0.1 into the machine's outward address unless clusters are "off" (a single-machine
# knob of Ray's, meant for macOS and Windows): with it every node, driver and worker stays on 127.0.0.1.
LOOPBACK_ONLY = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": TOKEN}


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.fixture(scope="module")
def ray_head() -> Iterator[str]:
    """A Ray head on 127.0.0.1 with 2 CPUs, in its own session and temp folder; stopped (its process group killed) at the end."""
    ray_bin = Path(sys.executable).with_name("ray")
    if not ray_bin.is_file():
        pytest.skip(f"no ray command beside {sys.executable}")
    port, client, agent, metrics = _free_ports(4)
    temp = tempfile.mkdtemp(prefix="ray28-", dir="/tmp")  # short: Ray's socket paths must fit 107 bytes
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", **LOOPBACK_ONLY)
    env.pop("RAY_ADDRESS", None)
    command = [
        str(ray_bin), "start", "--head", "--block", "--node-ip-address", "127.0.0.1", "--port", str(port), "--num-cpus", "2",
        "--include-dashboard", "false", "--ray-client-server-port", str(client), "--dashboard-agent-listen-port", str(agent),
        "--metrics-export-port", str(metrics), "--temp-dir", temp, "--disable-usage-stats",
    ]
    head = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if head.poll() is not None:
                pytest.fail(f"ray start exited: {head.stderr.read()[-2000:] if head.stderr else ''}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        else:
            pytest.fail("the Ray head did not listen within 60 s")
        yield address
    finally:
        # The head's processes (GCS, raylet, workers) share its session: killed together, ours only.
        os.killpg(head.pid, signal.SIGKILL)
        head.wait()
        for line in subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True, check=False).stdout.splitlines():
            pid, _, args = line.strip().partition(" ")
            if temp in args:  # a process of this cluster that left the session
                os.kill(int(pid), signal.SIGKILL)
        shutil.rmtree(temp, ignore_errors=True)


def _local_and_ray(manifest: Path, ray_head: str) -> tuple[Path, Path, subprocess.CompletedProcess[str]]:
    """The manifest run on the local pool (2 workers) and by the batch command on the Ray head: both folders and the command's result."""
    local = manifest.parent / "local"
    local.mkdir()
    run_batch(read_manifest(manifest), JobSettings(local), report_path=local / "report.csv", jobs=2, progress=None)
    out = manifest.parent / "ray"
    env = dict(os.environ, PYTHONPATH=str(ROOT), **LOOPBACK_ONLY)
    env.pop("RAY_ADDRESS", None)
    command = [sys.executable, "-m", "model_runtime", "batch", str(manifest), "--out", str(out), "--ray", ray_head]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return local, out, result


def test_ray_outputs_are_bit_identical_to_the_local_pool(tmp_path: Path, voices: list[Path], ray_head: str):  # noqa: F811
    local, out, result = _local_and_ray(_manifest(tmp_path / "m.csv", _good_rows(voices, 24)), ray_head)
    assert "24 done" in result.stdout
    assert {row["status"] for row in _report(out / "report.csv").values()} == {"ok"}
    reference = _outputs(local)
    assert len(reference) == 48 and _outputs(out) == reference
    assert _partials(out) == []


@pytest.mark.skipif(BLENDER is None, reason="no blender on PATH")
def test_rig_exports_run_in_ray_workers_and_match_the_local_pool(tmp_path: Path, voices: list[Path], rig_blend: Path, ray_head: str):  # noqa: F811
    local, out, _ = _local_and_ray(_manifest(tmp_path / "m.csv", rig_rows(voices, rig_blend, 4), RIG_HEADER), ray_head)
    assert all("FBX of 'DemoRig'" in row["message"] for row in _report(out / "report.csv").values())
    reference = _exports(local)
    assert len(reference) == 12 and _exports(out) == reference


def test_an_address_nothing_answers_on_is_one_line_at_once(tmp_path: Path, voices: list[Path]):  # noqa: F811
    manifest = _manifest(tmp_path / "m.csv", _good_rows(voices, 1))
    (port,) = _free_ports(1)
    result = subprocess.run(
        [sys.executable, "-m", "model_runtime", "batch", str(manifest), "--out", str(tmp_path / "out"), "--ray", f"127.0.0.1:{port}"],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, check=False, timeout=60,
    )
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and f"127.0.0.1:{port}" in result.stderr
