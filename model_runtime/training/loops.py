"""Training loops: NT-Xent pretraining of the style encoder, then the generator as a conditional VAE
with the position + velocity loss, unrolled over chunks on its own outputs as at run time."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray
from torch.nn import functional as F

from model_runtime.learned.metadata import ModelConfig
from model_runtime.training.corpus import Take
from model_runtime.training.datasets import GeneratorWindows, Statistics, StylePairs
from model_runtime.training.networks import Generator, Posterior, StyleEncoder


@dataclass(frozen=True)
class StyleSettings:
    steps: int = 800
    batch: int = 48
    temperature: float = 0.1
    lr: float = 1e-3
    seed: int = 0


@dataclass(frozen=True)
class GeneratorSettings:
    """``position_weight`` is lambda in lambda * MSE(position) + (1 - lambda) * MSE(velocity) (on
    normalised channels); ``kl_weight`` weighs the latent's KL term, ``free_nats`` per chunk are not
    penalised so the latent keeps carrying the saccade timing that audio cannot predict."""

    steps: int = 2500
    batch: int = 32
    chunks: int = 8
    position_weight: float = 0.5
    kl_weight: float = 3e-3
    free_nats: float = 2.0
    lr: float = 2e-3
    seed: int = 0


def nt_xent(vectors: torch.Tensor, temperature: float) -> torch.Tensor:
    """SimCLR's loss for (2B, D) unit vectors where rows i and i + B are positives."""
    n = vectors.shape[0] // 2
    logits = vectors @ vectors.T / temperature
    logits = logits.masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(logits, targets)


def _log_every(steps: int) -> int:
    return max(1, steps // 10)


def train_style_encoder(takes: list[Take], config: ModelConfig, stats: Statistics, settings: StyleSettings, *,
                        progress: Callable[[str], None] = print) -> StyleEncoder:
    torch.manual_seed(settings.seed)
    encoder = StyleEncoder(config)
    encoder.motion_norm.set(torch.tensor(stats.motion_mean, dtype=torch.float32), torch.tensor(stats.motion_std, dtype=torch.float32))
    encoder.velocity_norm.set(torch.tensor(stats.velocity_mean, dtype=torch.float32), torch.tensor(stats.velocity_std, dtype=torch.float32))
    pairs = StylePairs(takes, config.style_window, settings.seed)
    optimiser = torch.optim.AdamW(encoder.parameters(), lr=settings.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=settings.lr, total_steps=settings.steps, pct_start=0.1)
    started = time.monotonic()
    encoder.train()
    for step in range(settings.steps):
        loss = nt_xent(encoder(pairs.batch(settings.batch)), settings.temperature)
        optimiser.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        optimiser.step()
        schedule.step()
        if (step + 1) % _log_every(settings.steps) == 0:
            progress(f"style encoder: step {step + 1}/{settings.steps} NT-Xent {loss.item():.3f} ({time.monotonic() - started:.0f} s)")
    return encoder.eval()


@torch.no_grad()
def take_styles(encoder: StyleEncoder, takes: list[Take], window: int, max_windows: int = 16) -> NDArray[np.float32]:
    """(takes, style_dim): each take's style, the normalised mean over its windows (half-window hop);
    a take shorter than the window is looped to fill it, as the runtime does."""
    out = []
    for take in takes:
        motion = take.motion
        if motion.shape[0] < window:
            motion = np.tile(motion, (-(-window // motion.shape[0]), 1))[:window]
        starts = np.arange(0, motion.shape[0] - window + 1, max(1, window // 2))[:max_windows]
        vectors = encoder(torch.from_numpy(np.stack([motion[s : s + window] for s in starts]))).mean(0)
        out.append(F.normalize(vectors, dim=0).numpy())
    return np.stack(out).astype(np.float32)


def rollout(generator: Generator, posterior: Posterior | None, *, audio: torch.Tensor, prev: torch.Tensor, style: torch.Tensor,
            target: torch.Tensor | None, chunks: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Run ``chunks`` chunks feeding each chunk's output back as the next one's previous motion.

    With a posterior and targets, z is inferred from the true chunk (training) and the KL term is
    against the state-conditioned prior; otherwise z is sampled from that prior.
    Returns the motion (B, chunks * N, 7) and the mean KL per chunk.
    """
    config = generator.config
    n, batch = config.chunk, audio.shape[0]
    h, c = generator.initial_state(batch)
    first = torch.ones(batch, 1)
    outputs, kls = [], []
    for k in range(chunks):
        window = audio[:, k * n : k * n + config.audio_window]
        if posterior is not None and target is not None:
            mean, log_var = posterior(generator.motion_norm(prev), generator.motion_norm(target[:, k * n : (k + 1) * n]))
            prior_mean, prior_log_var = generator.prior_stats(h)
            latent = mean + torch.randn_like(mean) * torch.exp(0.5 * log_var)
            kls.append(0.5 * (prior_log_var - log_var + (log_var.exp() + (mean - prior_mean) ** 2) / prior_log_var.exp() - 1.0).sum(-1).mean())
            motion, h, c = generator.step(window, prev, style, latent, h, c)
        else:
            motion, h, c = generator(window, prev, style, torch.randn(batch, config.latent_dim), h, c, first)
        first = torch.zeros(batch, 1)
        outputs.append(motion)
        prev = motion
    kl = torch.stack(kls).mean() if kls else torch.zeros(())
    return torch.cat(outputs, dim=1), kl


def motion_loss(generator: Generator, predicted: torch.Tensor, target: torch.Tensor, prev: torch.Tensor, position_weight: float) -> torch.Tensor:
    """lambda * MSE(position) + (1 - lambda) * MSE(velocity), on normalised channels; the velocity of
    the first frame is taken from the last frame of the previous chunk."""
    scale: torch.Tensor = generator.motion_norm.std
    p, t = predicted / scale, target / scale
    last = prev[:, -1:] / scale
    vp = torch.diff(torch.cat([last, p], dim=1), dim=1)
    vt = torch.diff(torch.cat([last, t], dim=1), dim=1)
    return position_weight * F.mse_loss(p, t) + (1.0 - position_weight) * F.mse_loss(vp, vt)


def train_generator(takes: list[Take], styles: NDArray[np.float32], config: ModelConfig, stats: Statistics, settings: GeneratorSettings, *,
                    progress: Callable[[str], None] = print) -> Generator:
    torch.manual_seed(settings.seed)
    generator = Generator(config)
    generator.audio_norm.set(torch.tensor(stats.audio_mean, dtype=torch.float32), torch.tensor(stats.audio_std, dtype=torch.float32))
    generator.motion_norm.set(torch.tensor(stats.motion_mean, dtype=torch.float32), torch.tensor(stats.motion_std, dtype=torch.float32))
    posterior = Posterior(config)
    windows = GeneratorWindows(takes, styles, chunk=config.chunk, lookahead=config.lookahead, chunks=settings.chunks, seed=settings.seed)
    parameters = list(generator.parameters()) + list(posterior.parameters())
    optimiser = torch.optim.AdamW(parameters, lr=settings.lr, weight_decay=1e-5)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=settings.lr, total_steps=settings.steps, pct_start=0.1)
    started = time.monotonic()
    generator.train()
    for step in range(settings.steps):
        b = windows.batch(settings.batch)
        predicted, kl = rollout(generator, posterior, audio=b.audio, prev=b.prev, style=b.style, target=b.motion, chunks=settings.chunks)
        reconstruction = motion_loss(generator, predicted, b.motion, b.prev, settings.position_weight)
        loss = reconstruction + settings.kl_weight * torch.clamp(kl, min=settings.free_nats)
        optimiser.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimiser.step()
        schedule.step()
        if (step + 1) % _log_every(settings.steps) == 0:
            progress(f"generator: step {step + 1}/{settings.steps} loss {reconstruction.item():.4f} KL {kl.item():.2f} ({time.monotonic() - started:.0f} s)")
    return generator.eval()


