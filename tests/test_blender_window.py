"""Undo in Debian's Blender 3.4 with a real window: tests/blender/window_undo.py under xvfb-run.

Generate must be one undo step that gives back the rig's own animation exactly; that needs
`bpy.ops.ed.undo()`, which only runs with a window (not in the bpy wheels nor in ``blender -b``).
Debian's Blender runs the system Python without numpy: it borrows this interpreter's
site-packages through GAZE_PYTHONPATH (the same Python version, 3.11).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NEEDED = {name: shutil.which(name) for name in ("blender", "xvfb-run", "espeak-ng")}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        None in NEEDED.values(), reason=f"needs {', '.join(n for n, p in NEEDED.items() if p is None)} (Debian packages blender, xvfb, espeak-ng)"
    ),
]


def test_generate_is_one_undo_step_in_blender_34_with_a_window(tmp_path: Path) -> None:
    speech = tmp_path / "hello line.wav"
    subprocess.run(["espeak-ng", "-w", str(speech), "Hello there. I was thinking, maybe we could go tomorrow?"], check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    # TMPDIR: Blender writes its quit.blend there when it quits.
    env |= {"GAZE_PYTHONPATH": sysconfig.get_paths()["purelib"], "TMPDIR": str(tmp_path), "BLENDER_USER_CONFIG": str(tmp_path / "config")}
    command = [
        "xvfb-run", "-a", "-s", "-screen 0 1280x800x24",
        "blender", "--factory-startup", "--python-exit-code", "1", "--python", str(ROOT / "tests" / "blender" / "window_undo.py"), "--", str(speech),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    output = f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    assert done.returncode == 0, f"blender exited with {done.returncode}:\n{output}"
    for line in ("one undo restored the actions", "redo brought the take back", "Remove is one undo step too", "all undo checks passed"):
        assert line in done.stdout, f"missing '{line}':\n{output}"
