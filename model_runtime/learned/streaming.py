"""Streaming generation: audio feature rows in, motion frames out, each frame computed once.

The generator predicts ``chunk`` (N) frames per call from an audio window of M = N + L rows (L
rows of lookahead) and carries its LSTM state (h, c) to the next call, so the windows never
overlap in output and the motion is the same however the audio is split into pieces: a piece is
buffered until a whole window is there. At the end, :meth:`GeneratorStream.finish` repeats the
last audio row to fill the final window and trims the output to the frames that were pushed.

Each call gives the head and, per frame, the probabilities of a saccade onset and of its landing
code (for a gaze on the listener and for one looking away);
:func:`~model_runtime.learned.gaze_events.render_events` samples those into world gaze, and
the frames (head + gaze) go back in as the next call's previous motion. The generator's head is
the head's rest; the output head adds ``head_mover`` x the follow of the sampled gaze
(:mod:`.head_follow`). The per-chunk latent z
(scaled by the temperature) and the event
draws come from two streams seeded with ``seed``, in chunk order, so a seed always gives the same
motion and different seeds give different motion. The temperature and the onset gain (a factor
on the onset probabilities) default to the model's own, chosen on validation data. With
``targets`` the draws and the head are steered towards a style's statistics (:mod:`.steering`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from model_runtime.conventions import HEAD
from model_runtime.errors import GazeError
from model_runtime.learned.gaze_events import GENERATOR_MOTION, HEAD_PITCH_YAW, GazeState, render_events, to_angles
from model_runtime.learned.head_follow import DEFAULT_HEAD_MOVER, HeadFollow
from model_runtime.learned.models import LoadedModel
from model_runtime.learned.steering import Steering, StyleTargets, landing_weights


class GeneratorStream:
    """Stateful generator run; ``push`` rows of audio features, then ``finish`` once."""

    def __init__(self, model: LoadedModel, style: NDArray[np.floating], seed: int = 0, temperature: float | None = None,
                 *, onset_gain: float | None = None, targets: StyleTargets | None = None, head_mover: float = DEFAULT_HEAD_MOVER) -> None:
        config = model.config
        style = np.asarray(style, dtype=np.float32).reshape(-1)
        if style.shape[0] != config.style_dim:
            raise GazeError(f"style vector has {style.shape[0]} values; the model {model.path} expects {config.style_dim}")
        self._session = model.session
        self._config = config
        self._style = style[None, :]
        latent_seed, event_seed = np.random.SeedSequence(int(seed) & 0xFFFFFFFF).spawn(2)
        self._rng = np.random.default_rng(latent_seed)
        self._event_rng = np.random.default_rng(event_seed)
        self._gaze = GazeState.rest()
        self._steering = None if targets is None else Steering(targets, config.fps, landing=landing_weights(targets.away_landings, config.grid))
        self._follow = HeadFollow(config.fps)
        self._head_mover = float(head_mover)
        self._temperature = config.temperature if temperature is None else float(temperature)
        self._onset_gain = config.onset_gain if onset_gain is None else float(onset_gain)
        self._buffer = np.zeros((0, len(config.audio_features)), dtype=np.float32)
        self._prev = np.zeros((1, config.chunk, len(GENERATOR_MOTION)), dtype=np.float32)
        self._h = np.zeros((config.layers, 1, config.hidden), dtype=np.float32)
        self._c = np.zeros_like(self._h)
        self._first = np.ones((1, 1), dtype=np.float32)
        self._pushed = 0
        self._emitted = 0
        self._finished = False

    def _step(self, window: NDArray[np.float32]) -> NDArray[np.float32]:
        z = (self._rng.standard_normal((1, self._config.latent_dim)) * self._temperature).astype(np.float32)
        head, onset, landing, hop, self._h, self._c = self._session.run(None, {
            "audio": window[None], "prev_motion": self._prev, "style": self._style, "z": z,
            "h": self._h, "c": self._c, "first": self._first,
        })
        self._first = np.zeros((1, 1), dtype=np.float32)
        noise = self._event_rng.random((1, self._config.chunk, 4))
        steering = self._steering
        gaze = render_events(onset * self._onset_gain, landing, hop, self._gaze, noise, self._config.grid, self._config.fps,
                             None if steering is None else [steering])
        self._prev = np.concatenate([head, gaze], axis=-1).astype(np.float32)
        # The generator gets its own head back; only the output is steered and follows the gaze.
        shown = self._prev[0].astype(np.float64)
        if steering is not None:
            shown[:, HEAD] = steering.head(shown[:, HEAD], gaze[0])
        shown[:, HEAD_PITCH_YAW] += self._head_mover * self._follow(gaze[0])
        return to_angles(shown)

    def push(self, rows: NDArray[np.floating]) -> NDArray[np.float32]:
        """Add audio feature rows (frames, features); returns the motion frames (k, channels) now complete."""
        if self._finished:
            raise GazeError("this generator stream has finished; start a new one")
        rows = np.asarray(rows, dtype=np.float32)
        if rows.ndim != 2 or rows.shape[1] != self._buffer.shape[1]:
            raise GazeError(f"audio features must have shape (frames, {self._buffer.shape[1]}), got {rows.shape}")
        self._pushed += rows.shape[0]
        self._buffer = np.concatenate([self._buffer, rows])
        return self._drain()

    def _drain(self) -> NDArray[np.float32]:
        config = self._config
        out = []
        while self._buffer.shape[0] >= config.audio_window:
            out.append(self._step(self._buffer[: config.audio_window]))
            self._buffer = self._buffer[config.chunk :]
        frames = np.concatenate(out) if out else np.zeros((0, len(config.channels)), dtype=np.float32)
        self._emitted += frames.shape[0]
        return frames

    def finish(self) -> NDArray[np.float32]:
        """The remaining frames, up to exactly as many as audio rows were pushed in total."""
        if self._finished:
            raise GazeError("this generator stream has already finished")
        self._finished = True
        config = self._config
        missing = self._pushed - self._emitted
        if missing <= 0:
            return np.zeros((0, len(config.channels)), dtype=np.float32)
        chunks = -(-missing // config.chunk)
        needed = chunks * config.chunk + config.lookahead - self._buffer.shape[0]
        last = self._buffer[-1:] if self._buffer.shape[0] else np.zeros((1, self._buffer.shape[1]), dtype=np.float32)
        self._buffer = np.concatenate([self._buffer, np.repeat(last, needed, axis=0)])
        frames = np.concatenate([self._step(self._buffer[i * config.chunk : i * config.chunk + config.audio_window]) for i in range(chunks)])
        return frames[:missing]


def generate_frames(model: LoadedModel, audio_rows: NDArray[np.floating], style: NDArray[np.floating], seed: int = 0, temperature: float | None = None,
                    *, onset_gain: float | None = None, targets: StyleTargets | None = None, head_mover: float = DEFAULT_HEAD_MOVER) -> NDArray[np.float32]:
    """Motion (frames, channels) in degrees for a whole file of audio feature rows."""
    stream = GeneratorStream(model, style, seed, temperature, onset_gain=onset_gain, targets=targets, head_mover=head_mover)
    head = stream.push(audio_rows)
    return np.concatenate([head, stream.finish()])
