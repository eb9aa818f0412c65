"""Torch vs ONNX parity of both networks, and the runtime's streaming loop vs the torch loop."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from model_runtime.learned.features import feature_names  # noqa: E402
from model_runtime.learned.gaze_events import GazeState, render_events, to_angles  # noqa: E402
from model_runtime.learned.head_follow import DEFAULT_HEAD_MOVER, HeadFollow  # noqa: E402
from model_runtime.learned.metadata import ModelConfig  # noqa: E402
from model_runtime.learned.models import GENERATOR_FILE, STYLE_ENCODER_FILE, load_models  # noqa: E402
from model_runtime.learned.streaming import generate_frames  # noqa: E402
from model_runtime.training.export import GENERATOR_INPUTS, export_generator, export_style_encoder  # noqa: E402
from model_runtime.training.loops import nt_xent  # noqa: E402
from model_runtime.training.networks import Generator, StyleEncoder  # noqa: E402

CONFIG = ModelConfig(audio_features=feature_names(40), hidden=32, layers=2, style_dim=16, latent_dim=4, chunk=8, lookahead=3, style_window=50)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Generator, StyleEncoder, Path]:
    torch.manual_seed(3)
    generator, encoder = Generator(CONFIG).eval(), StyleEncoder(CONFIG).eval()
    with torch.no_grad():  # non-trivial normalisers, as after training
        generator.audio_norm.set(torch.randn(45), torch.rand(45) + 0.5)
        generator.motion_norm.set(torch.randn(5) * 3, torch.rand(5) * 5 + 1)
        generator.h0.normal_()
        generator.c0.normal_()
    out = tmp_path_factory.mktemp("export")
    export_generator(generator, CONFIG, out / GENERATOR_FILE)
    export_style_encoder(encoder, CONFIG, out / STYLE_ENCODER_FILE)
    return generator, encoder, out


@pytest.mark.parametrize("first", [0.0, 1.0])
def test_generator_parity(exported: tuple[Generator, StyleEncoder, Path], first: float) -> None:
    generator, _, out = exported
    session = load_models(out).generator.session
    g = torch.Generator().manual_seed(int(first))
    inputs = [
        torch.randn(1, CONFIG.audio_window, 45, generator=g) * 3,
        torch.randn(1, CONFIG.chunk, 5, generator=g) * 10,
        torch.nn.functional.normalize(torch.randn(1, CONFIG.style_dim, generator=g), dim=-1),
        torch.randn(1, CONFIG.latent_dim, generator=g),
        torch.randn(CONFIG.layers, 1, CONFIG.hidden, generator=g),
        torch.randn(CONFIG.layers, 1, CONFIG.hidden, generator=g),
        torch.full((1, 1), first),
    ]
    with torch.no_grad():
        expected = generator(*inputs)
    got = session.run(None, {name: t.numpy() for name, t in zip(GENERATOR_INPUTS, inputs, strict=True)})
    for e, o in zip(expected, got, strict=True):
        np.testing.assert_allclose(o, e.numpy(), atol=1e-4, rtol=0)
    assert np.abs(expected[0].numpy()).max() > 0.1
    np.testing.assert_allclose(got[2].sum(axis=-1), 1.0, atol=1e-5)  # landing code probabilities


def test_style_encoder_parity(exported: tuple[Generator, StyleEncoder, Path]) -> None:
    _, encoder, out = exported
    motion = torch.randn(5, CONFIG.style_window, 7) * 8
    with torch.no_grad():
        expected = encoder(motion).numpy()
    got = load_models(out).style_encoder.session.run(None, {"motion": motion.numpy()})[0]
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_runtime_stream_matches_torch_rollout(exported: tuple[Generator, StyleEncoder, Path]) -> None:
    """The numpy/onnxruntime streaming loop computes what the torch loop computes, chunk by chunk,
    with the same seeded latent and event draws and the same renderer; the output head adds the
    follow of the rendered gaze with the default head-mover share."""
    generator, _, out = exported
    n, seed = 3 * CONFIG.chunk + 5, 11
    rows = np.random.default_rng(0).normal(size=(n, 45)).astype(np.float32)
    style = np.full(CONFIG.style_dim, 0.25, dtype=np.float32)
    runtime = generate_frames(load_models(out).generator, rows, style, seed=seed)

    chunks = -(-n // CONFIG.chunk)
    padded = np.concatenate([rows, np.repeat(rows[-1:], chunks * CONFIG.chunk + CONFIG.lookahead - n, axis=0)])
    latent_seed, event_seed = np.random.SeedSequence(seed).spawn(2)
    rng, events = np.random.default_rng(latent_seed), np.random.default_rng(event_seed)
    state = GazeState.rest()
    follow = HeadFollow(CONFIG.fps)
    h, c = torch.zeros(CONFIG.layers, 1, CONFIG.hidden), torch.zeros(CONFIG.layers, 1, CONFIG.hidden)
    prev, first, frames = torch.zeros(1, CONFIG.chunk, 5), torch.ones(1, 1), []
    with torch.no_grad():
        for k in range(chunks):
            z = torch.from_numpy((rng.standard_normal((1, CONFIG.latent_dim)) * CONFIG.temperature).astype(np.float32))
            window = torch.from_numpy(padded[k * CONFIG.chunk : k * CONFIG.chunk + CONFIG.audio_window])[None]
            head, onset, landing, hop, h, c = generator(window, prev, torch.from_numpy(style)[None], z, h, c, first)
            gaze = render_events(onset.numpy(), landing.numpy(), hop.numpy(), state, events.random((1, CONFIG.chunk, 4)), CONFIG.grid, CONFIG.fps)
            prev = torch.cat([head, torch.from_numpy(gaze).float()], dim=-1)
            first = torch.zeros(1, 1)
            shown = prev[0].numpy().astype(np.float64)
            shown[:, 0:2] += DEFAULT_HEAD_MOVER * follow(gaze[0])
            frames.append(to_angles(shown))
    np.testing.assert_allclose(runtime, np.concatenate(frames)[:n], atol=1e-3, rtol=0)
    assert runtime.shape == (n, 7)


def test_nt_xent_prefers_matching_pairs() -> None:
    a = torch.nn.functional.normalize(torch.randn(8, 16), dim=-1)
    matched = nt_xent(torch.cat([a, a]), 0.1)
    shuffled = nt_xent(torch.cat([a, a[torch.randperm(8, generator=torch.Generator().manual_seed(0))]]), 0.1)
    assert matched < shuffled
