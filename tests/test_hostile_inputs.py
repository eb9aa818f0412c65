"""Issue #25's hostile files: each is refused with one GazeError naming the file, in bounded time and memory."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from model_runtime.errors import GazeError, TakeFormatError
from model_runtime.learned.metadata import ModelConfig
from model_runtime.performer.style import PerformerStyle
from model_runtime.takes import load_take, save_take
from tests.conftest import random_clip
from tests.hostile_files import CASES, write_all

ROOT = Path(__file__).resolve().parents[1]
# Far below what any case would take unbounded (gigabytes); the zip bomb's member reads 360 bytes.
PEAK_BYTES = 64 * 2**20


def parse(path: Path, kind: str) -> object:
    if kind == "take":
        return load_take(path)
    if kind == "style":
        return PerformerStyle.load(path)
    return ModelConfig.from_json(path.read_text(encoding="utf-8"), path)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    return write_all(tmp_path_factory.mktemp("hostile"))


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_file_is_refused_by_name(hostile: dict[str, tuple[Path, str]], case: str) -> None:
    path, kind = hostile[case]
    tracemalloc.start()
    try:
        with pytest.raises(GazeError) as caught:
            parse(path, kind)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(caught.value)
    assert message.startswith(str(path)), message
    assert "\n" not in message and len(message) < 1000, message
    assert peak < PEAK_BYTES, f"{case}: peak {peak / 2**20:.0f} MiB"


def test_values_beyond_float32_are_not_written(tmp_path: Path) -> None:
    clip = random_clip()
    data = clip.data.copy()
    data[3, 1] = 1e39
    out = tmp_path / "big.npz"
    with pytest.raises(TakeFormatError, match="head_yaw"):
        save_take(clip.with_data(data), out)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "take.npz"
    save_take(random_clip(), out)
    before = out.read_bytes()
    data = random_clip().data.copy()
    data[0, 7] = 60.0
    with pytest.raises(TakeFormatError):
        save_take(random_clip().with_data(data), out)
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["take.npz"]


def test_written_take_reads_back_at_float32(tmp_path: Path) -> None:
    clip = random_clip()
    for name in ("take.npz", "take.csv", "take.npy"):
        save_take(clip, tmp_path / name)
        assert np.allclose(load_take(tmp_path / name).data[:, :7], clip.data[:, :7], atol=1e-3), name


def test_a_damaged_preset_is_skipped_and_the_rest_load(tmp_path: Path) -> None:
    presets = tmp_path / "presets"
    presets.mkdir()
    for source in (ROOT / "assets" / "presets").glob("*.json"):
        (presets / source.name).write_bytes(source.read_bytes())
    (presets / "thoughtful.json").write_text('{"parameters": {"saccade_rate_hz": ' + "9" * 5000 + "}}")
    code = (
        "import warnings\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    from model_runtime.performer.presets import PRESET_NAMES, preset_description, load_preset\n"
        "print(len(caught), 'thoughtful' in str(caught[0].message))\n"
        "print(','.join(PRESET_NAMES))\n"
        "print(preset_description('neutral'), '|', preset_description('thoughtful'), '|', load_preset('calm_presenter').saccade_rate_hz)\n"
    )
    env = {"GAZE_ASSETS": str(tmp_path), "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, check=True)
    warned, names, descriptions = result.stdout.splitlines()
    assert warned == "1 True"
    assert names.split(",") == ["neutral", "calm_presenter", "animated_storyteller", "shy_averted", "intense_direct", "energetic_listener"]
    calm = json.loads((ROOT / "assets" / "presets" / "calm_presenter.json").read_text())["parameters"]["saccade_rate_hz"]
    assert descriptions.startswith("Balanced") and descriptions.endswith(f" |  | {calm}")
