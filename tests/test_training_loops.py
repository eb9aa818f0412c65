"""The generator's training pieces: head statistics and the mixed inferred / free-running rollout."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from model_runtime.learned.features import feature_names  # noqa: E402
from model_runtime.learned.gaze_events import GAZE_STATES, landing_probabilities  # noqa: E402
from model_runtime.learned.metadata import ModelConfig  # noqa: E402
from model_runtime.training.loops import Rollout, head_statistics, in_state, landing_nll, rollout  # noqa: E402
from model_runtime.training.networks import Generator, Posterior, hop_parameters  # noqa: E402

CONFIG = ModelConfig(audio_features=feature_names(40), hidden=16, layers=2, style_dim=8, latent_dim=4, chunk=5, lookahead=2, style_window=20)
STILL = slice(-4, -1)  # the per-channel stillness shares, before the head speed while the gaze holds


def _saccades_and_drift(frames: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """Two (1, frames, 3) head windows of equal size: steps of 8 deg every 16 frames, and a sine of the same range."""
    t = np.arange(frames)
    steps = 8.0 * (t // 16 % 2)
    sine = 4.0 + 4.0 * np.sin(2 * np.pi * t / 32)
    a, b = (torch.tensor(np.repeat(x[None, :, None], 3, axis=2), dtype=torch.float32) for x in (steps, sine))
    return a, b


def test_head_statistics_tell_jumps_from_smooth_drift() -> None:
    steps, sine = _saccades_and_drift()
    scale = torch.ones(3)
    still_gaze = torch.zeros(1, steps.shape[1], 2)
    a, b = head_statistics(steps, still_gaze, scale), head_statistics(sine, still_gaze, scale)
    assert a.shape == b.shape == (1, 3 + 6 + 3 + 3 + 6 + 3 + 1)
    # Nearly every frame of the steps is still; almost none of the sine's.
    assert float(a[0, STILL].min()) > 0.85 and float(b[0, STILL].max()) < 0.35
    # Both rest at 4 deg on average; the square wave spreads twice as much (variance 16 against 8).
    np.testing.assert_allclose(a[0, :3].numpy(), 4.0, atol=0.5)
    np.testing.assert_allclose(b[0, :3].numpy(), 4.0, atol=0.5)
    assert float(a[0, 3]) == pytest.approx(2.0 * float(b[0, 3]), rel=0.1)
    # The head turns while the gaze holds: 3 x the sine's mean speed (4 deg x 2 pi / 32 frames x 2 / pi, on two channels).
    assert float(b[0, -1]) == pytest.approx(3.0 * np.sqrt(2.0) * 0.5, rel=0.05)
    assert float(head_statistics(torch.zeros_like(sine), still_gaze, scale)[0, -1]) < 0.01
    # Where the gaze itself moves every frame, no frame counts.
    assert float(head_statistics(sine, torch.arange(steps.shape[1]).float()[None, :, None].expand(1, -1, 2) * 2, scale)[0, -1]) == 0.0


def test_rollout_teacher_forces_gaze_only_for_inferred_rows() -> None:
    torch.manual_seed(0)
    generator, posterior = Generator(CONFIG), Posterior(CONFIG)
    batch, chunks = 4, 3
    audio = torch.randn(batch, chunks * CONFIG.chunk + CONFIG.lookahead, len(CONFIG.audio_features))
    prev, style = torch.zeros(batch, CONFIG.chunk, 5), torch.randn(batch, CONFIG.style_dim)
    target = torch.randn(batch, chunks * CONFIG.chunk, 5) * 5
    inferred = torch.tensor([True, True, False, False])

    def run(scale: float) -> Rollout:
        torch.manual_seed(1)
        return rollout(generator, posterior, audio=audio, prev=prev, style=style, target=target * scale, chunks=chunks, inferred=inferred,
                       rng=np.random.default_rng(2))

    same, again = run(1.0), run(3.0)
    frames = chunks * CONFIG.chunk
    assert same.head.shape == (batch, frames, 3) and same.onset.shape == (batch, frames, GAZE_STATES)
    assert same.landing.shape == (batch, frames, GAZE_STATES, CONFIG.grid.size) and same.hop.shape == (batch, frames, GAZE_STATES, 2)
    assert float(same.kl.detach()) > 0
    # Inferred rows carry the true gaze on; free rows render their own, whatever the targets.
    np.testing.assert_allclose(same.gaze[:2].numpy(), target[:2, :, 3:5].numpy())
    np.testing.assert_allclose(again.head[2:].detach().numpy(), same.head[2:].detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(again.gaze[2:].numpy(), same.gaze[2:].numpy(), atol=1e-6)
    assert float((again.head[:2] - same.head[:2]).abs().max().detach()) > 1e-4


def test_landing_loss_is_the_runtime_mixture() -> None:
    """Training scores landings with the same hop/global mixture the runtime samples from."""
    grid = CONFIG.grid
    g = torch.Generator().manual_seed(0)
    logits, hop = torch.randn(6, grid.size, generator=g), torch.randn(6, 2, generator=g)
    before, code = torch.randn(6, 2, generator=g) * 10, torch.randint(0, grid.size, (6,), generator=g)
    centres = torch.tensor(grid.centres, dtype=torch.float32)
    probs = landing_probabilities(torch.softmax(logits, -1).numpy(), hop_parameters(hop).numpy(), before.numpy(), grid)
    for i in range(6):
        nll = landing_nll(logits[i : i + 1], hop[i : i + 1], before[i : i + 1], code[i : i + 1], centres)
        assert float(nll) == pytest.approx(-np.log(probs[i, int(code[i])]), rel=1e-4, abs=1e-4)


def test_in_state_picks_each_frames_gaze_state() -> None:
    outputs = torch.arange(2 * 3 * GAZE_STATES * 4, dtype=torch.float32).reshape(2, 3, GAZE_STATES, 4)
    state = torch.tensor([[0, 1, 1], [1, 0, 0]])
    picked = in_state(outputs, state)
    assert picked.shape == (2, 3, 4)
    for b in range(2):
        for t in range(3):
            assert torch.equal(picked[b, t], outputs[b, t, int(state[b, t])])
    assert torch.equal(in_state(outputs[..., 0], state), picked[..., 0])
