"""The whole training run behind ``python build.py train``: corpus, both networks, export, measurements, model card.

Everything is seeded, and torch runs deterministic CPU kernels, so the same settings on the same
data reproduce the shipped weights (up to floating-point differences between CPU types).
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from model_runtime import __version__
from model_runtime.conventions import ANGLE_CHANNELS, CHANNELS
from model_runtime.learned.features import feature_names
from model_runtime.learned.metadata import ModelConfig
from model_runtime.learned.models import GENERATOR_FILE, STYLE_ENCODER_FILE, load_models
from model_runtime.learned.steering import StyleTargets
from model_runtime.training.corpus import SyntheticSettings, Take, build_from_manifest, build_synthetic
from model_runtime.training.datasets import Statistics, select
from model_runtime.training.export import export_generator, export_style_encoder
from model_runtime.training.loops import GeneratorSettings, StyleSettings, take_styles, train_generator, train_style_encoder
from model_runtime.training.measure import measure, tune_sampling
from model_runtime.training.model_card import write_model_card
from model_runtime.training.networks import StyleEncoder


@dataclass(frozen=True)
class TrainSettings:
    speech_dir: Path
    out_dir: Path
    card: Path | None
    manifest: Path | None = None
    corpus: SyntheticSettings = field(default_factory=SyntheticSettings)
    style: StyleSettings = field(default_factory=StyleSettings)
    generator: GeneratorSettings = field(default_factory=GeneratorSettings)
    model: ModelConfig = field(default_factory=lambda: ModelConfig(audio_features=feature_names(40)))
    max_clips: int | None = None
    measure_performers: int = 20
    measure_seeds: int = 5
    temperatures: tuple[float, ...] = (0.0, 0.3, 0.6)
    onset_gains: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
    # One thread: the same result whatever the machine's core count, and robust when the cores are shared.
    threads: int = 1

    @classmethod
    def quick(cls, speech_dir: Path, out_dir: Path, card: Path | None = None) -> TrainSettings:
        """A run of seconds (tests, smoke checks): few clips, few performers, few steps, tiny networks."""
        return cls(
            speech_dir=speech_dir, out_dir=out_dir, card=card, max_clips=8,
            corpus=SyntheticSettings(performers=24, takes_per_performer=2, variants_per_clip=0, val_share=0.1, test_share=0.3),
            style=StyleSettings(steps=8, batch=8), generator=GeneratorSettings(steps=6, batch=8, chunks=4),
            model=ModelConfig(audio_features=feature_names(40), hidden=32, layers=2, style_dim=16, latent_dim=4),
            measure_performers=2, measure_seeds=2, temperatures=(0.2, 1.0), onset_gains=(1.0,),
        )


@torch.no_grad()
def preset_styles(encoder: StyleEncoder, takes: list[Take], window: int, count: int = 8) -> tuple[dict[str, tuple[float, ...]], dict[str, StyleTargets]]:
    """Each shipped preset's style vector and its statistics for steering, from the performer's
    renderings of it on ``count`` training takes' speech (what the runtime does on the user's
    speech): the encoder on each rendering's first window, averaged, and the renderings'
    :class:`StyleTargets` pooled."""
    from model_runtime.performer.engine import perform
    from model_runtime.performer.presets import PRESET_NAMES, load_preset

    angles = [CHANNELS.index(n) for n in ANGLE_CHANNELS]
    speech = [t for t in takes if t.n_frames >= window][:count]
    vectors, statistics = {}, {}
    for name in PRESET_NAMES:
        style = load_preset(name)
        renderings = [perform(t.features, style, seed=i) for i, t in enumerate(speech)]
        windows = [clip.data[:window, angles] for clip in renderings]
        vector = F.normalize(encoder(torch.tensor(np.stack(windows), dtype=torch.float32)).mean(0), dim=0)
        vectors[name] = tuple(float(x) for x in vector)
        found = [m for m in map(StyleTargets.of_clip, renderings) if m is not None]
        if found:
            statistics[name] = StyleTargets.pooled(found)
    return vectors, statistics


def train(settings: TrainSettings, progress: Callable[[str], None] = print) -> dict[str, float | str]:
    """Run everything; writes the two ONNX files under ``out_dir/models`` and the model card."""
    started = time.monotonic()
    torch.set_num_threads(settings.threads)
    torch.use_deterministic_algorithms(True)
    speech_dir = settings.speech_dir
    if settings.max_clips is not None:
        from model_runtime.training.corpus import speech_clips

        progress(f"corpus: using the first {settings.max_clips} of {len(speech_clips(speech_dir))} speech clips")
    takes = build_synthetic(speech_dir, settings.corpus, progress, max_clips=settings.max_clips)
    if settings.manifest is not None:
        takes += build_from_manifest(settings.manifest, settings.corpus.fps)
    corpus_s = time.monotonic() - started
    train_takes = select(takes, "train")
    stats = Statistics.of(train_takes)
    config = replace(settings.model, fps=settings.corpus.fps)

    t0 = time.monotonic()
    encoder = train_style_encoder(train_takes, config, stats, settings.style, progress=progress)
    style_s = time.monotonic() - t0
    styles = take_styles(encoder, train_takes, config.style_window)
    t0 = time.monotonic()
    generator = train_generator(train_takes, styles, config, stats, settings.generator, progress=progress)
    generator_s = time.monotonic() - t0

    presets, statistics = preset_styles(encoder, train_takes, config.style_window)
    counts = {s: sum(t.split == s for t in takes) for s in ("train", "val", "test")}
    hours = sum(t.n_frames for t in takes) / config.fps / 3600.0
    trained = {
        "version": f"{__version__}+{time.strftime('%Y%m%d')}",
        "takes": f"{len(takes)} ({counts['train']} train, {counts['val']} val, {counts['test']} test), {hours:.2f} h",
        "performers": str(len({t.performer for t in takes})),
        "speakers": str(len({t.speaker for t in takes})),
        "style_steps": str(settings.style.steps),
        "generator_steps": str(settings.generator.steps),
    }
    config = replace(config, presets=presets, preset_statistics=statistics, default_style=presets.get("neutral", ()), trained=trained)
    export_style_encoder(encoder, config, settings.out_dir / STYLE_ENCODER_FILE)
    export_generator(generator, config, settings.out_dir / GENERATOR_FILE)
    progress(f"exported {settings.out_dir / GENERATOR_FILE} and {settings.out_dir / STYLE_ENCODER_FILE}")

    # The latent's scale and the onset gain at inference: chosen on the validation split, then written into both files.
    temperature, gain = tune_sampling(load_models(settings.out_dir), takes, settings.temperatures, settings.onset_gains, progress=progress)
    config = replace(config, temperature=temperature, onset_gain=gain)
    export_style_encoder(encoder, config, settings.out_dir / STYLE_ENCODER_FILE)
    export_generator(generator, config, settings.out_dir / GENERATOR_FILE)
    models = load_models(settings.out_dir)
    t0 = time.monotonic()
    results: dict[str, float | str] = dict(measure(models, takes, settings.measure_performers, settings.measure_seeds, progress=progress))
    results.update({
        "corpus_s": corpus_s, "style_training_s": style_s, "generator_training_s": generator_s, "measure_s": time.monotonic() - t0,
        "total_s": time.monotonic() - started,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, torch {torch.__version__}, {settings.threads} threads",
        "model_bytes": float(sum((settings.out_dir / f).stat().st_size for f in (GENERATOR_FILE, STYLE_ENCODER_FILE))),
    })
    if settings.card is not None:
        write_model_card(settings.card, config, results, {
            "corpus": asdict(settings.corpus), "style": asdict(settings.style), "generator": asdict(settings.generator),
            "manifest": str(settings.manifest) if settings.manifest else "none",
        })
        progress(f"wrote {settings.card}")
    return results
