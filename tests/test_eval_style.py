"""StyGazeTalk's style error through the shipped style encoder: zero for the same take, small for a
resampled or shifted copy, larger across performer presets than across seeds of one preset.

Only orderings and loose bounds are asserted, so a retrained encoder passes as long as it encodes style.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from model_runtime.audio import compute_features, load_audio
from model_runtime.audio.types import SpeechFeatures
from model_runtime.cli import main
from model_runtime.clip import MotionClip
from model_runtime.evaluation import evaluate
from model_runtime.evaluation.style_metrics import shipped_style_encoder, style_error
from model_runtime.generate import generate
from model_runtime.learned.models import LoadedModel
from model_runtime.takes import save_take
from tests.conftest import ROOT, SHARED, random_clip

FPS = 25.0
SPEECH = "usgov_gwbush_1.flac"  # 45 s of public-domain speech (see ../shared/data/speech/MANIFEST.csv)


@pytest.fixture(scope="module")
def encoder() -> LoadedModel:
    return shipped_style_encoder()


@pytest.fixture(scope="module")
def speech() -> SpeechFeatures:
    path = SHARED / "data" / "speech" / SPEECH
    if not path.is_file():
        pytest.skip(f"shared speech clip not found at {path}")
    return compute_features(load_audio(path), FPS)


def test_identical_takes_have_no_style_error(encoder: LoadedModel) -> None:
    clip = random_clip(fps=FPS, seconds=10.0, seed=1)
    result = style_error(clip, clip, encoder)
    assert result.value == pytest.approx(0.0, abs=1e-9) and result.note == ""


def test_resampled_or_shifted_copy_has_a_small_error(encoder: LoadedModel) -> None:
    clip = random_clip(fps=FPS, seconds=12.0, seed=2)
    still = MotionClip(fps=FPS, data=np.zeros((300, 9)))
    resampled = style_error(clip.resample(24.0), clip, encoder).value  # lossy: not back on the 25 fps grid
    shifted = style_error(clip.slice_seconds(0.3, 12.0), clip, encoder).value
    different = style_error(still, clip, encoder).value
    assert 0.0 < shifted < 0.05
    # Resampling twice (to 24 fps here, back to 25 in style_error) smooths the small frame-to-frame
    # motions that the encoder's log-speed input is there to see, so it costs more than a shift;
    # still well under the distance to a different (still) performance (1.8 times it with the encoder
    # trained on the performer with fixational movements, 2.9 times with the previous one).
    assert 0.0 < resampled < 0.15
    assert different > 1.5 * max(resampled, shifted)


def test_presets_differ_more_than_seeds(encoder: LoadedModel, speech: SpeechFeatures) -> None:
    """Two performers on the same real speech are further apart than two seeds of one performer."""
    shy = [generate(speech, FPS, style="shy_averted", seed=s) for s in (0, 1)]
    animated = [generate(speech, FPS, style="animated_storyteller", seed=s) for s in (0, 1)]
    within = [style_error(shy[1], shy[0], encoder).value, style_error(animated[1], animated[0], encoder).value]
    across = [style_error(a, s, encoder).value for a in animated for s in shy]
    assert min(across) > max(within), (across, within)


def test_short_takes_loop_or_are_undefined(encoder: LoadedModel) -> None:
    clip = random_clip(fps=FPS, seconds=10.0, seed=3)
    looped = style_error(clip.slice_seconds(0.0, 2.0), clip, encoder)
    assert math.isfinite(looped.value) and "evaluated take" in looped.note and "looped" in looped.note
    tiny = style_error(clip, clip.slice_seconds(0.0, 0.5), encoder)
    assert math.isnan(tiny.value) and "reference take" in tiny.note and "at least 1 s" in tiny.note


def test_evaluate_reports_style_error_only_with_a_reference(encoder: LoadedModel) -> None:
    clip, reference = random_clip(fps=FPS, seconds=8.0, seed=4), random_clip(fps=FPS, seconds=8.0, seed=5)
    features = compute_features(load_audio(ROOT / "assets" / "voice" / "demo_voice.wav"), FPS)
    assert "style_error" not in evaluate(clip, features)
    metrics = evaluate(clip, features, reference, style_encoder=encoder)
    value = metrics["style_error"]
    assert isinstance(value, float) and 0.0 <= value <= 2.0
    assert value == pytest.approx(style_error(clip, reference, encoder).value)


def test_missing_encoder_gives_null_and_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """An installation without models: the other metrics still come, style_error is null and says why."""
    empty = tmp_path / "assets"
    empty.mkdir()
    monkeypatch.setenv("GAZE_ASSETS", str(empty))
    take = tmp_path / "take.npz"
    save_take(random_clip(fps=FPS, seconds=6.0, seed=6), take)
    out = tmp_path / "m.json"
    assert main(["eval", str(take), "--audio", str(ROOT / "assets" / "voice" / "demo_voice.wav"), "--reference", str(take), "--json", str(out)]) == 0
    metrics = json.loads(out.read_text())
    assert metrics["style_error"] is None and metrics["mae_deg"] == 0.0
    assert "style_encoder.onnx" in metrics["style_error_note"] and "no such model file" in metrics["style_error_note"]
    assert "style_encoder.onnx" in capsys.readouterr().err
