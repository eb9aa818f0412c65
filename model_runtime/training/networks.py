"""The two networks of the learned engine (after StyGazeTalk, see docs/model_card.md).

StyleEncoder   a Transformer encoder over a window of motion -> a unit-length style vector.
Generator      a multi-layer LSTM with learnable initial states (h0, c0). Per frame its input is
               projected audio, projected previous motion, the style vector and a per-chunk latent
               z; one call predicts the next N frames from an audio window of M = N + L frames.
               Its outputs per frame: the head angles, the probability that a saccade starts and
               the probabilities of the world-gaze grid codes it lands on, each for a gaze on the
               listener and for one looking away, which the runtime samples (gaze as sampled
               codes, as TalkingEyes does; see learned.gaze_events).
               z comes from a learned prior conditioned on the LSTM state, p(z | h) = N(mu(h),
               sigma(h)), sampled with noise from the seed at inference; during training a
               posterior network infers z from the true chunk (a conditional VAE for the head, as
               TalkingEyes has, with a state-conditioned prior as in a variational RNN), so the
               head keeps the motion that audio cannot predict instead of its average.

Both take and return degrees; normalisation statistics live inside them as buffers so the ONNX
graphs are self-contained.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from model_runtime.conventions import HEAD
from model_runtime.learned.gaze_events import GAZE_STATES, GENERATOR_MOTION, MIN_HOP_DEG
from model_runtime.learned.metadata import ModelConfig

# Per-frame motion (deg) below which the style encoder's log-speed input stays near zero.
SMALL_MOTION_DEG = 0.3


class _Normaliser(nn.Module):
    mean: Tensor
    std: Tensor

    def __init__(self, size: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(size))
        self.register_buffer("std", torch.ones(size))

    def set(self, mean: Tensor, std: Tensor) -> None:
        self.mean.copy_(mean)
        self.std.copy_(torch.clamp(std, min=1e-3))

    def forward(self, x: Tensor) -> Tensor:
        return (x - self.mean) / self.std

    def inverse(self, x: Tensor) -> Tensor:
        return x * self.std + self.mean


class _EncoderLayer(nn.Module):
    """Pre-norm self-attention + feed-forward, written out so it exports to plain ONNX ops."""

    def __init__(self, dim: int, heads: int, ff: int) -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, ff), nn.GELU(), nn.Linear(ff, dim))

    def forward(self, x: Tensor) -> Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        attention = torch.softmax(q @ k.transpose(-1, -2) / (d // self.heads) ** 0.5, dim=-1)
        x = x + self.out((attention @ v).transpose(1, 2).reshape(b, t, d))
        out: Tensor = x + self.ff(self.norm2(x))
        return out


class StyleEncoder(nn.Module):
    """(batch, style_window, channels) degrees -> (batch, style_dim) unit vectors."""

    def __init__(self, config: ModelConfig, layers: int = 2, heads: int = 4) -> None:
        super().__init__()
        channels = len(config.channels)
        dim = config.style_dim
        self.motion_norm = _Normaliser(channels)
        self.velocity_norm = _Normaliser(channels)
        self.embed = nn.Linear(3 * channels, dim)
        self.position = nn.Parameter(torch.randn(config.style_window, dim) * 0.02)
        self.layers = nn.ModuleList(_EncoderLayer(dim, heads, 2 * dim) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.project = nn.Linear(dim, dim)

    def forward(self, motion: Tensor) -> Tensor:
        velocity = torch.cat([torch.zeros_like(motion[:, :1]), motion[:, 1:] - motion[:, :-1]], dim=1)
        # Speed on a log scale as well: normalised velocity is dominated by large looks away, and
        # the small saccades (a style's saccade rate) would vanish next to them.
        speed = torch.log1p(velocity.abs() / SMALL_MOTION_DEG)
        x = self.embed(torch.cat([self.motion_norm(motion), self.velocity_norm(velocity), speed], dim=-1)) + self.position
        for layer in self.layers:
            x = layer(x)
        pooled = self.norm(x).mean(dim=1)
        return F.normalize(self.project(pooled), dim=-1)


class Generator(nn.Module):
    """One streaming step: the next ``chunk`` frames and the LSTM state to carry to the next call.

    Motion here is the generator's own layout (:data:`GENERATOR_MOTION`: head pitch, yaw, roll and
    world gaze pitch, yaw, degrees). Per frame it gives the head, the probability that a saccade
    starts, and the probabilities of the grid codes it would land on; the runtime samples and
    renders those (:mod:`model_runtime.learned.gaze_events`)."""

    def __init__(self, config: ModelConfig, audio_dim: int = 128, motion_dim: int = 32) -> None:
        super().__init__()
        channels = len(GENERATOR_MOTION)
        self.config = config
        self.audio_norm = _Normaliser(len(config.audio_features))
        self.motion_norm = _Normaliser(channels)
        # A causal-in-state, L-frame-lookahead view of the audio: frame t sees audio t .. t + L.
        self.audio_proj = nn.Conv1d(len(config.audio_features), audio_dim, kernel_size=config.lookahead + 1)
        self.motion_proj = nn.Linear(channels, motion_dim)
        # The previous chunk's last frame once more: where the gaze rests as this chunk starts.
        self.last_proj = nn.Linear(channels, motion_dim)
        self.lstm = nn.LSTM(audio_dim + 2 * motion_dim + config.style_dim, config.hidden, config.layers, batch_first=True)
        self.h0 = nn.Parameter(torch.zeros(config.layers, 1, config.hidden))
        self.c0 = nn.Parameter(torch.zeros(config.layers, 1, config.hidden))
        # The latent reaches the head only, after the LSTM: were it an LSTM input, the onset and
        # landing outputs would learn to read the true chunk's events from the posterior's latent
        # and be miscalibrated on the prior's. The head is predicted as velocities added up from
        # the previous chunk's last frame, so a new latent each chunk cannot make it jump.
        self.head_step = _Normaliser(3)
        self.head = nn.Sequential(nn.Linear(config.hidden + config.latent_dim, config.hidden), nn.GELU(), nn.Linear(config.hidden, 3))
        # One set of event outputs per gaze state (on the listener, away): see learned.gaze_events.
        self.onset = nn.Linear(config.hidden, GAZE_STATES)
        self.landing = nn.Linear(config.hidden, GAZE_STATES * config.grid.size)
        self.hop = nn.Linear(config.hidden, GAZE_STATES * 2)
        self.prior = nn.Linear(config.hidden, 2 * config.latent_dim)

    def initial_state(self, batch: int) -> tuple[Tensor, Tensor]:
        return self.h0.expand(-1, batch, -1).contiguous(), self.c0.expand(-1, batch, -1).contiguous()

    def prior_stats(self, h: Tensor) -> tuple[Tensor, Tensor]:
        """Mean and log variance (B, Z) of the latent's prior given the state (layers, B, hidden)."""
        mean, log_var = self.prior(h[-1]).chunk(2, dim=-1)
        return mean, torch.clamp(log_var, -8.0, 4.0)

    def forward(self, audio: Tensor, prev_motion: Tensor, style: Tensor, z: Tensor, h: Tensor, c: Tensor, first: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:  # noqa: PLR0917 (the ONNX graph's inputs, passed positionally by the exporter)
        """audio (B, M, A), prev_motion (B, N, 5) degrees (the previous chunk), style (B, S), z (B, Z)
        standard normal noise, h and c (layers, B, hidden), first (B, 1): 1 at the start of a take
        (use h0, c0), else 0. Returns head (B, N, 3) degrees, onset (B, N, S) and landing
        (B, N, S, K) probabilities, hop (B, N, S, 2): the probability that a saccade is a local hop
        and the hop's spread in degrees (see :func:`model_runtime.learned.gaze_events.landing_probabilities`),
        each for the S gaze states, and the new h, c."""
        start = first.reshape(1, -1, 1)
        h = start * self.h0 + (1.0 - start) * h
        c = start * self.c0 + (1.0 - start) * c
        mean, log_var = self.prior_stats(h)
        head, onset, landing, hop, h_out, c_out = self.step(audio, prev_motion, style, mean + torch.exp(0.5 * log_var) * z, h, c)
        return head, torch.sigmoid(onset), torch.softmax(landing, dim=-1), hop_parameters(hop), h_out, c_out

    def step(self, audio: Tensor, prev_motion: Tensor, style: Tensor, latent: Tensor, h: Tensor, c: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:  # noqa: PLR0917
        """One chunk from a given latent and state, as logits (training feeds the posterior's latent here):
        head (B, N, 3) degrees, onset logits (B, N, S), landing logits (B, N, S, K), hop logits (B, N, S, 2), h, c."""
        n = self.config.chunk
        a = torch.tanh(self.audio_proj(self.audio_norm(audio).transpose(1, 2)).transpose(1, 2))
        prev = self.motion_norm(prev_motion)
        p = torch.tanh(self.motion_proj(prev))
        last = torch.tanh(self.last_proj(prev[:, -1]))
        extra = torch.cat([last, style], dim=-1).unsqueeze(1).expand(-1, n, -1)
        y, (h_out, c_out) = self.lstm(torch.cat([a, p, extra], dim=-1), (h, c))
        velocity = self.head_step.inverse(self.head(torch.cat([y, latent.unsqueeze(1).expand(-1, n, -1)], dim=-1)))
        head = prev_motion[:, -1:, HEAD] + torch.cumsum(velocity, dim=1)
        b = y.shape[0]
        return head, self.onset(y), self.landing(y).reshape(b, n, GAZE_STATES, self.config.grid.size), self.hop(y).reshape(b, n, GAZE_STATES, 2), h_out, c_out


def hop_parameters(hop: Tensor) -> Tensor:
    """(..., 2) raw outputs -> hop probability and spread (degrees, at least MIN_HOP_DEG)."""
    return torch.stack([torch.sigmoid(hop[..., 0]), F.softplus(hop[..., 1]) + MIN_HOP_DEG], dim=-1)


class Posterior(nn.Module):
    """Training only: q(z | previous chunk, true chunk), head channels normalised, -> (mean, log variance)."""

    def __init__(self, config: ModelConfig, width: int = 128) -> None:
        super().__init__()
        size = 2 * config.chunk * 3  # the head channels only: z is the head's unpredictable part
        self.net = nn.Sequential(nn.Linear(size, width), nn.GELU(), nn.Linear(width, 2 * config.latent_dim))

    def forward(self, prev_norm: Tensor, target_norm: Tensor) -> tuple[Tensor, Tensor]:
        stats = self.net(torch.cat([prev_norm.flatten(1), target_norm.flatten(1)], dim=-1))
        mean, log_var = stats.chunk(2, dim=-1)
        return mean, torch.clamp(log_var, -8.0, 4.0)
