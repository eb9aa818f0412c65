"""Training loops: NT-Xent pretraining of the style encoder, then the generator: its head as a
conditional VAE with the position + velocity loss, unrolled over chunks on its own outputs as at
run time; its gaze events (saccade onsets and landing codes) scored frame by frame against the
takes'; and free-running rows (latents from the prior, events sampled) whose head is held to the
true windows' statistics."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray
from torch.nn import functional as F

from model_runtime.conventions import HEAD
from model_runtime.learned.gaze_events import GAZE, GazeState, gaze_state, render_events
from model_runtime.learned.metadata import ModelConfig
from model_runtime.training.corpus import Take
from model_runtime.training.datasets import GeneratorWindows, Statistics, StylePairs
from model_runtime.training.networks import Generator, Posterior, StyleEncoder, hop_parameters


@dataclass(frozen=True)
class StyleSettings:
    steps: int = 800
    batch: int = 48
    temperature: float = 0.1
    lr: float = 1e-3
    seed: int = 0


@dataclass(frozen=True)
class GeneratorSettings:
    """``position_weight`` is lambda in lambda * MSE(position) + (1 - lambda) * MSE(velocity) of the
    head (on normalised channels); ``kl_weight`` weighs the latent's KL term, ``free_nats`` per chunk
    are not penalised so the latent keeps carrying the head motion that audio cannot predict.
    ``event_weight`` weighs the onset cross-entropy and, times ``landing_weight``, the landing one.

    Each batch is also run free, with latents drawn from the prior and gaze events sampled as at
    inference; those rows are not held to the true frames but to the head's window statistics
    (:func:`head_statistics`), weighted by ``statistics_weight``, so sampled heads are as large and
    as lively as the takes' rather than their blurred mean."""

    steps: int = 2500
    batch: int = 32
    chunks: int = 8
    position_weight: float = 0.5
    kl_weight: float = 3e-3
    free_nats: float = 2.0
    statistics_weight: float = 1.0
    event_weight: float = 1.0
    landing_weight: float = 0.1
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


@dataclass
class Rollout:
    """What :func:`rollout` gives: head (B, T, 3) degrees, onset logits (B, T, S), landing logits
    (B, T, S, K), hop logits (B, T, S, 2) for the S gaze states, gaze (B, T, 2) the world gaze fed
    on (true or sampled), and the mean KL per chunk."""

    head: torch.Tensor
    onset: torch.Tensor
    landing: torch.Tensor
    hop: torch.Tensor
    gaze: torch.Tensor
    kl: torch.Tensor


def rollout(generator: Generator, posterior: Posterior, *, audio: torch.Tensor, prev: torch.Tensor, style: torch.Tensor,
            target: torch.Tensor, chunks: int, inferred: torch.Tensor, rng: np.random.Generator) -> Rollout:
    """Run ``chunks`` chunks, each chunk's head output fed back as the next one's previous motion.

    Rows where ``inferred`` (B,) is true are the conditional VAE's: z is inferred from the true
    head (KL against the state-conditioned prior) and the gaze fed on is the true one (teacher
    forcing: its events are scored frame by frame). The other rows run as at inference: z from the
    prior, gaze events sampled from the generator's own probabilities and rendered.
    """
    config = generator.config
    n = config.chunk
    free = ~inferred
    head_mean, head_std = generator.motion_norm.mean[HEAD], generator.motion_norm.std[HEAD]
    state = GazeState(prev[free, -1, GAZE].double().numpy().copy(), prev[free, -1, GAZE].double().numpy().copy(), np.full(int(free.sum()), 1e6))
    h, c = generator.initial_state(audio.shape[0])
    heads, onsets, landings, hops, gazes, kls = [], [], [], [], [], []
    for k in range(chunks):
        window = audio[:, k * n : k * n + config.audio_window]
        truth = target[:, k * n : (k + 1) * n]
        prior_mean, prior_log_var = generator.prior_stats(h)
        latent = prior_mean + torch.randn_like(prior_mean) * torch.exp(0.5 * prior_log_var)
        mean, log_var = posterior((prev[inferred][..., HEAD] - head_mean) / head_std, (truth[inferred][..., HEAD] - head_mean) / head_std)
        latent = latent.clone()
        latent[inferred] = mean + torch.randn_like(mean) * torch.exp(0.5 * log_var)
        p_mean, p_log_var = prior_mean[inferred], prior_log_var[inferred]
        kls.append(0.5 * (p_log_var - log_var + (log_var.exp() + (mean - p_mean) ** 2) / p_log_var.exp() - 1.0).sum(-1).mean())
        head, onset, landing, hop, h, c = generator.step(window, prev, style, latent, h, c)
        gaze = truth[..., GAZE].clone()
        if free.any():
            with torch.no_grad():
                sampled = render_events(torch.sigmoid(onset[free]).double().numpy(), torch.softmax(landing[free], -1).double().numpy(),
                                        hop_parameters(hop[free]).double().numpy(), state, rng.random((int(free.sum()), n, 4)), config.grid, config.fps)
            gaze[free] = torch.from_numpy(sampled).float()
        heads.append(head)
        onsets.append(onset)
        landings.append(landing)
        hops.append(hop)
        gazes.append(gaze)
        prev = torch.cat([head, gaze], dim=-1)
    return Rollout(torch.cat(heads, 1), torch.cat(onsets, 1), torch.cat(landings, 1), torch.cat(hops, 1), torch.cat(gazes, 1), torch.stack(kls).mean())


def in_state(outputs: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
    """Per frame, the event outputs (B, T, S, ...) for the gaze state (B, T) that frame starts in -> (B, T, ...)."""
    index = state.reshape(*state.shape, 1, *([1] * (outputs.dim() - 3)))
    return torch.take_along_dim(outputs, index, dim=2).squeeze(2)


def landing_nll(landing: torch.Tensor, hop: torch.Tensor, gaze_before: torch.Tensor, code: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """Mean negative log-likelihood of the landing ``code`` (n,) under the mixture of
    :func:`model_runtime.learned.gaze_events.landing_probabilities`: landing logits (n, K), hop
    logits (n, 2), ``gaze_before`` (n, 2) the gaze the saccade starts from, ``centres`` (K, 2)."""
    spread = hop_parameters(hop)[:, 1:2]
    local = torch.log_softmax(-((centres[None] - gaze_before[:, None]) ** 2).sum(-1) / (2.0 * spread**2), dim=-1)
    pick = code[:, None]
    log_global = torch.log_softmax(landing, dim=-1).gather(1, pick)[:, 0] + F.logsigmoid(-hop[:, 0])
    log_local = local.gather(1, pick)[:, 0] + F.logsigmoid(hop[:, 0])
    return -torch.logaddexp(log_global, log_local).mean()


def head_loss(generator: Generator, predicted: torch.Tensor, target: torch.Tensor, prev: torch.Tensor, position_weight: float) -> torch.Tensor:
    """lambda * MSE(position) + (1 - lambda) * MSE(velocity) of the head (B, T, 3), on normalised
    channels; the velocity of the first frame is taken from the last frame of the previous chunk."""
    scale: torch.Tensor = generator.motion_norm.std[HEAD]
    p, t = predicted / scale, target / scale
    last = prev[:, -1:, HEAD] / scale
    vp = torch.diff(torch.cat([last, p], dim=1), dim=1)
    vt = torch.diff(torch.cat([last, t], dim=1), dim=1)
    return position_weight * F.mse_loss(p, t) + (1.0 - position_weight) * F.mse_loss(vp, vt)


def head_statistics(head: torch.Tensor, gaze: torch.Tensor, scale: torch.Tensor, still_deg: float = 0.3, stable_deg: float = 0.8) -> torch.Tensor:
    """(B, F): what a window's head style is made of, per window of (B, T, 3) head degrees with its
    world gaze (B, T, 2): on channels divided by ``scale``, each channel's mean and the covariance
    of the channels (spread), the mean absolute velocity, displacement over 4 frames and velocity
    covariance (energy), the soft share of frames where a channel moves less than about
    ``still_deg`` (still or drifting), and the mean head speed over frames where the world gaze
    moves less than ``stable_deg`` (20 deg/s at 25 fps, the compensation score's threshold): how
    much the head turns while the eyes hold a target, which is what the compensation score and the
    fixations of eye-in-head gaze respond to (weighted up, x3, being one number)."""
    x = head / scale
    v = torch.diff(x, dim=1)
    centred = x - x.mean(dim=1, keepdim=True)
    upper = torch.triu_indices(x.shape[2], x.shape[2])
    covariance = (centred.transpose(1, 2) @ centred / x.shape[1])[:, upper[0], upper[1]]
    velocity_covariance = (v.transpose(1, 2) @ v / v.shape[1])[:, upper[0], upper[1]]
    displacement = (x[:, 4:] - x[:, :-4]).abs().mean(dim=1)
    still = torch.exp(-((torch.diff(head, dim=1) / still_deg) ** 2)).mean(dim=1)
    stable = (torch.diff(gaze, dim=1).norm(dim=-1) < stable_deg).float()
    head_speed = torch.sqrt((torch.diff(head[..., :2], dim=1) ** 2).sum(-1) + 1e-6)
    held = 3.0 * (stable * head_speed).sum(dim=1, keepdim=True) / stable.sum(dim=1, keepdim=True).clamp(min=1.0)
    return torch.cat([x.mean(dim=1), covariance, v.abs().mean(dim=1), displacement, velocity_covariance, still, held], dim=-1)


def train_generator(takes: list[Take], styles: NDArray[np.float32], config: ModelConfig, stats: Statistics, settings: GeneratorSettings, *,
                    progress: Callable[[str], None] = print) -> Generator:
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    generator = Generator(config)
    generator.audio_norm.set(torch.tensor(stats.audio_mean, dtype=torch.float32), torch.tensor(stats.audio_std, dtype=torch.float32))
    generator.motion_norm.set(torch.tensor(stats.generator_mean, dtype=torch.float32), torch.tensor(stats.generator_std, dtype=torch.float32))
    generator.head_step.set(torch.zeros(3), torch.tensor(stats.velocity_std[HEAD], dtype=torch.float32))
    posterior = Posterior(config)
    windows = GeneratorWindows(takes, styles, chunk=config.chunk, lookahead=config.lookahead, chunks=settings.chunks, grid=config.grid,
                               fps=config.fps, seed=settings.seed)
    parameters = list(generator.parameters()) + list(posterior.parameters())
    optimiser = torch.optim.AdamW(parameters, lr=settings.lr, weight_decay=1e-5)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=settings.lr, total_steps=settings.steps, pct_start=0.1)
    started = time.monotonic()
    generator.train()
    scale: torch.Tensor = generator.motion_norm.std[HEAD]
    centres = torch.tensor(config.grid.centres, dtype=torch.float32)
    for step in range(settings.steps):
        b = windows.batch(settings.batch)
        # The batch twice over: first with inferred latents and true gaze (reconstruction, events,
        # KL), then free-running as at inference, held to the true windows' head statistics.
        inferred = torch.arange(2 * settings.batch) < settings.batch
        twice = [torch.cat([x, x]) for x in (b.audio, b.prev, b.style, b.motion)]
        run = rollout(generator, posterior, audio=twice[0], prev=twice[1], style=twice[2], target=twice[3], chunks=settings.chunks,
                      inferred=inferred, rng=rng)
        reconstruction = head_loss(generator, run.head[inferred], b.motion[..., HEAD], b.prev, settings.position_weight)
        # Each frame's events are scored in the gaze state it starts from, as the renderer picks them.
        before = torch.cat([b.prev[:, -1:, GAZE], b.motion[:, :-1, GAZE]], dim=1)
        state = torch.from_numpy(gaze_state(before.numpy()))
        onset = F.binary_cross_entropy_with_logits(in_state(run.onset[inferred], state), b.onset)
        landed = b.landing >= 0
        landing = (landing_nll(in_state(run.landing[inferred], state)[landed], in_state(run.hop[inferred], state)[landed], before[landed],
                               b.landing[landed], centres) if landed.any() else torch.zeros(()))
        statistics = F.mse_loss(head_statistics(run.head[~inferred], run.gaze[~inferred], scale), head_statistics(b.motion[..., HEAD], b.motion[..., GAZE], scale))
        loss = (reconstruction + settings.event_weight * (onset + settings.landing_weight * landing)
                + settings.kl_weight * torch.clamp(run.kl, min=settings.free_nats) + settings.statistics_weight * statistics)
        optimiser.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimiser.step()
        schedule.step()
        if (step + 1) % _log_every(settings.steps) == 0:
            progress(f"generator: step {step + 1}/{settings.steps} head {reconstruction.item():.4f} onset {onset.item():.4f} "
                     f"landing {landing.item():.3f} KL {run.kl.item():.2f} statistics {statistics.item():.4f} ({time.monotonic() - started:.0f} s)")
    return generator.eval()
