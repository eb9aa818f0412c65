"""Write docs/model_card.md from a training run's configuration and measurements."""

from __future__ import annotations

import json
import math
from pathlib import Path

from model_runtime.learned.metadata import ModelConfig

# The acceptance bars, checked against the measurements in the card.
BARS: tuple[tuple[str, str, str], ...] = (
    ("fixation ratio vs reference takes", "abs(fixation_ratio - reference_fixation_ratio)", "<= 0.03"),
    ("compensation score vs reference takes", "abs(comp_score - reference_comp_score)", "<= 0.03"),
    ("similarity score", "sim_score", ">= 0.92"),
    ("style encoder retrieval, single windows", "retrieval_top1_single_window", ">= 0.90"),
    ("style retrieval from generated motion", "retrieval_top1_generated", ">= 0.80"),
    ("diversity across 5 seeds (deg)", "diversity_deg", "> 0"),
    ("style transfer r, saccade rate", "style_transfer_r_saccade_rate_hz", ">= 0.9"),
    ("style transfer r, mutual-gaze share", "style_transfer_r_mutual_gaze_share", ">= 0.9"),
    ("style transfer r, head std yaw", "style_transfer_r_head_std_yaw_deg", ">= 0.9"),
    ("style transfer r, head std pitch", "style_transfer_r_head_std_pitch_deg", ">= 0.9"),
    ("style transfer r, blink rate", "style_transfer_r_blink_rate_per_min", ">= 0.9"),
)


def _value(results: dict[str, float | str], expression: str) -> float:
    if expression.startswith("abs("):
        a, b = expression[4:-1].split(" - ")
        return abs(float(results[a]) - float(results[b]))
    return float(results[expression])


def _passes(value: float, bar: str) -> bool:
    op, number = bar.split()
    limit = float(number)
    return math.isfinite(value) and {"<=": value <= limit, ">=": value >= limit, ">": value > limit}[op]


def _fmt(value: float | str) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def write_model_card(path: Path, config: ModelConfig, results: dict[str, float | str], settings: dict[str, object]) -> None:
    lines = [
        "# Model card: learned gaze and head engine",
        "",
        "Written by `python build.py train` (model_runtime/training/model_card.py); every number below",
        "was measured by that run on the held-out test split through the shipped ONNX runtime.",
        "",
        "## Model",
        f"- Version {config.trained.get('version', '?')}; ONNX files `assets/models/gaze_generator.onnx` and "
        f"`assets/models/style_encoder.onnx` ({float(results.get('model_bytes', 0.0)) / 1e6:.2f} MB together).",
        f"- Style encoder: Transformer encoder (2 layers, 4 heads) over {config.style_window} frames "
        f"({config.style_window / config.fps:.1f} s) of the 7 angle channels, their velocities and their log speeds -> {config.style_dim}-d unit vector, "
        "pretrained alone with NT-Xent (SimCLR); positives are two windows of one performer (two of its takes on different speech when it has them).",
        f"- Generator: {config.layers}-layer LSTM ({config.hidden} units) with learnable initial states h0, c0; per frame: "
        f"projected audio ({len(config.audio_features)} features: 40 log-mel bands, pitch, voicing, loudness, onset, speech flag; "
        f"a convolution sees {config.lookahead} frames ahead), projected previous motion (head and world gaze), the style vector "
        f"and a {config.latent_dim}-d latent. One call predicts N = {config.chunk} frames from an audio window of M = "
        f"{config.audio_window} frames and carries (h, c) on. Per frame it gives the angles of the head's rest (position + velocity loss; "
        "the takes' heads without their performer's head-mover share of the follow of their gaze, measured per performer), "
        "the probability that a saccade starts (binary cross-entropy against the takes' saccade onsets) and the "
        f"probabilities of {config.grid.size} landing codes on a {config.grid.step_deg:g}-degree grid of world gaze (cross-entropy "
        "at the onsets), both twice over: for a gaze on the listener and for one looking away, each frame scored in the state "
        "its gaze is in.",
        "- Stochastic part: gaze is sampled, as TalkingEyes samples gaze codes: each frame an onset is drawn from its "
        f"probability times {config.onset_gain:g} (chosen on the validation split; at most one per 0.12 s) and its landing "
        "code from a mixture of the code probabilities and a local hop around the current gaze, then rendered at saccade "
        "speed; between saccades the gaze holds still in the world, so the eyes counter-rotate the head. The head has a "
        "conditional VAE latent, inferred from the true chunk in training and at inference drawn from a learned prior "
        f"conditioned on the LSTM state, one draw per chunk, noise scaled by {config.temperature:g} (chosen on the validation "
        "split). Each training batch also runs free, as at inference, and those rows' head motion is held to the take's window "
        "statistics (means, covariances, velocity energy, share of still frames), so sampled heads keep the takes' size. "
        "All draws come from the seed.",
        "- Head follow (model_runtime/learned/head_follow.py): the generator predicts a chunk's head before that chunk's gaze "
        "is sampled, so the runtime adds the part of the head that carries the gaze: the style's head-mover share times the "
        "procedural performer's follow of the sampled gaze (the look-away spot's excess over the 15-degree eye-only range plus "
        "a fifth of the gaze, through the head's lagging step response), causally, frame by frame. The share is measured on "
        "the reference take (stored per preset), steered or not.",
        "- Steering (model_runtime/learned/steering.py): when the style comes with measured statistics (a reference take, "
        "or a preset, whose statistics are stored in the model file), the renderer keeps a running account of the clip so far "
        "and nudges its draws towards them: onset probabilities up or down by how many saccades the clip is behind or ahead "
        "of the reference's rate, the listener's landing codes and the end of a look away favoured while the clip is short of "
        "the reference's mutual-gaze share, the start of a look away favoured or held back by how many looks away the clip is "
        "behind or ahead of the reference's rate, the head's rest scaled to the reference's rest std, and the codes of looks away "
        "weighted towards where the reference's looks away landed (stored per preset). While the gaze holds still the "
        "shown head holds too, until the generator's head has moved more than a small dead band from it; it catches up on "
        "gaze shifts. All of it is causal, so streaming stays frame-exact. Users can turn it off (Match Reference "
        "Statistics in the panel, `--no-match-statistics` on the command line); figures without it are listed as "
        "`unsteered_*`.",
        f"- Runs at {config.fps:g} fps; output is resampled to any rate. Blinks come from the performer's blink sampler, "
        "pulled onto generated gaze shifts and speech pauses.",
        "",
        "## Data",
        "- Synthetic corpus: the procedural performer (model_runtime/performer) animating the speech clips of "
        "`shared/data/speech` (public-domain and CC-licensed recordings; attribution per clip in its MANIFEST.csv), "
        "augmented in pitch, tempo (SoX), noise and level, under sampled performer styles (one style = one performer).",
        f"- Takes: {config.trained.get('takes', '?')}; performers {config.trained.get('performers', '?')}; speakers {config.trained.get('speakers', '?')}.",
        "- Splits by speaker and by performer (hash of the name): test takes have speakers and performers no training take has.",
        f"- Real takes manifest: {settings.get('manifest', 'none')}.",
        "- Limitation: the motion is the performer's, so the model learns (and is measured against) the procedural model's "
        "behaviour, not human capture; the papers' datasets are not available here.",
        "",
        "## Training settings",
        "```json",
        json.dumps(settings, indent=2, default=str),
        "```",
        "",
        "## Measured (held-out speakers and performers)",
        "",
        "| bar | measured | target | met |",
        "|---|---|---|---|",
    ]
    for label, expression, bar in BARS:
        try:
            value = _value(results, expression)
        except (KeyError, ValueError):
            value = float("nan")
        lines.append(f"| {label} | {value:.4g} | {bar} | {'yes' if _passes(value, bar) else 'no'} |")
    lines += ["", "All measurements:", "", "| key | value |", "|---|---|"]
    lines += [f"| {key} | {_fmt(value)} |" for key, value in sorted(results.items())]
    lines += [
        "",
        "Aggregates (fixation ratio, compensation, similarity, errors, rates) are means over all `test_performers` held-out "
        "performers with two takes (one the style reference, the other the target); `sim_score_first_pairs` is the "
        "similarity over only the first `style_transfer_performers` of them, to show how much a set of 20 short takes moves it.",
        "Style transfer: `style_transfer_r_*` is the Pearson correlation, over the first `style_transfer_performers` test "
        "performers, between a statistic of the generated motion and the same statistic of the reference take (target r >= 0.9); "
        "retrieval from generated motion is top-1 among the same performers' reference takes. `between_takes_r_*` is the same "
        "correlation for the target take's own motion: the same performer on other speech, which is what the generator is "
        "trained to reproduce (its style vector always comes from another take of the performer), so it is about as far as "
        "the corpus lets a style model follow the reference without steering. `unsteered_style_transfer_r_*` and "
        "`unsteered_retrieval_top1_generated` are the same measures for the generator's own draws (steering off). "
        "`style_transfer_r_away_pitch_deg` and `_yaw_deg` (not bars of the issue) correlate where the looks away go: the mean "
        "pitch and yaw of the world gaze over the frames off the listener.",
        "Similarity (`sim_score`) is StyGazeTalk's: 1 - |dFix| - |dComp| between the test set's fixation ratio and "
        "compensation score of generated and true motion (each row of the paper's table is that sum over its aggregates, "
        "e.g. 1 - |0.6113 - 0.6733| - |-0.3366 + 0.3100| = 0.9114). `sim_score_per_take` averages the score take by take, a "
        "stricter figure that the corpus's own take-to-take spread bounds: `sim_score_per_take_between_takes` is the "
        "score of the same performer's other take against the target.",
        "`out_of_range` is the mean number of statistics outside the human ranges of shared/REFERENCES.md per generated clip.",
        "",
        "## Against real talkers",
        "The figures of shared/REFERENCES.md, \"Real talkers\", for this model on six voices of shared/data/speech, beside the real "
        "people's and the procedural engine's: `.venv/bin/python benchmarks/real_talkers.py --engine learned` (the README's table).",
        "",
        "## Machine",
        f"{results.get('machine', '?')}; corpus {_fmt(results.get('corpus_s', float('nan')))} s, style encoder "
        f"{_fmt(results.get('style_training_s', float('nan')))} s, generator {_fmt(results.get('generator_training_s', float('nan')))} s, "
        f"total {_fmt(results.get('total_s', float('nan')))} s.",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
