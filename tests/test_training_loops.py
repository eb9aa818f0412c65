"""The generator's training pieces: window statistics and the mixed inferred / free-running rollout."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from model_runtime.learned.features import feature_names  # noqa: E402
from model_runtime.learned.metadata import ModelConfig  # noqa: E402
from model_runtime.training.loops import rollout, window_statistics  # noqa: E402
from model_runtime.training.networks import Generator, Posterior  # noqa: E402

CONFIG = ModelConfig(audio_features=feature_names(40), hidden=16, layers=2, style_dim=8, latent_dim=4, chunk=5, lookahead=2, style_window=20)
STILL = slice(-10, -3)  # the per-channel stillness shares, before the three world-gaze ones


def _saccades_and_drift(frames: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """Two (1, frames, 7) windows of equal size: steps of 8 deg every 16 frames, and a sine of the same range."""
    t = np.arange(frames)
    steps = 8.0 * (t // 16 % 2)
    sine = 4.0 + 4.0 * np.sin(2 * np.pi * t / 32)
    a, b = (torch.tensor(np.repeat(x[None, :, None], 7, axis=2), dtype=torch.float32) for x in (steps, sine))
    return a, b


def test_window_statistics_tell_saccades_from_smooth_drift() -> None:
    steps, sine = _saccades_and_drift()
    scale = torch.ones(7)
    a, b = window_statistics(steps, scale), window_statistics(sine, scale)
    assert a.shape == b.shape == (1, 7 + 28 + 7 + 7 + 28 + 7 + 3)
    # Nearly every frame of the steps is still; almost none of the sine's.
    assert float(a[0, STILL].min()) > 2.5 and float(b[0, STILL].max()) < 1.0
    # Both rest at 4 deg on average; the square wave spreads twice as much (variance 16 against 8).
    np.testing.assert_allclose(a[0, :7].numpy(), 4.0, atol=0.5)
    np.testing.assert_allclose(b[0, :7].numpy(), 4.0, atol=0.5)
    assert float(a[0, 7]) == pytest.approx(2.0 * float(b[0, 7]), rel=0.1)


def test_rollout_infers_latents_only_for_chosen_rows() -> None:
    torch.manual_seed(0)
    generator, posterior = Generator(CONFIG), Posterior(CONFIG)
    batch, chunks = 4, 3
    audio = torch.randn(batch, chunks * CONFIG.chunk + CONFIG.lookahead, len(CONFIG.audio_features))
    prev, style = torch.zeros(batch, CONFIG.chunk, 7), torch.randn(batch, CONFIG.style_dim)
    target = torch.randn(batch, chunks * CONFIG.chunk, 7)
    inferred = torch.tensor([True, True, False, False])
    motion, kl = rollout(generator, posterior, audio=audio, prev=prev, style=style, target=target, chunks=chunks, inferred=inferred)
    assert motion.shape == (batch, chunks * CONFIG.chunk, 7) and float(kl.detach()) > 0
    # The free-running rows do not depend on the targets; the inferred ones do.
    torch.manual_seed(1)
    again, _ = rollout(generator, posterior, audio=audio, prev=prev, style=style, target=target * 3, chunks=chunks, inferred=inferred)
    torch.manual_seed(1)
    same, _ = rollout(generator, posterior, audio=audio, prev=prev, style=style, target=target, chunks=chunks, inferred=inferred)
    np.testing.assert_allclose(again[2:].detach().numpy(), same[2:].detach().numpy(), atol=1e-6)
    assert float((again[:2] - same[:2]).abs().max().detach()) > 1e-4
