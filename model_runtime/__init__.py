"""Speech-driven gaze, head and blink motion: the part of the product that knows no Blender.

Importing this package is cheap: it pulls in numpy only. bpy is never imported here, and
torch only inside :mod:`model_runtime.training`.
"""

from model_runtime.clip import CHANNELS, MotionClip
from model_runtime.errors import GazeError, TakeFormatError

__version__ = "0.1.0"

__all__ = ["CHANNELS", "GazeError", "MotionClip", "TakeFormatError", "__version__"]
