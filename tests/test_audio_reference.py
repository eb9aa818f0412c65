"""Pitch and speech/pause measured against reference tools on the real speech in ../shared.

Clips: /work/shared/data/speech (52 clips, 677 s; licences and attribution in its MANIFEST.csv).
References (test-only): Praat's autocorrelation pitch (praat-parselmouth) with the same 60-500 Hz
search range, and the WebRTC voice activity detector (webrtcvad-wheels, mode 2, 30 ms frames).
Voicing constants were tuned on every third clip; the agreement is reported on all clips and,
separately, on the clips not used for tuning.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest

from model_runtime.audio import SAMPLE_RATE, compute_features, load_audio
from model_runtime.audio.analysis import F0_MAX, F0_MIN

FPS = 100.0  # one row per 10 ms, Praat's own step


@cache
def measure(clip: Path) -> dict[str, np.ndarray]:
    import parselmouth
    import webrtcvad

    signal = load_audio(clip)
    features = compute_features(signal, FPS)
    times = np.arange(features.n_frames) / FPS
    pitch = parselmouth.Sound(signal.samples.astype(np.float64), SAMPLE_RATE).to_pitch_ac(time_step=0.01, pitch_floor=F0_MIN, pitch_ceiling=F0_MAX)
    reference_f0 = np.nan_to_num(np.array([pitch.get_value_at_time(t) for t in times]))
    vad = webrtcvad.Vad(2)
    pcm = (signal.samples * 32767).astype("<i2")
    step = 480  # 30 ms
    decisions = np.array([vad.is_speech(pcm[i : i + step].tobytes(), SAMPLE_RATE) for i in range(0, len(pcm) - step + 1, step)])
    reference_speech = decisions[np.minimum((times * SAMPLE_RATE / step).astype(int), len(decisions) - 1)]
    return {"f0": features.f0_hz, "voiced": features.voiced, "speech": features.speech, "ref_f0": reference_f0, "ref_speech": reference_speech}


def clips(shared: Path) -> list[Path]:
    found = sorted((shared / "data" / "speech").glob("*.flac"))
    if len(found) < 10:
        pytest.skip("speech clips not found")
    return found


def pooled(paths: list[Path]) -> dict[str, float]:
    cents, voicing, speech = [], [], []
    for path in paths:
        m = measure(path)
        ref_voiced = m["ref_f0"] > 0
        both = ref_voiced & m["voiced"]
        cents.append(1200 * np.abs(np.log2(m["f0"][both] / m["ref_f0"][both])))
        voicing.append(ref_voiced == m["voiced"])
        speech.append(m["ref_speech"] == m["speech"])
    return {
        "median_cents": float(np.median(np.concatenate(cents))),
        "voicing": float(np.mean(np.concatenate(voicing))),
        "speech": float(np.mean(np.concatenate(speech))),
        "worst_clip_voicing": float(min(np.mean(v) for v in voicing)),
        "worst_clip_speech": float(min(np.mean(s) for s in speech)),
    }


@pytest.mark.slow
def test_pitch_and_voicing_against_praat_all_clips(shared: Path):
    result = pooled(clips(shared))
    print(result)
    assert result["median_cents"] < 50
    assert result["voicing"] >= 0.90
    assert result["worst_clip_voicing"] >= 0.80


@pytest.mark.slow
def test_pitch_and_voicing_against_praat_held_out_clips(shared: Path):
    held_out = [p for i, p in enumerate(clips(shared)) if i % 3]
    result = pooled(held_out)
    assert result["median_cents"] < 50
    assert result["voicing"] >= 0.90


@pytest.mark.slow
def test_speech_pause_against_webrtcvad_all_clips(shared: Path):
    result = pooled(clips(shared))
    assert result["speech"] >= 0.90
    assert result["worst_clip_speech"] >= 0.70
