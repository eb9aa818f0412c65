"""Synthetic dialogue scenes for tests and benchmarks/dialogue_scene.py: speech made by espeak-ng."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np

SENTENCES = (
    "Well, I was thinking about it. Maybe we could go tomorrow, if the weather holds.",
    "Tomorrow? I have a meeting in the morning, but the afternoon is free.",
    "Right. The afternoon then. We should leave early enough to find a table.",
    "Good idea. Last time it was so full that we waited an hour, remember?",
    "I do. And then they had run out of the soup. Never again.",
    "Fine. I will call them tonight and ask. Shall I book for three?",
    "Yes, three. My sister wants to come along, she has not seen the place.",
    "Lovely. Then it is settled.",
    "Hmm. What about the car? Mine is still at the garage.",
    "We can take mine. It is small, but it will do for three.",
)


def have_espeak() -> bool:
    return shutil.which("espeak-ng") is not None


def make_scene(folder: Path, *, characters: int = 2, seconds: float = 120.0, seed: int = 0, fps: float = 30.0) -> Path:
    """A scene JSON in ``folder``: ``characters`` standing 3 m apart (two facing each other, three
    in a triangle), lines in turn (random order of the others for three) for about ``seconds``."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    names = ["Ann", "Ben", "Cat"][:characters]
    positions = [[0.0, 0.0, 0.0], [3.0, 0.0, 0.0], [1.5, 2.6, 0.0]][:characters]
    heights = [1.62, 1.75, 1.55]
    voices = ["en+f3", "en+m3", "en+f4"]
    lines = []
    time = 0.5
    speaker = 0
    k = 0
    while time < seconds - 3.0:
        text = SENTENCES[int(rng.integers(len(SENTENCES)))]
        wav = folder / f"line{k:03d}.wav"
        speed = int(rng.integers(150, 180))
        subprocess.run(["espeak-ng", "-v", voices[speaker], "-s", str(speed), "-w", str(wav), text], check=True, capture_output=True)
        lines.append({"character": names[speaker], "audio": wav.name, "start_s": round(time, 3)})
        frames = wav.stat().st_size  # 16-bit mono at 22050 Hz after a 44-byte header
        time += (frames - 44) / 2 / 22050 + float(rng.uniform(0.1, 0.7))
        speaker = (speaker + 1) % characters if characters == 2 else int(rng.choice([c for c in range(characters) if c != speaker]))
        k += 1
    scene = {
        "fps": fps,
        "characters": [{"name": name, "position": position, "eye_height_m": height} for name, position, height in zip(names, positions, heights, strict=False)],
        "lines": lines,
    }
    path = folder / "scene.json"
    path.write_text(json.dumps(scene, indent=1))
    return path
