"""Make ``reference_livelink.csv``: a 20-s, 60-fps Live Link Face take made by this project.

Hand-built motion (no capture): fixations held between step saccades, both eyes converging on a
target 0.8 m away, blinks of about 250 ms, slow head sway. It exercises every reader and stands in
for a user's reference performance in the demo. Run: ``python assets/takes/make_reference_take.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from model_runtime.clip import MotionClip  # noqa: E402
from model_runtime.takes import save_take  # noqa: E402

FPS = 60.0
SECONDS = 20.0
EYE_SEPARATION_M = 0.063
TARGET_DISTANCE_M = 0.8


def make(seed: int = 7) -> MotionClip:
    rng = np.random.default_rng(seed)
    n = int(SECONDS * FPS)
    t = np.arange(n) / FPS
    yaw = np.zeros(n)
    pitch = np.zeros(n)
    frame = 0
    while frame < n:
        dwell = int(rng.gamma(2.0, 0.35) * FPS) + 6
        away = rng.random() < 0.4
        yaw[frame:] = rng.normal(0, 12 if away else 2)
        pitch[frame:] = rng.normal(3 if away else 0, 6 if away else 1.5)
        frame += dwell
    vergence = np.degrees(np.arctan2(EYE_SEPARATION_M / 2, TARGET_DISTANCE_M))
    blink = np.zeros(n)
    onset = 1.0
    while onset < SECONDS - 0.5:
        shape = np.interp(t - onset, [0.0, 0.08, 0.12, 0.3], [0.0, 1.0, 1.0, 0.0], left=0.0, right=0.0)
        blink = np.maximum(blink, shape * (1.0 if rng.random() < 0.6 else 0.6))
        onset += rng.gamma(2.5, 1.4) + 0.6
    head_yaw = 4 * np.sin(2 * np.pi * 0.11 * t) + 0.3 * yaw
    head_pitch = 2 * np.sin(2 * np.pi * 0.23 * t + 1.0)
    head_roll = 1.5 * np.sin(2 * np.pi * 0.07 * t + 2.0)
    return MotionClip.from_channels(
        FPS,
        n,
        head_pitch=head_pitch,
        head_yaw=head_yaw,
        head_roll=head_roll,
        left_eye_pitch=pitch,
        left_eye_yaw=yaw - 0.3 * yaw - vergence,
        right_eye_pitch=pitch,
        right_eye_yaw=yaw - 0.3 * yaw + vergence,
        blink_left=blink,
        blink_right=blink,
    )


if __name__ == "__main__":
    out = Path(__file__).with_name("reference_livelink.csv")
    save_take(make(), out, "livelink")
    print(f"wrote {out}")
