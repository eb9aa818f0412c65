"""The command line as a user runs it: a separate process, real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

BUNDLED_TAKE = ROOT / "assets" / "takes" / "reference_livelink.csv"


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "model_runtime", *map(str, args)], capture_output=True, text=True, cwd=ROOT, check=False)


def test_convert_live_link_then_info(tmp_path: Path):
    out = tmp_path / "x.npz"
    result = cli("convert", BUNDLED_TAKE, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "1200 frames at 60 fps" in result.stdout
    info = cli("info", out, "--json")
    assert info.returncode == 0, info.stderr
    summary = json.loads(info.stdout)
    assert summary["frames"] == 1200
    assert summary["fps"] == 60.0
    assert summary["duration_s"] == pytest.approx(20.0)
    yaw = summary["channels"]["left_eye_yaw"]
    assert -30 < yaw["min"] < -5 and 3 < yaw["max"] < 30  # degrees, not radians
    assert summary["channels"]["blink_left"]["max"] == pytest.approx(1.0, abs=1e-6)


def test_info_prints_table():
    result = cli("info", BUNDLED_TAKE)
    assert result.returncode == 0, result.stderr
    assert "frames    1200" in result.stdout
    assert "head_yaw" in result.stdout and "deg" in result.stdout


def test_convert_resamples_and_writes_csv(tmp_path: Path):
    out = tmp_path / "x.csv"
    result = cli("convert", BUNDLED_TAKE, "-o", out, "--fps", "29.97")
    assert result.returncode == 0, result.stderr
    summary = json.loads(cli("info", out, "--json").stdout)
    assert summary["fps"] == pytest.approx(30000 / 1001)
    assert summary["frames"] == round(20 * 30000 / 1001)


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path):
    bad = tmp_path / "broken.csv"
    bad.write_bytes(b"\x00\x01\x02")
    result = cli("info", bad)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {bad}")
    assert "Traceback" not in result.stderr


def test_llf_overrides_reach_the_reader(tmp_path: Path):
    out = tmp_path / "flipped.npz"
    assert cli("convert", BUNDLED_TAKE, "-o", out, "--llf-yaw-sign", "1").returncode == 0
    normal = json.loads(cli("info", BUNDLED_TAKE, "--json").stdout)["channels"]["head_yaw"]
    flipped = json.loads(cli("info", out, "--json").stdout)["channels"]["head_yaw"]
    assert flipped["mean"] == pytest.approx(-normal["mean"], abs=1e-3)
