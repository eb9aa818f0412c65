"""Streaming generation on onnxruntime: chunking never changes the output; seeds do."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model_runtime.errors import GazeError
from model_runtime.learned.features import feature_names
from model_runtime.learned.metadata import ModelConfig
from model_runtime.learned.models import LearnedModels, load_models
from model_runtime.learned.streaming import GeneratorStream, generate_frames

CONFIG = ModelConfig(audio_features=feature_names(40), hidden=24, layers=2, style_dim=16, latent_dim=4, chunk=10, lookahead=4)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> LearnedModels:
    from model_runtime.training.export import export_untrained

    out: Path = tmp_path_factory.mktemp("tiny")
    export_untrained(out, CONFIG, seed=1)
    return load_models(out)


def _rows(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, len(CONFIG.audio_features))).astype(np.float32)


def _style() -> np.ndarray:
    v = np.random.default_rng(5).normal(size=CONFIG.style_dim)
    return (v / np.linalg.norm(v)).astype(np.float32)


@pytest.mark.parametrize(("piece", "steered"), [(1, False), (3, False), (10, False), (14, False), (37, False), (500, False), (3, True), (37, True)])
def test_chunked_equals_whole(tiny: LearnedModels, piece: int, steered: bool) -> None:
    from model_runtime.learned.steering import StyleTargets

    targets = StyleTargets(saccade_rate_hz=2.0, mutual_gaze_share=0.5, aversion_rate_hz=0.3, head_std_pitch_deg=3.0, head_std_yaw_deg=6.0,
                           head_std_roll_deg=2.0, head_mover=0.8) if steered else None
    rows = _rows(253)
    whole = generate_frames(tiny.generator, rows, _style(), seed=7, targets=targets, head_mover=0.8)
    stream = GeneratorStream(tiny.generator, _style(), seed=7, targets=targets, head_mover=0.8)
    parts = [stream.push(rows[i : i + piece]) for i in range(0, len(rows), piece)]
    parts.append(stream.push(rows[:0]))
    parts.append(stream.finish())
    chunked = np.concatenate(parts)
    assert whole.shape == (253, 7)
    np.testing.assert_array_equal(whole, chunked)


@pytest.mark.parametrize("steered", [False, True])
def test_the_head_follows_the_sampled_gaze_by_the_head_mover_share(tiny: LearnedModels, steered: bool) -> None:
    """The same draws with a share of 0 and of 0.8: the world gaze is the same, and the head differs
    by 0.8 x the follow of that gaze (model_runtime.learned.head_follow), steered or not."""
    from model_runtime.learned.gaze_events import to_generator_motion
    from model_runtime.learned.head_follow import follow_track
    from model_runtime.learned.steering import StyleTargets

    targets = StyleTargets(saccade_rate_hz=2.0, mutual_gaze_share=0.5, aversion_rate_hz=0.3, head_std_pitch_deg=3.0, head_std_yaw_deg=6.0,
                           head_std_roll_deg=2.0) if steered else None
    rows = _rows(300)
    still = to_generator_motion(generate_frames(tiny.generator, rows, _style(), seed=3, targets=targets, head_mover=0.0))
    moving = to_generator_motion(generate_frames(tiny.generator, rows, _style(), seed=3, targets=targets, head_mover=0.8))
    np.testing.assert_allclose(moving[:, 3:5], still[:, 3:5], atol=1e-4)
    follow = follow_track(still[:, 3:5], CONFIG.fps)
    assert np.abs(follow).max() > 1.0
    np.testing.assert_allclose(moving[:, 0:2] - still[:, 0:2], 0.8 * follow, atol=1e-3)
    np.testing.assert_allclose(moving[:, 2], still[:, 2], atol=1e-5)


def test_frames_come_out_as_soon_as_their_window_is_complete(tiny: LearnedModels) -> None:
    stream = GeneratorStream(tiny.generator, _style(), seed=0)
    assert stream.push(_rows(CONFIG.audio_window - 1)).shape[0] == 0
    assert stream.push(_rows(1)).shape[0] == CONFIG.chunk
    assert stream.finish().shape[0] == CONFIG.audio_window - CONFIG.chunk


@pytest.mark.parametrize("n", [0, 1, 9, 10, 11])
def test_output_length_matches_input(tiny: LearnedModels, n: int) -> None:
    assert generate_frames(tiny.generator, _rows(n), _style(), seed=0).shape == (n, 7)


def test_seed_decides_the_motion(tiny: LearnedModels) -> None:
    rows = _rows(120)
    a = generate_frames(tiny.generator, rows, _style(), seed=1)
    b = generate_frames(tiny.generator, rows, _style(), seed=1)
    c = generate_frames(tiny.generator, rows, _style(), seed=2)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 1e-4


def test_state_is_carried_across_chunks(tiny: LearnedModels) -> None:
    """The second chunk depends on the first chunk's audio (through h, c and the previous motion)."""
    rows = _rows(40)
    changed = rows.copy()
    changed[:5] += 3.0
    a = generate_frames(tiny.generator, rows, _style(), seed=0, temperature=0.0)
    b = generate_frames(tiny.generator, changed, _style(), seed=0, temperature=0.0)
    assert np.abs(a[20:30] - b[20:30]).max() > 1e-6


def test_bad_input_is_a_clear_error(tiny: LearnedModels) -> None:
    with pytest.raises(GazeError, match="style vector has 3 values"):
        GeneratorStream(tiny.generator, np.ones(3), seed=0)
    stream = GeneratorStream(tiny.generator, _style(), seed=0)
    with pytest.raises(GazeError, match=r"shape \(frames, 45\)"):
        stream.push(np.zeros((4, 7)))
    stream.finish()
    with pytest.raises(GazeError, match="finished"):
        stream.push(_rows(3))
    with pytest.raises(GazeError, match="already finished"):
        stream.finish()
