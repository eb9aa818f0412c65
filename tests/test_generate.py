"""The public generation API and the ``generate`` / ``style`` commands, on real audio files."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from model_runtime.audio import compute_features, load_audio
from model_runtime.errors import GazeError
from model_runtime.generate import ENGINES, Controls, generate, resolve_style
from model_runtime.performer import PRESET_NAMES, PerformerStyle, load_preset
from model_runtime.takes import load_take, save_take
from tests.conftest import ROOT

VOICE = ROOT / "assets" / "voice" / "demo_voice.wav"


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "model_runtime", *map(str, args)], capture_output=True, text=True, cwd=ROOT, check=False)


def test_audio_as_path_signal_or_features_gives_the_same_clip() -> None:
    from_path = generate(VOICE, 25.0, seed=3)
    signal = load_audio(VOICE)
    from_signal = generate(signal, 25.0, seed=3)
    from_features = generate(compute_features(signal, 25.0), 25.0, seed=3)
    assert from_path.fps == 25.0
    assert from_path.duration == pytest.approx(signal.duration, abs=0.1)
    assert np.array_equal(from_path.data, from_signal.data)
    assert np.array_equal(from_path.data, from_features.data)


def test_features_at_another_rate_are_refused() -> None:
    features = compute_features(load_audio(VOICE), 30.0)
    with pytest.raises(GazeError, match="30 fps but 24 fps"):
        generate(features, 24.0)


def test_every_style_form(tmp_path: Path) -> None:
    features = compute_features(load_audio(VOICE), 30.0)
    thoughtful = load_preset("thoughtful")
    json_path = tmp_path / "STYLE.json"
    thoughtful.save(json_path)
    assert PerformerStyle.load(json_path) == thoughtful
    by_name = generate(features, 30.0, style="thoughtful", seed=1)
    assert np.array_equal(by_name.data, generate(features, 30.0, style=thoughtful, seed=1).data)
    assert np.array_equal(by_name.data, generate(features, 30.0, style=json_path, seed=1).data)
    assert np.array_equal(generate(features, 30.0, seed=1).data, generate(features, 30.0, style="neutral", seed=1).data)
    # A take file and a clip: the style is estimated from them.
    take = tmp_path / "take.npz"
    long_features = compute_features(load_audio(ROOT.parent / "shared" / "data" / "speech" / "usgov_gwbush_1.flac"), 30.0) if (ROOT.parent / "shared").is_dir() else None
    reference = generate(long_features if long_features is not None else features, 30.0, style="shy_averted", seed=2)
    if reference.duration >= 10.0:
        save_take(reference, take)
        from_take = resolve_style(take)
        from_clip = resolve_style(load_take(take))
        assert from_take == from_clip
        assert from_take.aversion_up_share < 0.4  # shy looks down
        assert generate(features, 30.0, style=take, seed=1).n_frames == features.n_frames


def test_bad_style_and_engine_are_named() -> None:
    with pytest.raises(GazeError, match=r"'nervous'.*neither a preset.*calm_presenter"):
        generate(VOICE, 30.0, style="nervous")
    with pytest.raises(GazeError, match=r"unknown engine 'magic'; engines available: .*procedural"):
        generate(VOICE, 30.0, engine="magic")
    with pytest.raises(GazeError, match="frame rate"):
        generate(VOICE, 0.0)
    with pytest.raises(GazeError, match="unknown style parameters"):
        PerformerStyle.from_dict({"blinkrate": 3.0})
    assert "procedural" in ENGINES


def test_bad_style_file(tmp_path: Path) -> None:
    broken = tmp_path / "STYLE.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(GazeError, match=r"STYLE\.json: is not valid JSON"):
        generate(VOICE, 30.0, style=broken)
    broken.write_text(json.dumps({"parameters": {"head_yaw_deg": "lots"}}), encoding="utf-8")
    with pytest.raises(GazeError, match="head_yaw_deg must be a number"):
        generate(VOICE, 30.0, style=broken)


def test_progress_is_reported_in_order() -> None:
    seen: list[float] = []
    generate(VOICE, 30.0, progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert all(b >= a for a, b in itertools.pairwise(seen))
    assert len(seen) >= 4


def test_head_intensity_scales_only_the_head() -> None:
    features = compute_features(load_audio(VOICE), 30.0)
    normal = generate(features, 30.0, seed=4)
    calm = generate(features, 30.0, seed=4, controls=Controls(head_intensity=0.5))
    still = generate(features, 30.0, seed=4, controls=Controls(head_intensity=0.0))
    assert np.all(still.head == 0.0)
    assert calm.head.std() == pytest.approx(0.5 * normal.head.std(), rel=0.25)
    assert np.array_equal(normal.blinks, still.blinks)


def test_presets_are_all_shipped_and_valid() -> None:
    assert len(PRESET_NAMES) >= 6
    for name in PRESET_NAMES:
        assert load_preset(name).problems() == []
    with pytest.raises(GazeError, match="unknown style preset"):
        load_preset("sleepy")


def test_cli_generate_then_style(tmp_path: Path) -> None:
    out = tmp_path / "motion.npz"
    result = cli("generate", VOICE, "-o", out, "--style", "animated_storyteller", "--seed", "2", "--fps", "24")
    assert result.returncode == 0, result.stderr
    assert "24 fps" in result.stdout
    clip = load_take(out)
    assert clip.fps == 24.0
    assert np.allclose(clip.data, generate(VOICE, 24.0, style="animated_storyteller", seed=2).data, atol=1e-4)  # stored as float32
    style_json = tmp_path / "STYLE.json"
    if clip.duration >= 10.0:
        result = cli("style", out, "-o", style_json, "--audio", VOICE)
        assert result.returncode == 0, result.stderr
        assert PerformerStyle.load(style_json).problems() == []
    else:
        result = cli("style", out, "-o", style_json)
        assert result.returncode != 0
        assert "at least 10 s" in result.stderr


def test_cli_style_of_the_bundled_take(tmp_path: Path) -> None:
    style_json = tmp_path / "STYLE.json"
    result = cli("style", ROOT / "assets" / "takes" / "reference_livelink.csv", "-o", style_json)
    assert result.returncode == 0, result.stderr
    assert "blink_rate_per_min" in result.stdout
    result = cli("generate", VOICE, "-o", tmp_path / "m.csv", "--style", style_json)
    assert result.returncode == 0, result.stderr


def test_cli_generate_bad_input(tmp_path: Path) -> None:
    result = cli("generate", tmp_path / "missing.wav", "-o", tmp_path / "x.npz")
    assert result.returncode != 0
    assert "missing.wav" in result.stderr
    result = cli("generate", VOICE, "-o", tmp_path / "x.npz", "--engine", "magic")
    assert result.returncode != 0
    assert "engines available" in result.stderr


def test_gaze_intensity_scales_eye_movements() -> None:
    from model_runtime.performer.estimate import world_gaze

    features = compute_features(load_audio(VOICE), 30.0)
    spread = [float(np.ptp(world_gaze(generate(features, 30.0, seed=5, controls=Controls(gaze_intensity=g))), axis=0).max()) for g in (0.0, 0.5, 1.0)]
    assert spread[0] < 0.5  # eyes stay on the listener
    assert spread[0] < spread[1] < spread[2]
