"""Synthesise the bundled demo voice with espeak-ng: ``python assets/voice/make_voice.py OUT.wav``.

The committed ``demo_voice.wav`` beside this script was made by running it with no argument; the
demo re-makes the clip at build time and falls back to the committed one when espeak-ng is
missing. Only the standard library and the ``espeak-ng`` program are used.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
COMMITTED = HERE / "demo_voice.wav"
# Written for this project. Commas and full stops give the pauses where speakers look away and blink.
TEXT = (
    "Hello there. I have been thinking about what you said yesterday, "
    "and honestly, I am not sure I agree. "
    "Let me explain why. "
    "Nobody believed it could work, but here we are."
)
VOICE = "en-us+f3"
WORDS_PER_MINUTE = 160
PITCH = 45


def synthesise(out: Path) -> Path:
    """Write the clip to ``out`` (22.05 kHz mono 16-bit WAV); needs the espeak-ng program."""
    program = shutil.which("espeak-ng")
    if program is None:
        raise FileNotFoundError("espeak-ng is not installed (Debian package espeak-ng)")
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([program, "-v", VOICE, "-s", str(WORDS_PER_MINUTE), "-p", str(PITCH), "-w", str(out), TEXT], check=True)
    return out


def voice_clip(out: Path) -> tuple[Path, str]:
    """The demo voice at ``out``: freshly synthesised, or a copy of the committed clip; and which."""
    try:
        return synthesise(out), "synthesised with espeak-ng"
    except (FileNotFoundError, subprocess.CalledProcessError) as error:
        shutil.copyfile(COMMITTED, out)
        return out, f"committed fallback ({error})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", nargs="?", type=Path, default=COMMITTED, help="WAV file to write")
    args = parser.parse_args(argv)
    print(synthesise(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
