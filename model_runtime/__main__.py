"""``python -m model_runtime``: see :mod:`model_runtime.cli`."""

import sys

from model_runtime.cli import main

sys.exit(main())
