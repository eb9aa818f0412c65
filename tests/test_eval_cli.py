"""``eval`` as a user runs it: real takes and audio files, JSON, HTML report, dataset mode."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from model_runtime.cli import main
from model_runtime.takes import save_take
from tests.conftest import ROOT, random_clip

VOICE = ROOT / "assets" / "voice" / "demo_voice.wav"
REQUIRED = (
    "fixation_ratio", "comp_score", "saccade_rate_hz", "saccade_amplitude_median_deg", "mutual_gaze_share_speech", "mutual_gaze_share_pause",
    "blink_rate_per_min", "blink_ibi_skewness", "blink_close_open_ratio", "head_std_deg", "bas", "bas_chance", "l1div",
)
LITERATURE = (
    "aversion_at_utterance_start_share", "head_share_large_median", "vor_gain", "blinks_near_pause_share", "blinks_with_large_shift_share",
    "head_rms_xcorr", "head_rms_lag_s", "mutual_dwell_mean_s", "saccade_direction_shares", "ks_saccade_amplitude_eyes_alive",
)


def _take(path: Path, seed: int, seconds: float = 10.0) -> Path:
    save_take(random_clip(fps=25.0, seconds=seconds, seed=seed), path)
    return path


@pytest.mark.slow  # matplotlib import and rendering: about 6 s on two cores
def test_eval_one_take_with_reference_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    take, reference = _take(tmp_path / "gen.npz", 1), _take(tmp_path / "ref.npz", 2)
    out, report = tmp_path / "m.json", tmp_path / "r.html"
    assert main(["eval", str(take), "--audio", str(VOICE), "--reference", str(reference), "--json", str(out), "--report", str(report)]) == 0
    text = out.read_text()
    assert "NaN" not in text  # strict JSON: undefined values are null
    metrics = json.loads(text)
    for key in (*REQUIRED, *LITERATURE, "sim_score", "mae_deg", "vel_error", "mee", "style_error"):
        assert key in metrics, key
    assert len(metrics["head_std_deg"]) == 3
    assert metrics["mae_deg"] > 0 and metrics["sim_score"] <= 1.0
    assert 0.0 <= metrics["mutual_gaze_share_speech"] <= 1.0
    page = report.read_text()
    assert page.count("data:image/png;base64,") >= 2 and len(page) > 50_000
    assert "blink_rate_per_min" in page and "psyberlab" in page
    assert "fixation_ratio" in capsys.readouterr().out


def test_eval_against_itself_is_perfect(tmp_path: Path):
    take = _take(tmp_path / "a.npz", 3)
    out = tmp_path / "m.json"
    assert main(["eval", str(take), "--audio", str(VOICE), "--reference", str(take), "--json", str(out)]) == 0
    metrics = json.loads(out.read_text())
    assert metrics["sim_score"] == 1.0 and metrics["mae_deg"] == 0.0 and metrics["vel_error"] == 0.0 and metrics["mee"] == 0.0
    assert metrics["style_error"] == pytest.approx(0.0, abs=1e-5) and "style_error_note" not in metrics


def test_dataset_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    takes, audio = tmp_path / "takes", tmp_path / "audio"
    takes.mkdir()
    audio.mkdir()
    for i, stem in enumerate(("first", "second")):
        _take(takes / f"{stem}.npz", i, seconds=8.0)
        shutil.copy(VOICE, audio / f"{stem}.wav")
    _take(takes / "lonely.npz", 5, seconds=4.0)  # no audio of that name: skipped, reported
    out, table = tmp_path / "all.json", tmp_path / "all.csv"
    assert main(["eval", str(takes), "--audio", str(audio), "--json", str(out), "--csv", str(table)]) == 0
    document = json.loads(out.read_text())
    assert [row["clip"] for row in document["clips"]] == ["first.npz", "second.npz"]
    assert document["skipped"] == ["lonely.npz"]
    rates = [row["blink_rate_per_min"] for row in document["clips"]]
    assert document["summary"]["blink_rate_per_min"]["mean"] == pytest.approx(np.mean(rates))
    assert document["summary"]["blink_rate_per_min"]["n"] == 2
    with table.open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["clip"] for r in rows] == ["first.npz", "second.npz"]
    assert float(rows[0]["blink_rate_per_min"]) == pytest.approx(rates[0], rel=1e-5)
    captured = capsys.readouterr()
    printed = captured.out
    assert "first.npz" in printed and "mean" in printed and "median" in printed
    assert "lonely.npz" in captured.err


def test_dataset_without_pairs_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    takes = tmp_path / "takes"
    takes.mkdir()
    _take(takes / "x.npz", 0)
    assert main(["eval", str(takes), "--audio", str(tmp_path), "--json", str(tmp_path / "o.json")]) == 2
    assert "no take" in capsys.readouterr().err


def test_missing_audio_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    take = _take(tmp_path / "a.npz", 0)
    assert main(["eval", str(take), "--audio", str(tmp_path / "nope.wav"), "--json", str(tmp_path / "o.json")]) == 2
    assert "nope.wav" in capsys.readouterr().err
    assert not (tmp_path / "o.json").exists()
