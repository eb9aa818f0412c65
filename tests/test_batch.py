"""``batch``: bad lines reported while good ones finish, bit-identical outputs whatever the workers
or the order, reruns skip unchanged lines, and a run killed with SIGKILL resumes to the same result."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile

from model_runtime.batch import BadLine, BatchLine, Defaults, JobSettings, read_manifest, run_batch
from model_runtime.takes import load_take
from tests.conftest import ROOT

SENTENCES = [
    "Hello there, how are you today?",
    "I think we should leave before it rains.",
    "Well, that is not what I expected at all.",
    "Could you pass me the salt, please?",
    "The meeting starts at nine tomorrow.",
    "No, I never said that.",
]


def _speech(path: Path, index: int) -> None:
    """A short spoken sentence (espeak-ng), or a voiced, syllable-modulated tone where it is missing."""
    if shutil.which("espeak-ng"):
        subprocess.run(["espeak-ng", "-s", "190", "-w", str(path), SENTENCES[index % len(SENTENCES)] + f" Take {index}."], check=True, capture_output=True)
        return
    rate = 16000
    t = np.arange(int(rate * (1.2 + 0.1 * (index % 10)))) / rate
    pitch = 120 + 20 * np.sin(2 * np.pi * 0.7 * t + index)
    voice = np.sin(2 * np.pi * np.cumsum(pitch) / rate) * np.clip(np.sin(2 * np.pi * 4 * t), 0, 1)
    soundfile.write(path, (0.3 * voice).astype(np.float32), rate)


@pytest.fixture(scope="module")
def voices(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("voices")
    paths = []
    for index in range(12):
        path = folder / f"voice{index}.wav"
        _speech(path, index)
        paths.append(path)
    return paths


def _manifest(path: Path, rows: list[list[object]], header: str = "audio,style,seed,fps,output") -> Path:
    path.write_text(header + "\n" + "".join(",".join(map(str, row)) + "\n" for row in rows), encoding="utf-8")
    return path


def _good_rows(voices: list[Path], count: int) -> list[list[object]]:
    styles = ["neutral", "thoughtful", "", "animated_storyteller"]
    return [[voices[i % len(voices)], styles[i % len(styles)], i * 7 % 5, [30, 25, 60][i % 3], f"line{i:03d}"] for i in range(count)]


def _cli(*args: object, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "model_runtime", "batch", *map(str, args)], capture_output=True, text=True, cwd=ROOT, env=env, check=False, **kwargs)  # type: ignore[call-overload]


def _report(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["line"]: row for row in csv.DictReader(handle)}


def _outputs(folder: Path) -> dict[str, bytes]:
    """Every take and Live Link CSV of a batch folder, by name (records and report left out)."""
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.suffix in (".npz", ".csv") and path.name != "report.csv"}


def _partials(folder: Path) -> list[str]:
    return [path.name for path in folder.iterdir() if ".part-" in path.name]


def test_bad_lines_are_reported_and_the_good_ones_finish(tmp_path: Path, voices: list[Path]):
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + os.urandom(3000))
    rows = [
        [voices[0], "thoughtful", 1, 30, "good1"],
        [tmp_path / "missing.wav", "", 2, "", "missing"],
        [corrupt, "", 3, "", "corrupt"],
        [voices[1], "no_such_style", 4, "", "unknown_style"],
        [voices[2], "", 5, "", "good1"],  # duplicate output name
        [voices[3], "", "seven", "", "bad_seed"],
        [voices[4], "", 6, 9000, "bad_fps"],
        [voices[5], "", 7, 25, "../escape"],
        [voices[6], "", 8, 25, ""],  # output name from the audio file
    ]
    manifest = _manifest(tmp_path / "manifest.csv", rows)
    out = tmp_path / "out"
    result = _cli(manifest, "--out", out, "--jobs", "2")
    assert result.returncode == 1, result.stderr
    report = _report(out / "report.csv")
    status = {line: row["status"] for line, row in report.items()}
    assert status == {"2": "ok", "3": "failed", "4": "failed", "5": "failed", "6": "failed", "7": "failed", "8": "failed", "9": "failed", "10": "ok"}
    messages = {line: row["message"] for line, row in report.items()}
    assert "missing.wav" in messages["3"] and "not found" in messages["3"]
    assert "corrupt.wav" in messages["4"]
    assert "no_such_style" in messages["5"] and "preset" in messages["5"]
    assert "already used by line 2" in messages["6"]
    assert "seed" in messages["7"] and "fps" in messages["8"] and "file name" in messages["9"]
    assert all("\n" not in message for message in messages.values())
    for name in ("good1", voices[6].stem):
        take = load_take(out / f"{name}.npz")
        assert take.n_frames > 20
        assert load_take(out / f"{name}.csv").n_frames == take.n_frames  # the Live Link CSV reads back
        assert (out / f"{name}.done.json").is_file()
    assert not (out / "missing.npz").exists() and not (out / "escape.npz").exists() and not (tmp_path / "escape.npz").exists()
    assert "failed: line 3 (missing)" in result.stderr
    assert "2 done, 0 unchanged, 7 failed" in result.stdout
    assert _partials(out) == []


def test_unreadable_manifest_is_one_line_and_exit_2(tmp_path: Path):
    result = _cli(tmp_path / "none.csv", "--out", tmp_path / "out")
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "none.csv" in result.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("sound,mood\nx.wav,happy\n", encoding="utf-8")
    result = _cli(bad, "--out", tmp_path / "out")
    assert result.returncode == 2 and "bad.csv" in result.stderr and "audio" in result.stderr


def test_manifest_lines_are_typed_with_defaults(tmp_path: Path):
    manifest = tmp_path / "m.csv"
    manifest.write_text("# a comment\nAudio,Output,Seed\n\nsub/a.wav,,\nb.wav,b_out.npz,12\nc.wav,b_OUT,1\n", encoding="utf-8")
    rows = read_manifest(manifest, Defaults(style="calm_presenter", seed=3, fps=25.0))
    assert rows[0] == BatchLine(4, tmp_path / "sub" / "a.wav", "calm_presenter", 3, 25.0, "a")
    assert rows[1] == BatchLine(5, tmp_path / "b.wav", "calm_presenter", 12, 25.0, "b_out")
    assert isinstance(rows[2], BadLine) and "already used by line 5" in rows[2].message and str(manifest) in rows[2].message


def test_outputs_are_bit_identical_whatever_the_workers_or_the_order(tmp_path: Path, voices: list[Path]):
    rows = _good_rows(voices, 10)
    one = tmp_path / "one"
    two = tmp_path / "two"
    one.mkdir()
    two.mkdir()
    first = run_batch(read_manifest(_manifest(tmp_path / "a.csv", rows)), JobSettings(one), report_path=one / "report.csv", jobs=1, progress=None)
    assert first.count("ok") == 10
    run_batch(read_manifest(_manifest(tmp_path / "b.csv", rows[::-1])), JobSettings(two), report_path=two / "report.csv", jobs=2, progress=None)
    reference = _outputs(one)
    assert len(reference) == 20 and reference == _outputs(two)
    # A rerun skips every line; a forced rerun writes the same bytes again.
    again = run_batch(read_manifest(tmp_path / "a.csv"), JobSettings(one), report_path=one / "report.csv", jobs=2, progress=None)
    assert again.count("skipped") == 10
    forced = run_batch(read_manifest(tmp_path / "a.csv"), JobSettings(one, force=True), report_path=one / "report.csv", jobs=2, progress=None)
    assert forced.count("ok") == 10 and _outputs(one) == reference
    # A take deleted or damaged since is made again, and only that line.
    (one / "line001.csv").unlink()
    (one / "line002.npz").write_bytes(b"PK")
    repaired = run_batch(read_manifest(tmp_path / "a.csv"), JobSettings(one), report_path=one / "report.csv", jobs=2, progress=None)
    assert [r.output for r in repaired.results if r.status == "ok"] == ["line001", "line002"] and _outputs(one) == reference
    # A changed seed redoes that line only; the same audio bytes at another path do not.
    rows[3][2] = 4242
    shutil.copy(rows[5][0], tmp_path / "copy.wav")  # type: ignore[arg-type]
    rows[5][0] = tmp_path / "copy.wav"  # same bytes, other path: unchanged
    changed = run_batch(read_manifest(_manifest(tmp_path / "a.csv", rows)), JobSettings(one), report_path=one / "report.csv", jobs=2, progress=None)
    assert [r.output for r in changed.results if r.status == "ok"] == ["line003"]
    assert changed.count("skipped") == 9 and _outputs(one)["line003.npz"] != reference["line003.npz"]


def test_a_run_killed_half_way_resumes_to_the_same_result(tmp_path: Path, voices: list[Path]):
    count = 60
    manifest = _manifest(tmp_path / "m.csv", _good_rows(voices, count))
    reference = tmp_path / "reference"
    reference.mkdir()
    run_batch(read_manifest(manifest), JobSettings(reference), report_path=reference / "report.csv", jobs=1, progress=None)

    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "model_runtime", "batch", str(manifest), "--out", str(out), "--jobs", "2"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if out.is_dir() and len(list(out.glob("*.done.json"))) >= 8:
                break
            time.sleep(0.005)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the batch and its workers, as a kill of the job would
        process.wait()
    done = len(list(out.glob("*.done.json")))
    assert 8 <= done < count, "the run finished before it could be killed"
    time.sleep(0.3)  # let the killed workers' exits settle

    result = _cli(manifest, "--out", out, "--jobs", "2")
    assert result.returncode == 0, result.stderr
    report = _report(out / "report.csv")
    assert sum(row["status"] == "skipped" for row in report.values()) == done  # only the lines in flight were lost
    assert _partials(out) == [] and _partials(tmp_path) == []
    assert _outputs(out) == _outputs(reference)
