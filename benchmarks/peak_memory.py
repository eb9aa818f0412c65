"""Peak resident memory of a command, measured on its own.

A child forked from a large benchmark process would report the parent's size as its peak (Linux
keeps the high-water mark across exec), so the command runs as the grandchild of a small launcher.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(usage.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def peak_rss_mb(command: list[str], cwd: Path) -> float:
    """Peak resident memory of ``command`` in MB; a failing command stops the benchmark."""
    result = subprocess.run([sys.executable, "-c", _LAUNCHER, *command], cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {result.stderr.strip()[-500:]}")
    return int(result.stdout.strip().splitlines()[-1]) / 1024  # KiB on Linux
