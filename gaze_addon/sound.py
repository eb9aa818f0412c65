"""Finding the dialogue: a sound strip of the scene's sequencer or a file, and where it sits in time.

Source time ``t`` seconds of a strip's sound plays at timeline frame
``strip.frame_start + t * fps`` with ``fps = render.fps / render.fps_base`` (29.97 is 30 / 1.001);
trimming (``frame_final_start`` / ``frame_final_end``) hides part of it without moving it.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bpy

from model_runtime.errors import AudioError, GazeError

from . import compat

# A longer strip is refused with a clear message rather than freezing Blender for minutes.
MAX_MINUTES = 20.0


def scene_fps(scene: Any) -> float:
    """The scene's real frame rate (29.97 is fps 30 with fps_base 1.001)."""
    return float(scene.render.fps) / float(scene.render.fps_base)


@dataclass
class AudioSource:
    """Where the audio comes from and where its time 0 lands on the timeline."""

    path: str  # a readable file (a temporary copy for packed sounds)
    label: str  # what to call it in names and messages
    start_frame: float  # timeline frame of source time 0
    first_frame: float | None = None  # visible part of a trimmed strip (inclusive)
    last_frame: float | None = None
    temporary: bool = False
    key: str = ""  # the line's identity: the strip's name, or the file's label

    def cleanup(self) -> None:
        if self.temporary:
            Path(self.path).unlink(missing_ok=True)

    def visible_frames(self, seconds: float, fps: float) -> tuple[float, float]:
        """First and last timeline frame of the line: the strip's visible part, else the whole audio."""
        first = self.first_frame if self.first_frame is not None else self.start_frame
        end = self.start_frame + max(1.0, round(seconds * fps)) - 1.0
        last = min(end, self.last_frame) if self.last_frame is not None else end
        return first, max(first, last)


def pick_strip(scene: Any, name: str = "") -> Any:
    """The named sound strip, else the one under the playhead, else the only one."""
    strips = compat.sound_strips(scene)
    if name:
        for strip in strips:
            if strip.name == name:
                return strip
        raise GazeError(f"No sound strip named '{name}' in the scene '{scene.name}' (sound strips: {', '.join(s.name for s in strips) or 'none'}).")
    if not strips:
        raise GazeError(f"The scene '{scene.name}' has no sound strip: add the dialogue in the Video Sequencer, or choose an audio file in the Gaze panel.")
    frame = scene.frame_current
    under = [s for s in strips if not s.mute and s.frame_final_start <= frame < s.frame_final_end]
    if len(under) == 1:
        return under[0]
    if len(strips) == 1:
        return strips[0]
    names = ", ".join(s.name for s in (under or strips))
    raise GazeError(f"Several sound strips ({names}): move the playhead over one of them, or name it in the Gaze panel.")


def _label(path: str) -> str:
    return Path(path).stem or "audio"


def source_from_strip(strip: Any, scene: Any) -> AudioSource:
    """The strip's sound as a file, with its timeline placement. Packed sounds go to a temp file."""
    sound = strip.sound
    if sound is None:
        raise GazeError(f"The sound strip '{strip.name}' has no sound data.")
    fps = scene_fps(scene)
    # sound_offset (seconds) skips that much of the source: it plays that much earlier.
    start = float(strip.frame_start) - float(getattr(strip, "sound_offset", 0.0)) * fps
    first, last = float(strip.frame_final_start), float(strip.frame_final_end) - 1.0
    label = _label(sound.filepath) if sound.filepath else strip.name
    if sound.packed_file is not None:
        suffix = Path(sound.filepath).suffix or ".wav"
        handle, temp = tempfile.mkstemp(prefix="gaze_packed_", suffix=suffix)
        with os.fdopen(handle, "wb") as out:
            out.write(sound.packed_file.data)
        return AudioSource(temp, label, start, first, last, temporary=True, key=strip.name)
    path = bpy.path.abspath(sound.filepath, library=sound.library)
    if not os.path.isfile(path):
        raise AudioError(path, f"the file of the sound strip '{strip.name}' is missing; relink it (Strip > Movie Strip > Change Path/Files) or pack it")
    return AudioSource(path, label, start, first, last, key=strip.name)


def source_from_file(path: str, start_frame: float) -> AudioSource:
    real = bpy.path.abspath(path) if path else ""
    if not real:
        raise GazeError("No audio file chosen: pick one in the Gaze panel, or use a sound strip.")
    if not os.path.isfile(real):
        raise AudioError(real, "no such audio file")
    return AudioSource(real, _label(real), start_frame, key=_label(real))


def file_seconds(path: str) -> float | None:
    """Length of an audio file from its header, None where the header cannot be read (load_audio says why)."""
    import soundfile

    try:
        return float(soundfile.info(path).duration)
    except (RuntimeError, ValueError, TypeError, soundfile.LibsndfileError):
        return None


def check_length(seconds: float | None, label: str, limit_minutes: float = MAX_MINUTES) -> None:
    if seconds is not None and seconds > limit_minutes * 60.0:
        raise AudioError(
            label,
            f"{seconds / 60.0:.1f} minutes long; the add-on handles up to {limit_minutes:g} minutes at once. "
            "Cut the dialogue into scenes (one strip each), or raise 'Max minutes' in the Gaze panel.",
        )


def strip_seconds(strip: Any, scene: Any) -> float:
    """Length of the strip's visible part in seconds."""
    return (float(strip.frame_final_end) - float(strip.frame_final_start)) / scene_fps(scene)


def sources(choice: Any, scene: Any) -> list[AudioSource]:
    """The lines a request names (an AudioChoice): one file, one strip, or every unmuted sound strip."""
    if choice.source == "FILE":
        return [source_from_file(choice.file, choice.file_start_frame)]
    if choice.all_strips:
        strips = [s for s in compat.sound_strips(scene) if not s.mute]
        if not strips:
            raise GazeError(f"The scene '{scene.name}' has no unmuted sound strip: add the dialogue in the Video Sequencer.")
        return [source_from_strip(s, scene) for s in sorted(strips, key=lambda s: s.frame_final_start)]
    return [source_from_strip(pick_strip(scene, choice.strip_name), scene)]


def load_signal(source: AudioSource, max_minutes: float = MAX_MINUTES) -> Any:
    """The source's audio as the runtime's AudioSignal (refusing overlong audio before decoding)."""
    from model_runtime.audio import load_audio

    try:
        check_length(file_seconds(source.path), source.label, max_minutes)
        return load_audio(source.path)
    finally:
        source.cleanup()
