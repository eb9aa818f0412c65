"""A single self-contained HTML report: metric table against human ranges and plots as embedded PNGs.

matplotlib (the ``report`` extra) is imported only here, inside the functions, and only the
object-oriented API (Figure + Agg canvas) is used, so no global pyplot state is touched.
"""

from __future__ import annotations

import base64
import html
import io
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from model_runtime.audio.types import AudioSignal
from model_runtime.errors import GazeError
from model_runtime.evaluation import Metrics
from model_runtime.evaluation.analysis import Analysis
from model_runtime.evaluation.distributions import EYES_ALIVE_AMPLITUDE_MEAN_DEG, EYES_ALIVE_DIRECTIONS, IBI_MEAN_S, IBI_SD_S, psyberlab
from model_runtime.evaluation.literature import DIRECTION_BINS, inter_blink_intervals
from model_runtime.evaluation.motion_metrics import head_speed, motion_beats
from model_runtime.evaluation.real_talkers import FIGURES
from model_runtime.evaluation.reference_ranges import HUMAN_RANGES, RANGE_CONFIDENCE

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.projections.polar import PolarAxes

# Seconds of clip per timeline figure: longer clips get several figures so curves stay readable.
CHUNK_S = 30.0
MAX_CHUNKS = 8
SPEECH_COLOUR = "#f4d58d"
# Legends sit to the right of each panel so they never hide a curve.
LEGEND: dict[str, Any] = {"loc": "upper left", "bbox_to_anchor": (1.005, 1.0), "fontsize": 8, "frameon": False}
COLOURS = {"left": "#1f77b4", "right": "#ff7f0e", "world": "#2ca02c", "pitch": "#d62728", "yaw": "#9467bd", "roll": "#8c564b"}


def _figure(width: float, height: float) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # the report extra is optional
        raise GazeError("the HTML report needs matplotlib (pip install matplotlib, or the project's [report] extra)") from exc
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _shade_speech(ax: Axes, a: Analysis, t0: float, t1: float) -> None:
    for u in a.utterances:
        if u.end > t0 and u.start < t1:
            ax.axvspan(max(u.start, t0), min(u.end, t1), color=SPEECH_COLOUR, alpha=0.45, lw=0, zorder=0)


def _waveform(ax: Axes, signal: AudioSignal | None, t0: float, t1: float) -> None:
    if signal is None:
        ax.text(0.5, 0.5, "no audio", transform=ax.transAxes, ha="center", va="center", color="grey")
        return
    a, b = int(t0 * signal.sample_rate), min(len(signal.samples), int(t1 * signal.sample_rate))
    samples = signal.samples[a:b].astype(np.float64)
    if samples.size == 0:
        return
    # Min/max envelope per column: a faithful outline without plotting every sample.
    columns = min(2000, samples.size)
    edges = np.linspace(0, samples.size, columns + 1).astype(int)
    lo = np.minimum.reduceat(samples, edges[:-1])
    hi = np.maximum.reduceat(samples, edges[:-1])
    t = t0 + edges[:-1] / signal.sample_rate
    ax.fill_between(t, lo, hi, color="#555555", lw=0)
    peak = float(np.max(np.abs(samples))) or 1.0
    ax.set_ylim(-peak * 1.05, peak * 1.05)


def speech_onsets_in(a: Analysis, t0: float, t1: float) -> NDArray[np.float64]:
    """The audio events BAS uses (utterance starts and onset peaks) between t0 and t1 seconds."""
    onsets = a.onsets
    out: NDArray[np.float64] = onsets[(onsets >= t0) & (onsets < t1)]
    return out


def timeline_figures(a: Analysis, signal: AudioSignal | None, mutual_radius_deg: float, name: str) -> list[str]:
    """PNG (base64) figures of waveform, gaze, head and blinks over time, speech shaded; one per CHUNK_S."""
    clip = a.clip
    t = clip.times
    speed = head_speed(clip)
    beats = motion_beats(speed, clip.fps)
    closure = clip.blinks
    pngs = []
    n_chunks = max(1, min(MAX_CHUNKS, math.ceil(clip.duration / CHUNK_S)))
    for k in range(n_chunks):
        t0, t1 = k * CHUNK_S, min(clip.duration, (k + 1) * CHUNK_S)
        sel = (t >= t0) & (t < t1)
        fig = _figure(15, 11)
        axes = fig.subplots(6, 1, sharex=True, height_ratios=[1, 2, 2, 2, 1.4, 1.2])
        _waveform(axes[0], signal, t0, t1)
        axes[0].set_ylabel("audio")
        axes[0].set_yticks([])
        title = f"{name}: {t0:.0f}-{t1:.0f} s   (yellow = speech, green band = looking at the listener)"
        axes[0].set_title(title, loc="left", fontsize=11)
        for ax, idx, angle in ((axes[1], 1, "yaw"), (axes[2], 0, "pitch")):
            ax.axhspan(-mutual_radius_deg, mutual_radius_deg, color="#2ca02c", alpha=0.10, lw=0, zorder=0)
            ax.axhline(0.0, color="#2ca02c", lw=0.6, ls=":")
            eye_l = clip.left_eye[:, idx]
            eye_r = clip.right_eye[:, idx]
            ax.plot(t[sel], eye_l[sel], color=COLOURS["left"], lw=1.0, label=f"left eye {angle} (in head)")
            ax.plot(t[sel], eye_r[sel], color=COLOURS["right"], lw=1.0, ls="--", label=f"right eye {angle} (in head)")
            ax.plot(t[sel], a.world[sel, idx], color=COLOURS["world"], lw=1.6, label=f"gaze {angle} in world")
            ax.set_ylabel(f"{angle} (deg)" + ("\n+ = character's left" if angle == "yaw" else "\n+ = up"))
            ax.legend(**LEGEND)
        for i, axis in enumerate(("pitch", "yaw", "roll")):
            axes[3].plot(t[sel], clip.head[sel, i], color=COLOURS[axis], lw=1.3, label=f"head {axis}")
        axes[3].set_ylabel("head (deg)")
        axes[3].legend(**LEGEND)
        onsets = speech_onsets_in(a, t0, t1)
        axes[4].vlines(onsets, 0.82, 1.0, transform=axes[4].get_xaxis_transform(), color="#1f77b4", lw=1.0, label="speech onset")
        axes[4].plot(t[sel], speed[sel], color="#444444", lw=1.0, label="head speed")
        in_chunk = beats[(beats >= t0) & (beats < t1)]
        axes[4].plot(in_chunk, np.interp(in_chunk, t, speed), "o", color=COLOURS["pitch"], ms=4, label="motion beat")
        # Saccade-like head jumps would flatten the slow part where the beats are: cap the axis.
        top = max(5.0, 3.0 * float(np.percentile(speed[sel], 90))) if np.any(sel) else 5.0
        axes[4].set_ylim(0, top * 1.25)
        axes[4].set_ylabel("head speed\n(deg/s)")
        axes[4].set_title("BAS: motion beats near speech onsets (axis capped; faster peaks cut off)", loc="left", fontsize=9)
        axes[4].legend(**LEGEND)
        axes[5].plot(t[sel], closure[sel, 0], color=COLOURS["left"], lw=1.2, label="blink left")
        axes[5].plot(t[sel], closure[sel, 1], color=COLOURS["right"], lw=1.0, ls="--", label="blink right")
        axes[5].set_ylim(-0.05, 1.1)
        axes[5].set_ylabel("eyelid\n(1 = closed)")
        axes[5].set_xlabel("time (s)")
        axes[5].legend(**LEGEND)
        shifts = [s.start / clip.fps for s in a.saccades if t0 <= s.start / clip.fps < t1]
        axes[1].plot(shifts, np.full(len(shifts), 1.0), "v", color="k", ms=5, transform=axes[1].get_xaxis_transform(), clip_on=False, label="gaze shift")
        axes[1].legend(**LEGEND)
        for ax in axes:
            _shade_speech(ax, a, t0, t1)
            ax.grid(alpha=0.3)
        axes[-1].set_xlim(t0, t1)
        pngs.append(_png(fig))
    return pngs


def _hist(ax: Axes, values: NDArray[np.float64], bins: NDArray[np.float64], label: str, colour: str, *, filled: bool) -> None:
    if values.size == 0:
        return
    kwargs = {"alpha": 0.6, "color": colour} if filled else {"histtype": "step", "lw": 1.8, "color": colour}
    ax.hist(np.clip(values, bins[0], bins[-1]), bins=bins, density=True, label=f"{label} (n={values.size})", **kwargs)  # type: ignore[arg-type]


def distribution_figure(a: Analysis, metrics: Metrics) -> str:
    """One PNG (base64) with each distribution against its reference."""
    fig = _figure(15, 9)
    grid = fig.subplots(2, 3)
    speak, listen = psyberlab("SPEAK"), psyberlab("LISTEN")
    amplitudes = np.array([s.amplitude_deg for s in a.saccades])

    ax = grid[0, 0]
    bins = np.linspace(0, 40, 41)
    _hist(ax, amplitudes, bins, "this clip", "#1f77b4", filled=True)
    _hist(ax, speak["saccade_amplitude_deg"], bins, "psyberlab speaking, gap > 0", "#d62728", filled=False)
    x = np.linspace(0, 40, 200)
    ax.plot(x, np.exp(-x / EYES_ALIVE_AMPLITUDE_MEAN_DEG) / EYES_ALIVE_AMPLITUDE_MEAN_DEG, color="k", lw=1.5, label="Eyes Alive exp(-A/6.9)")
    ax.set(title="gaze shift amplitude", xlabel="amplitude (deg)", ylabel="density")
    ax.legend(fontsize=8)

    fig.delaxes(grid[0, 1])
    polar: PolarAxes = fig.add_subplot(2, 3, 2, projection="polar")  # type: ignore[assignment]
    centres = np.radians(np.arange(8) * 45.0)
    ours = metrics.get("saccade_direction_shares")
    ours_list = list(ours) if isinstance(ours, list) else [0.0] * 8
    polar.bar(centres, ours_list, width=np.radians(40), color="#1f77b4", alpha=0.6, label="this clip")
    ref = np.array(EYES_ALIVE_DIRECTIONS) / sum(EYES_ALIVE_DIRECTIONS)
    polar.plot(np.append(centres, centres[0]), np.append(ref, ref[0]), color="k", lw=1.5, label="Eyes Alive")
    polar.set_xticks(centres, [b.replace("-", "-\n") for b in DIRECTION_BINS], fontsize=8)
    polar.set_title("gaze shift direction (viewer's view)", fontsize=11)
    top = max([*ours_list, *ref]) * 1.1 or 1.0
    polar.set_ylim(0, top)
    polar.set_yticks([top / 3, 2 * top / 3], [f"{top / 3:.2f}", f"{2 * top / 3:.2f}"], fontsize=7)
    polar.set_rlabel_position(112.5)
    polar.legend(fontsize=8, loc="lower left", bbox_to_anchor=(-0.25, -0.15))

    ax = grid[0, 2]
    bins = np.linspace(0, 3, 31)
    durations = np.array([(e - s) / a.clip.fps for s, e in a.fixations_world])
    _hist(ax, durations, bins, "this clip (I-DT, world)", "#1f77b4", filled=True)
    _hist(ax, speak["fixation_duration_s"], bins, "psyberlab speaking", "#d62728", filled=False)
    _hist(ax, listen["fixation_duration_s"], bins, "psyberlab listening", "#9467bd", filled=False)
    ax.set(title="fixation duration (last bin: 3 s or more)", xlabel="duration (s)", ylabel="density")
    ax.legend(fontsize=8)

    ax = grid[1, 0]
    bins = np.linspace(0, 20, 41)
    _hist(ax, inter_blink_intervals(a.blinks), bins, "this clip", "#1f77b4", filled=True)
    x = np.linspace(0.01, 20, 300)
    shape, scale = (IBI_MEAN_S / IBI_SD_S) ** 2, IBI_SD_S**2 / IBI_MEAN_S
    pdf = x ** (shape - 1) * np.exp(-x / scale) / (math.gamma(shape) * scale**shape)
    ax.plot(x, pdf, color="k", lw=1.5, label="Garcia 2011: mean 5 s, sd 3 s")
    ax.set(title="inter-blink interval", xlabel="interval (s)", ylabel="density")
    ax.legend(fontsize=8)

    ax = grid[1, 1]
    if a.shift_amplitudes.size:
        ax.scatter(a.shift_amplitudes, a.head_shares, s=14, color="#1f77b4", alpha=0.7, label="this clip")
    x = np.linspace(1, 90, 200)
    ax.plot(x, np.clip(1 - 20.0 / x, 0, None), color="k", lw=1.5, label="eye-only range 20 deg (Freedman & Sparks 1997)")
    ax.axvspan(0, 15, color="#dddddd", alpha=0.5, lw=0)
    ax.text(7.5, -0.4, "eye-only\nrange", ha="center", fontsize=8, color="#555555")
    ax.set(title="head share of gaze shifts", xlabel="gaze shift amplitude (deg)", ylabel="head share", ylim=(-0.5, 1.2), xlim=(0, 90))
    ax.legend(fontsize=8, loc="upper left")

    ax = grid[1, 2]
    labels = ["speaking", "pausing"]
    values = [metrics.get("mutual_gaze_share_speech"), metrics.get("mutual_gaze_share_pause")]
    heights = [float(v) if isinstance(v, float) and not math.isnan(v) else 0.0 for v in values]
    ax.bar(labels, heights, color="#1f77b4", alpha=0.6, label="this clip")
    ax.hlines([0.41, 0.75], [-0.4, 0.6], [0.4, 1.4], color="k", lw=2, label="Argyle & Cook 1976: speaking / listening")
    ax.set(title="share of time looking at the listener", ylabel="share", ylim=(0, 1.15))
    ax.legend(fontsize=8, loc="upper center")
    for ax in (grid[0, 0], grid[0, 2], grid[1, 0], grid[1, 1], grid[1, 2]):
        ax.grid(alpha=0.3)
    return _png(fig)


def _format(value: float | list[float] | str) -> str:
    if isinstance(value, str):
        return html.escape(value)
    if isinstance(value, list):
        return ", ".join(f"{v:.3g}" for v in value)
    return "n/a" if math.isnan(value) else f"{value:.4g}"


def metrics_table(metrics: Metrics) -> str:
    rows = []
    for key, value in metrics.items():
        target, status = "", ""
        if key in HUMAN_RANGES:
            low, high = HUMAN_RANGES[key]
            target = f"{low:g} to {high:g} ({RANGE_CONFIDENCE[key]})"
            if isinstance(value, float) and not math.isnan(value):
                status = "ok" if low <= value <= high else "outside"
        elif key.startswith("rt_") and key[3:] in FIGURES:
            figure = FIGURES[key[3:]]
            real = ", ".join(f"{label} {v:.3g}" for label, v in (("presenters", figure.presenters), ("interviewees", figure.interviewees), ("all 31", figure.everyone)) if not math.isnan(v))
            target = html.escape(f"real talkers: {real}" + (f"; bar {figure.bar()}" if figure.bar() else ""))
            verdict = figure.passes(value) if isinstance(value, float) else None
            status = {True: "ok", False: "outside", None: ""}[verdict]
        css = {"ok": "ok", "outside": "bad"}.get(status, "")
        rows.append(f"<tr class='{css}'><td>{html.escape(key)}</td><td>{_format(value)}</td><td>{target}</td><td>{status}</td></tr>")
    return "<table><tr><th>metric</th><th>value</th><th>human range (confidence)</th><th></th></tr>" + "".join(rows) + "</table>"


PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title><style>
body {{ font-family: sans-serif; margin: 1.5em; max-width: 1600px; }} img {{ max-width: 100%; border: 1px solid #ddd; margin: 0.5em 0; }}
table {{ border-collapse: collapse; font-size: 0.9em; }} td, th {{ border: 1px solid #ccc; padding: 2px 8px; text-align: left; }}
tr.ok td:last-child {{ color: #1a7f37; }} tr.bad td:last-child {{ color: #c0392b; font-weight: bold; }} .note {{ color: #555; font-size: 0.85em; }}
</style></head><body><h1>{title}</h1>
<p>{summary}</p>
<h2>Over time</h2>{timelines}
<h2>Distributions against references</h2><img src="data:image/png;base64,{distributions}" alt="distributions">
<h2>Metrics</h2><p class="note">Definitions and sources: docs/metrics.md. Ranges: A = primary source, B = secondary, C = plausibility bound.</p>{table}
<p class="note">Reference data: "Eye Gaze During Conversation" (Dembinsky, Watanabe, Dengel &amp; Ishimaru, ETRA 2024,
https://github.com/psyberlab/eye-gaze-during-conversation-dataset, Apache-2.0), converted fixation tables; literature values
from Lee, Badler &amp; Badler 2002 (Eyes Alive), Garcia et al. 2011, Freedman &amp; Sparks 1997, Argyle &amp; Cook 1976.</p>
</body></html>"""


def write_report(path: str | Path, a: Analysis, metrics: Metrics, signal: AudioSignal | None = None, *, mutual_radius_deg: float = 10.0, name: str = "clip") -> None:
    """Write the HTML report for one analysed clip, whole or not at all; ``name`` titles it (e.g. the take's file name)."""
    pngs = timeline_figures(a, signal, mutual_radius_deg, name)
    timelines = "".join(f'<img src="data:image/png;base64,{png}" alt="timeline">' for png in pngs)
    clip = a.clip
    note = "" if clip.duration <= CHUNK_S * MAX_CHUNKS else f" Timelines show the first {CHUNK_S * MAX_CHUNKS:.0f} s."
    summary = f"{clip.n_frames} frames at {clip.fps:g} fps ({clip.duration:.1f} s); {len(a.saccades)} gaze shifts, {len(a.blinks)} blinks.{note}"
    title = html.escape(f"Motion evaluation: {name}")
    page = PAGE.format(title=title, summary=html.escape(summary), timelines=timelines, distributions=distribution_figure(a, metrics), table=metrics_table(metrics))
    from model_runtime.outputs import atomic_output

    with atomic_output(Path(path)) as temporary:  # whole or not at all
        temporary.write_text(page, encoding="utf-8")
