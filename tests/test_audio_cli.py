"""The features and segments commands, run as a user runs them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import soundfile

from tests.test_cli import cli


def test_features_npz(shared: Path, tmp_path: Path):
    clip = shared / "data" / "speech" / "usgov_jfk_1.flac"
    out = tmp_path / "jfk.npz"
    result = cli("features", clip, "--fps", "29.97", "-o", out)
    assert result.returncode == 0, result.stderr
    data = np.load(out)
    n = math.ceil(soundfile.info(str(clip)).duration * 29.97 - 1e-9)
    assert float(data["fps"]) == 29.97
    for name in ("f0_hz", "voiced", "rms", "speech", "onset"):
        assert data[name].shape == (n,), name
    assert data["logmel"].shape == (n, 40)
    assert data["voiced"].dtype == bool and data["speech"].dtype == bool
    assert data["utterances"].shape[1] == 2 and len(data["utterances"]) >= 2
    assert f"{n} frames at 29.97 fps" in result.stdout


def test_segments_text_and_json(shared: Path):
    clip = shared / "data" / "speech" / "usgov_jfk_1.flac"
    text = cli("segments", clip)
    as_json = cli("segments", clip, "--json")
    assert text.returncode == 0 and as_json.returncode == 0, text.stderr + as_json.stderr
    utterances = json.loads(as_json.stdout)
    lines = text.stdout.split("\n")[:-1]
    assert len(lines) == len(utterances) >= 2
    for line, u in zip(lines, utterances):
        start, end = map(float, line.split())
        assert start == u["start"] and end == u["end"] and 0 <= start < end <= 11.01


def test_bad_audio_is_one_line_error(tmp_path: Path):
    text = tmp_path / "speech.wav"
    text.write_text("hello\n")
    for args in (("segments", text), ("features", text, "--fps", "30", "-o", tmp_path / "x.npz")):
        result = cli(*args)
        assert result.returncode == 2
        assert result.stderr.strip() == f"error: {text}: not an audio file: it holds plain text"
    assert not (tmp_path / "x.npz").exists()
    bad_fps = cli("features", text, "--fps", "0", "-o", tmp_path / "x.npz")
    assert bad_fps.returncode == 2 and "expected a frame rate" in bad_fps.stderr
