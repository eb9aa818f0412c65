"""The bounds on every file this product reads, in one place (see docs/conventions.md, "Limits").

Each is checked before anything of that size is allocated, so a small hostile file cannot make a
reader loop, hang or exhaust memory; a file beyond one is refused with a GazeError naming it.
"""

from __future__ import annotations

from typing import Final

# Takes: up to 5 hours (a 10^6-row Live Link Face capture at 60 fps is 4.6 h) and at most
# 1.2 million frames whatever the rate, which bounds a loaded take to about 90 MB.
MAX_TAKE_SECONDS: Final[float] = 5 * 3600.0
MAX_TAKE_FRAMES: Final[int] = 1_200_000
# Live Link Face drops a frame now and then; a longer hole than this is a spliced or damaged file.
MAX_TIMECODE_GAP_S: Final[float] = 10.0

# Values a take may hold (degrees; blinks are closure 0-1). Wider than the clamp on generated
# motion (conventions.HEAD_LIMIT_DEG, EYE_LIMIT_DEG): captures overshoot, nonsense does not.
HEAD_RANGE_DEG: Final[float] = 180.0
EYE_RANGE_DEG: Final[float] = 90.0
BLINK_TOLERANCE: Final[float] = 0.01  # capture noise around 0 and 1, clipped on read

# Text takes (CSV). A 5 h Live Link Face take at 60 fps is about 600 MB of text.
MAX_TEXT_BYTES: Final[int] = 1024 * 1024 * 1024
MAX_CSV_COLUMNS: Final[int] = 512
MAX_CSV_FIELD_CHARS: Final[int] = 4096
MAX_CSV_COMMENT_LINES: Final[int] = 100

# Arrays (.npy, and each .npz member): bytes and elements a declared shape may come to, checked
# against the header before reading; members are read for exactly their declared size, so a
# member that inflates further is never decompressed past that.
MAX_ARRAY_BYTES: Final[int] = 256 * 1024 * 1024
MAX_ARRAY_DIM: Final[int] = MAX_TAKE_FRAMES * 16  # also bounds empty arrays such as (10**12, 0)
MAX_NPZ_MEMBERS: Final[int] = 64
MAX_NPY_HEADER_BYTES: Final[int] = 10_000
MAX_TEXT_ARRAY_CHARS: Final[int] = 4096  # channel names and metadata: one string's length
MAX_META_ENTRIES: Final[int] = 256

# JSON (styles, presets, model configuration).
MAX_JSON_BYTES: Final[int] = 4 * 1024 * 1024
MAX_JSON_DEPTH: Final[int] = 32
MAX_JSON_NUMBER_CHARS: Final[int] = 40  # a float64 needs 25; "1e999" and 400-digit integers are refused

# Model configuration: any window, layer or vector size a network may declare.
MAX_MODEL_SIZE: Final[int] = 100_000

# Command-line numbers.
MAX_N_MELS: Final[int] = 256
