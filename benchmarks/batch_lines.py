"""Lines per minute of ``batch`` for 200 lines of 3-8 s of speech on 2 cores: the local process
pool, and Ray (a local 2-CPU cluster) when it is installed; runtime outputs only (take .npz and
Live Link CSV per line), or with ``--rig`` also each take keyed onto the demo character's rig and
exported as FBX through Blender (the bpy module when it imports, else ``blender`` on PATH).

Run: .venv/bin/python benchmarks/batch_lines.py [--lines 200] [--jobs 2] [--no-ray] [--rig] [--blender PATH]

The lines are cut from the real speech in ../shared/data/speech (3-8 s each, lengths drawn with a
fixed seed), written as 16 kHz wav files in a temporary folder, with seeds, styles and 25/30/60 fps
varied per line. Each runner writes into a fresh folder, so every line is generated (none skipped);
the two runs' outputs are compared byte for byte. Printed: lines per minute of each, Ray's
slowdown against the pool, the mean core-seconds per line, and from these the estimated time for
10,000 lines on N machines. Targets: at least 600 lines a minute on 2 cores (60 with FBX export);
Ray at most 20% slower.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]
os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])  # for Ray's workers

import subprocess  # noqa: E402
import sysconfig  # noqa: E402

import numpy as np  # noqa: E402
import soundfile  # noqa: E402

from model_runtime.audio import load_audio  # noqa: E402
from model_runtime.audio.types import SAMPLE_RATE  # noqa: E402
from model_runtime.batch import JobSettings, read_manifest, run_batch  # noqa: E402
from model_runtime.batch.runner import BatchSummary  # noqa: E402

SHARED = Path(os.environ.get("GAZE_SHARED", ROOT.parent / "shared"))
STYLES = ["neutral", "thoughtful", "calm_presenter", "animated_storyteller", "shy_averted", "intense_direct", "energetic_listener"]


def make_rig(folder: Path, blender: str) -> Path:
    """The demo character saved as a .blend, by the Blender that will export it."""
    path = folder / "demo_head.blend"
    script = ROOT / "assets" / "demo_head" / "build_head.py"
    if blender in ("auto", "bpy"):
        try:
            import bpy  # noqa: F401

            command = [sys.executable, str(script), "--", str(path)]
        except ImportError:
            command = ["blender", "-b", "--factory-startup", "--python-exit-code", "1", "--python", str(script), "--", str(path)]
    else:
        command = [blender, "-b", "--factory-startup", "--python-exit-code", "1", "--python", str(script), "--", str(path)]
    env = dict(os.environ, GAZE_PYTHONPATH=sysconfig.get_paths()["purelib"])
    subprocess.run(command, check=True, capture_output=True, env=env)
    return path


def make_lines(folder: Path, count: int, rig: Path | None = None) -> Path:
    """``count`` wav files of 3-8 s cut from the shared speech, and a manifest naming them (and ``rig``)."""
    rng = np.random.default_rng(28)
    sources = sorted((SHARED / "data" / "speech").glob("*.flac"))
    if not sources:
        raise SystemExit(f"no speech clips in {SHARED / 'data' / 'speech'}; set GAZE_SHARED")
    signals = [s for s in (load_audio(path).samples for path in sources) if len(s) >= 3 * SAMPLE_RATE]
    rows = ["audio,style,seed,fps,output" + (",rig" if rig else "")]
    for index in range(count):
        samples = signals[index % len(signals)]
        length = min(len(samples), int(rng.uniform(3.0, 8.0) * SAMPLE_RATE))
        start = int(rng.integers(0, len(samples) - length + 1))
        path = folder / f"speech{index:04d}.wav"
        soundfile.write(path, samples[start : start + length], SAMPLE_RATE)
        rows.append(f"{path.name},{STYLES[index % len(STYLES)]},{index},{[30, 25, 60][index % 3]},line{index:04d}" + (f",{rig.name}" if rig else ""))
    manifest = folder / "manifest.csv"
    manifest.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return manifest


def timed(manifest: Path, out: Path, *, jobs: int, blender: str, ray_address: str | None = None) -> BatchSummary:
    out.mkdir()
    summary = run_batch(read_manifest(manifest), JobSettings(out, blender=blender), report_path=out / "report.csv", jobs=jobs, ray_address=ray_address, progress=None)
    failed = [r for r in summary.results if r.status != "ok"]
    if failed:
        raise SystemExit(f"{len(failed)} lines not done, e.g. {failed[0]}")
    return summary


def outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix in (".npz", ".csv", ".fbx") and p.name != "report.csv"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2, help="cores: pool workers and Ray CPUs (default 2)")
    parser.add_argument("--no-ray", action="store_true", help="the local pool only")
    parser.add_argument("--rig", action="store_true", help="also export each line as FBX through Blender, keyed onto the demo character")
    parser.add_argument("--blender", default="auto", help="Blender for --rig: auto, bpy or an executable (as batch --blender)")
    args = parser.parse_args()
    target = 60 if args.rig else 600
    with tempfile.TemporaryDirectory(prefix="batch-bench-") as temporary:
        folder = Path(temporary)
        rig = make_rig(folder, args.blender) if args.rig else None
        manifest = make_lines(folder, args.lines, rig)
        seconds = sum(soundfile.info(str(p)).duration for p in folder.glob("*.wav"))
        what = "take, Live Link CSV and FBX through Blender" if rig else "take and Live Link CSV"
        print(f"{args.lines} lines, {seconds / args.lines:.1f} s of speech each on average ({seconds / 60:.1f} min in all), {args.jobs} cores; {what} per line")

        local = timed(manifest, folder / "local", jobs=args.jobs, blender=args.blender)
        per_line = statistics.fmean(r.seconds for r in local.results)
        local_rate = args.lines / local.seconds * 60
        print(f"local pool ({args.jobs} processes): {local.seconds:.2f} s, {local_rate:.0f} lines/min (target >= {target}); {per_line * 1000:.0f} ms per line in a worker")
        if rig:
            print(f"blender: {local.results[0].message.split('; ', 1)[-1]}")

        written = sum(len(b) for b in outputs(folder / "local").values()) / args.lines
        read = sum(p.stat().st_size for p in folder.glob("*.wav")) / args.lines
        print(f"files per line: {read / 1000:.0f} kB of audio read, {written / 1000:.0f} kB of outputs written")

        ray_rate = None
        try:
            import ray
        except ImportError:
            ray = None
            print("ray: not installed (pip install 'gaze-motion-runtime[cluster]'); skipped")
        if ray is not None and not args.no_ray:
            start = time.monotonic()
            # The local cluster's processes inherit this environment (PYTHONPATH, one numeric thread).
            ray.init(num_cpus=args.jobs, include_dashboard=False, logging_level="WARNING", log_to_driver=False)
            print(f"ray: local cluster of {args.jobs} CPUs started in {time.monotonic() - start:.1f} s (once per cluster, not counted below)")
            try:
                remote = timed(manifest, folder / "ray", jobs=args.jobs, blender=args.blender, ray_address="auto")
            finally:
                ray.shutdown()
            ray_rate = args.lines / remote.seconds * 60
            same = outputs(folder / "local") == outputs(folder / "ray")
            print(
                f"ray ({args.jobs} CPUs, tasks of a few lines): {remote.seconds:.2f} s, {ray_rate:.0f} lines/min, "
                f"{100 * (remote.seconds / local.seconds - 1):+.0f}% time against the pool (target <= +20%); outputs bit-identical: {same}"
            )

        # 10,000 lines on N machines of C cores: the lines spread evenly, each costing what it cost here.
        core_seconds = local.seconds * args.jobs / args.lines  # per line, pool start and writes included
        print(f"per line: {core_seconds * 1000:.0f} core-ms measured end to end ({per_line * 1000:.0f} ms inside the worker)")
        for machines, cores in ((1, 2), (1, 16), (4, 16), (16, 16)):
            estimate = 10_000 * core_seconds / (machines * cores)
            print(f"estimate, 10,000 lines of 3-8 s on {machines:2d} machine(s) x {cores:2d} cores: {estimate:6.0f} s ({estimate / 60:.1f} min) + cluster start")


if __name__ == "__main__":
    main()
