"""Training loops: NT-Xent pretraining of the style encoder, then the generator as a conditional VAE
with the position + velocity loss, unrolled over chunks on its own outputs as at run time, plus
free-running rows (latents from the prior) held to the true windows' statistics."""

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
    penalised so the latent keeps carrying the saccade timing that audio cannot predict.

    Each batch is also run free, with latents drawn from the prior as at inference; those rows are
    not held to the true frames (their saccades need not fall where the take's did) but to its
    window statistics (:func:`window_statistics`), weighted by ``statistics_weight``: this is what
    makes sampled motion as large, as jumpy and as styled as the takes rather than a blurred mean."""

    steps: int = 2500
    batch: int = 32
    chunks: int = 8
    position_weight: float = 0.5
    kl_weight: float = 3e-3
    free_nats: float = 2.0
    statistics_weight: float = 1.0
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
            target: torch.Tensor | None, chunks: int, inferred: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Run ``chunks`` chunks feeding each chunk's output back as the next one's previous motion.

    With a posterior and targets, z is inferred from the true chunk (training) for the rows where
    ``inferred`` (B,) is true (default: all) and the KL term is against the state-conditioned
    prior; every other row samples z from that prior, as at inference.
    Returns the motion (B, chunks * N, 7) and the mean KL per chunk of the inferred rows.
    """
    config = generator.config
    n, batch = config.chunk, audio.shape[0]
    h, c = generator.initial_state(batch)
    first = torch.ones(batch, 1)
    rows = torch.ones(batch, dtype=torch.bool) if inferred is None else inferred
    outputs, kls = [], []
    for k in range(chunks):
        window = audio[:, k * n : k * n + config.audio_window]
        if posterior is not None and target is not None:
            prior_mean, prior_log_var = generator.prior_stats(h)
            prior_latent = prior_mean + torch.randn_like(prior_mean) * torch.exp(0.5 * prior_log_var)
            mean, log_var = posterior(generator.motion_norm(prev[rows]), generator.motion_norm(target[rows, k * n : (k + 1) * n]))
            latent = prior_latent.clone()
            latent[rows] = mean + torch.randn_like(mean) * torch.exp(0.5 * log_var)
            p_mean, p_log_var = prior_mean[rows], prior_log_var[rows]
            kls.append(0.5 * (p_log_var - log_var + (log_var.exp() + (mean - p_mean) ** 2) / p_log_var.exp() - 1.0).sum(-1).mean())
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


def window_statistics(motion: torch.Tensor, scale: torch.Tensor, still_deg: float = 0.3, stable_deg: float = 0.8,
                      mutual_deg: float = 10.0) -> torch.Tensor:
    """(B, F): what a window's style is made of, per window of (B, T, 7) degrees (ANGLE_CHANNELS).

    On channels divided by ``scale``: each channel's mean (where the gaze rests), the covariance of
    the channels (head and eye spread), the mean absolute velocity, displacement over 4 frames and
    velocity covariance (motion energy; how eyes and head move together). Then soft shares, so they
    have a gradient: frames where a channel moves less than about ``still_deg`` (with the energy,
    this tells sparse saccades between fixations from smooth wandering), frames where the gaze in
    the world (head + mean eye, small-angle) moves less than ``stable_deg`` per frame (20 deg/s at
    25 fps, the compensation score's threshold) and the head speed in those frames (how much the
    eyes counter-rotate a moving head), and frames with the gaze within ``mutual_deg`` of straight
    ahead (mutual gaze with a listener there); weighted up (x3) because they are few next to the rest."""
    x = motion / scale
    v = torch.diff(x, dim=1)
    centred = x - x.mean(dim=1, keepdim=True)
    upper = torch.triu_indices(x.shape[2], x.shape[2])
    covariance = (centred.transpose(1, 2) @ centred / x.shape[1])[:, upper[0], upper[1]]
    velocity_covariance = (v.transpose(1, 2) @ v / v.shape[1])[:, upper[0], upper[1]]
    displacement = (x[:, 4:] - x[:, :-4]).abs().mean(dim=1)
    velocity_deg = torch.diff(motion, dim=1)
    still = torch.exp(-((velocity_deg / still_deg) ** 2)).mean(dim=1)
    head = velocity_deg[..., 0:2]
    world = head + 0.5 * (velocity_deg[..., 3:5] + velocity_deg[..., 5:7])
    stable = torch.sigmoid((stable_deg - torch.sqrt((world**2).sum(-1) + 1e-6)) / 0.1)
    head_speed = torch.sqrt((head**2).sum(-1) + 1e-6)
    gaze = motion[..., 0:2] + 0.5 * (motion[..., 3:5] + motion[..., 5:7])
    mutual = torch.sigmoid((mutual_deg - torch.sqrt((gaze**2).sum(-1) + 1e-6)) / 1.0)
    shares = torch.cat([still, stable.mean(dim=1, keepdim=True), (stable * head_speed).mean(dim=1, keepdim=True),
                        mutual.mean(dim=1, keepdim=True)], dim=-1)
    return torch.cat([x.mean(dim=1), covariance, v.abs().mean(dim=1), displacement, velocity_covariance, 3.0 * shares], dim=-1)


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
    scale: torch.Tensor = generator.motion_norm.std
    for step in range(settings.steps):
        b = windows.batch(settings.batch)
        # The batch twice over: first with inferred latents (reconstruction + KL), then free-running.
        inferred = torch.arange(2 * settings.batch) < settings.batch
        twice = [torch.cat([x, x]) for x in (b.audio, b.prev, b.style, b.motion)]
        predicted, kl = rollout(generator, posterior, audio=twice[0], prev=twice[1], style=twice[2], target=twice[3], chunks=settings.chunks,
                                inferred=inferred)
        reconstruction = motion_loss(generator, predicted[inferred], b.motion, b.prev, settings.position_weight)
        statistics = F.mse_loss(window_statistics(predicted[~inferred], scale), window_statistics(b.motion, scale))
        loss = reconstruction + settings.kl_weight * torch.clamp(kl, min=settings.free_nats) + settings.statistics_weight * statistics
        optimiser.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimiser.step()
        schedule.step()
        if (step + 1) % _log_every(settings.steps) == 0:
            progress(f"generator: step {step + 1}/{settings.steps} loss {reconstruction.item():.4f} KL {kl.item():.2f} "
                     f"statistics {statistics.item():.4f} ({time.monotonic() - started:.0f} s)")
    return generator.eval()
