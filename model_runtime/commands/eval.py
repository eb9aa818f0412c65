"""``eval MOTION --audio AUDIO --json OUT.json``: measure a take against its speech (and a reference take).

MOTION may be a folder: every take in it is paired with the audio file of the same name in the
folder given by --audio (and the reference take of the same name in --reference), giving one row
per clip and a summary over clips.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from model_runtime.clip import MotionClip
from model_runtime.commands.argtypes import bounded
from model_runtime.commands.takeargs import add_take_options, load_take_from_args
from model_runtime.evaluation import HUMAN_RANGES, EvalConfig, Metrics, analyze, evaluate
from model_runtime.outputs import atomic_output, check_output

# Columns printed for a dataset and lines printed for one clip (everything goes to the JSON).
KEY_METRICS = (
    "fixation_ratio", "comp_score", "saccade_rate_hz", "saccade_amplitude_median_deg", "mutual_gaze_share_speech",
    "mutual_gaze_share_pause", "blink_rate_per_min", "blink_ibi_skewness", "blink_close_open_ratio", "bas", "bas_chance", "l1div",
)
REFERENCE_METRICS = ("sim_score", "mae_deg", "vel_error", "mee", "style_error")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser("eval", help="measure gaze, head and blink motion against speech", description=__doc__)
    parser.add_argument("motion", type=Path, help="take to evaluate, or a folder of takes (dataset mode)")
    parser.add_argument("--audio", type=Path, required=True, help="the speech of the take, or a folder of audio files named like the takes")
    parser.add_argument("--reference", type=Path, help="reference take (or folder of them) for the paired metrics (sim_score, mae_deg, vel_error, mee, style_error)")
    parser.add_argument("--json", type=Path, required=True, help="write the metrics here")
    parser.add_argument("--report", type=Path, help="write an HTML report here (dataset mode: a folder, one report per clip)")
    parser.add_argument("--csv", type=Path, help="dataset mode: write one row per clip here")
    group = parser.add_argument_group("thresholds (defaults in docs/metrics.md)")
    defaults = EvalConfig()
    group.add_argument("--mutual-radius", type=bounded(0.0, 180.0, open_low=True), default=defaults.mutual_radius_deg, help="mutual gaze: degrees from the listener direction (default %(default)s)")
    group.add_argument("--listener-yaw", type=bounded(-90.0, 90.0), default=0.0, help="listener direction yaw in degrees, + = character's left (default straight ahead)")
    group.add_argument("--listener-pitch", type=bounded(-90.0, 90.0), default=0.0, help="listener direction pitch in degrees, + = up")
    group.add_argument("--idt-dispersion", type=bounded(0.0, 180.0, open_low=True), default=defaults.idt_dispersion_deg, help="I-DT dispersion threshold, degrees (default %(default)s)")
    group.add_argument("--idt-min-duration", type=bounded(0.0, 60.0, open_low=True), default=defaults.idt_min_duration_s, help="I-DT minimum fixation, seconds (default %(default)s)")
    group.add_argument("--saccade-velocity", type=bounded(0.0, 10000.0, open_low=True), default=defaults.saccade_velocity_deg_s, help="gaze shift speed threshold, deg/s (default %(default)s)")
    add_take_options(parser)
    parser.set_defaults(func=run)


def _json_ready(value: Any) -> Any:
    """NaN (undefined) becomes null, so the file is strict JSON."""
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    return value


def _write_json(path: Path, document: Any) -> None:
    with atomic_output(path) as temporary:
        temporary.write_text(json.dumps(_json_ready(document), indent=2), encoding="utf-8")


def _evaluate_one(args: argparse.Namespace, config: EvalConfig, take: Path, audio: Path, *, reference: Path | None, report: Path | None) -> Metrics:
    from model_runtime.audio import compute_features, load_audio

    clip = load_take_from_args(take, args)
    reference_clip: MotionClip | None = load_take_from_args(reference, args) if reference else None
    signal = load_audio(audio)
    if abs(signal.duration - clip.duration) > 0.5:
        print(f"note: {take.name} lasts {clip.duration:.2f} s but {audio.name} {signal.duration:.2f} s; frames past the audio's end count as pause", file=sys.stderr)
    features = compute_features(signal, clip.fps)
    metrics = evaluate(clip, features, reference_clip, config)
    if isinstance(note := metrics.get("style_error_note"), str):
        print(f"note: {take.name}: {note}", file=sys.stderr)
    if report is not None:
        from model_runtime.evaluation.report import write_report

        write_report(report, analyze(clip, features, config), metrics, signal, mutual_radius_deg=config.mutual_radius_deg, name=take.name)
    return metrics


def run(args: argparse.Namespace) -> int:
    config = EvalConfig(
        idt_dispersion_deg=args.idt_dispersion, idt_min_duration_s=args.idt_min_duration, saccade_velocity_deg_s=args.saccade_velocity,
        mutual_radius_deg=args.mutual_radius, listener_pitch_deg=args.listener_pitch, listener_yaw_deg=args.listener_yaw,
    )
    inputs = [args.motion, args.audio, args.reference]
    for output in (args.json, args.csv):
        if output is not None:
            check_output(output, inputs)
    if args.report is not None and not args.motion.is_dir():
        check_output(args.report, inputs)
    if args.motion.is_dir():
        return _run_dataset(args, config)
    metrics = _evaluate_one(args, config, args.motion, args.audio, reference=args.reference, report=args.report)
    _write_json(args.json, metrics)
    keys = KEY_METRICS + (REFERENCE_METRICS if args.reference else ())
    for key in keys:
        value = metrics[key]
        assert isinstance(value, float)
        shown = "n/a" if math.isnan(value) else f"{value:.4g}"
        target = f"   human {HUMAN_RANGES[key][0]:g} to {HUMAN_RANGES[key][1]:g}" if key in HUMAN_RANGES else ""
        print(f"  {key:<30} {shown:>10}{target}")
    from model_runtime.evaluation.real_talkers import FIGURES, comparison_lines

    print("  real talkers (REFERENCES.md; bars of issue #26):")
    figures = {key: found for key in FIGURES if isinstance(found := metrics.get(f"rt_{key}"), float)}
    print("\n".join("  " + line for line in comparison_lines(figures)))
    print(f"wrote {args.json}" + (f" and {args.report}" if args.report else ""))
    return 0


def _run_dataset(args: argparse.Namespace, config: EvalConfig) -> int:
    from model_runtime.evaluation.dataset import pair_files, print_table, summarize, write_csv

    pairing = pair_files(args.motion, args.audio, args.reference)
    if args.report is not None:
        args.report.mkdir(parents=True, exist_ok=True)
    names, rows = [], []
    for take, audio, reference in pairing.pairs:
        report = args.report / f"{take.stem}.html" if args.report is not None else None
        rows.append(_evaluate_one(args, config, take, audio, reference=reference, report=report))
        names.append(take.name)
    for path in pairing.unpaired:
        print(f"note: {path.name} has no audio of the same name in {args.audio}; skipped", file=sys.stderr)
    document = {
        "clips": [{"clip": name, **row} for name, row in zip(names, rows, strict=True)],
        "summary": summarize(rows),
        "skipped": [p.name for p in pairing.unpaired],
    }
    _write_json(args.json, document)
    if args.csv is not None:
        write_csv(args.csv, names, rows)
    columns = [k for k in KEY_METRICS + REFERENCE_METRICS if any(k in row for row in rows)]
    print_table(names, rows, columns)
    print(f"wrote {args.json}" + (f", {args.csv}" if args.csv else "") + (f" and reports in {args.report}" if args.report else ""))
    return 0
