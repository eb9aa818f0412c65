"""The command line under hostile arguments: one line naming the problem, no traceback, inputs untouched."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import soundfile

from model_runtime import cli
from model_runtime.takes import save_take
from tests.conftest import random_clip
from tests.test_cli import cli as run_cli


@pytest.fixture
def take(tmp_path: Path) -> Path:
    path = tmp_path / "take.csv"
    save_take(random_clip(seconds=1.0), path)
    return path


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    path = tmp_path / "a.wav"
    soundfile.write(path, np.zeros(16000, dtype=np.float32), 16000)
    return path


def refused(result: object, *words: str) -> None:
    stderr: str = result.stderr  # type: ignore[attr-defined]
    assert result.returncode == 2, stderr  # type: ignore[attr-defined]
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("error:") or "error:" in last, stderr
    for word in words:
        assert word in last, last


@pytest.mark.parametrize(
    ("args", "word"),
    [
        (("convert", "{take}", "-o", "{tmp}/x.npz", "--fps", "0"), "--fps"),
        (("convert", "{take}", "-o", "{tmp}/x.npz", "--fps", "nan"), "--fps"),
        (("convert", "{take}", "-o", "{tmp}/x.npz", "--fps", "2000"), "--fps"),
        (("info", "{take}", "--take-fps", "-1"), "--take-fps"),
        (("info", "{take}", "--take-fps", "nan"), "--take-fps"),
        (("info", "{take}", "--take-fps", "1e9"), "--take-fps"),
        (("info", "{take}", "--llf-angle-scale", "inf"), "--llf-angle-scale"),
        (("features", "{wav}", "--fps", "1e9", "-o", "{tmp}/f.npz"), "--fps"),
        (("features", "{wav}", "--fps", "30", "--n-mels", "0", "-o", "{tmp}/f.npz"), "--n-mels"),
        (("generate", "{wav}", "-o", "{tmp}/g.npz", "--seed", "-1"), "--seed"),
        (("generate", "{wav}", "-o", "{tmp}/g.npz", "--fps", "1_000"), "--fps"),
    ],
)
def test_bad_argument_is_named(tmp_path: Path, take: Path, wav: Path, args: tuple[str, ...], word: str) -> None:
    refused(run_cli(*(a.format(take=take, wav=wav, tmp=tmp_path) for a in args)), word)


@pytest.mark.parametrize(
    "args",
    [
        ("convert", "{take}", "-o", "{take}"),
        ("style", "{take}", "-o", "{take}"),
        ("generate", "{wav}", "-o", "{wav}"),
        ("features", "{wav}", "--fps", "30", "-o", "{tmp}/a.wav.npz", "--wav2vec2", "{tmp}"),
    ],
)
def test_output_over_an_input_is_refused(tmp_path: Path, take: Path, wav: Path, args: tuple[str, ...]) -> None:
    if "features" in args:  # the output is the audio itself when named so
        wav = wav.rename(tmp_path / "a.wav.npz")
    before = {p: p.read_bytes() for p in (take, wav)}
    refused(run_cli(*(a.format(take=take, wav=wav, tmp=tmp_path) for a in args)), "input")
    assert {p: p.read_bytes() for p in (take, wav)} == before


def test_missing_output_folder_is_refused_before_work(tmp_path: Path, take: Path) -> None:
    refused(run_cli("convert", take, "-o", tmp_path / "nowhere" / "x.npz"), "does not exist")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_output_folder_is_refused(tmp_path: Path, take: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o555)
    refused(run_cli("convert", take, "-o", folder / "x.npz"), "not writable")


def test_info_shows_escape_sequences_escaped(tmp_path: Path) -> None:
    path = tmp_path / "take.npz"
    clip = random_clip(seconds=1.0)
    save_take(clip.with_data(clip.data, note="\x1b]0;owned\x07\x1b[31mred\nforged line"), path)
    result = run_cli("info", path)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\\x1b[31mred\\nforged line" in result.stdout


def test_wav2vec2_pickle_is_refused_in_one_line(tmp_path: Path, wav: Path) -> None:
    pytest.importorskip("transformers")  # without it the refusal is "needs transformers", tested elsewhere
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"model_type": "wav2vec2"}')
    (model / "pytorch_model.bin").write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    result = run_cli("features", wav, "--fps", "30", "-o", tmp_path / "f.npz", "--wav2vec2", model)
    refused(result, str(model))
    assert not (tmp_path / "f.npz").exists()


def test_unexpected_error_is_one_line_unless_debug(tmp_path: Path, take: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("model_runtime.commands.info.load_take_from_args", broken)
    assert cli.main(["info", str(take)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(take) in err and "RuntimeError: boom" in err and "--debug" in err
    with pytest.raises(RuntimeError, match="boom"):
        cli.main(["--debug", "info", str(take)])


def test_audio_too_long_for_a_take_is_refused_before_work(tmp_path: Path) -> None:
    long_wav = tmp_path / "long.wav"
    soundfile.write(long_wav, np.zeros(8000 * 21 * 60, dtype=np.int16), 8000)  # 21 min: 1.26 million frames at 1000 fps
    result = run_cli("features", long_wav, "--fps", "1000", "-o", tmp_path / "f.npz")
    refused(result, str(long_wav), "1200000 frames")
    assert not (tmp_path / "f.npz").exists()
    refused(run_cli("generate", long_wav, "--fps", "1000", "-o", tmp_path / "g.npz"), str(long_wav), "1200000 frames")


def test_resampling_beyond_a_take_is_refused_before_it_allocates(tmp_path: Path) -> None:
    slow = tmp_path / "slow.npz"
    save_take(random_clip(fps=1.0, seconds=4 * 3600), slow)  # 14,400 frames; 14.4 million at 1000 fps
    refused(run_cli("convert", slow, "-o", tmp_path / "fast.npz", "--fps", "1000"), "1200000 frames")
