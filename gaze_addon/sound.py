"""Finding the dialogue: a sound strip of the scene's sequencer or a file, and where it sits in time.

Source time ``t`` seconds of a strip's sound plays at timeline frame
``strip.frame_start + t * fps`` with ``fps = render.fps / render.fps_base`` (29.97 is 30 / 1.001);
trimming (``frame_final_start`` / ``frame_final_end``) hides part of it without moving it.

Decoding (:func:`load_signal`) goes through Blender's own audio module ``aud`` where this Blender
has one, so whatever the sequencer plays (.m4a/.aac/.mp4 included) works; elsewhere (the PyPI 4.2
module, Debian's 3.4 beside numpy 2) the runtime's loader reads wav/flac/ogg/mp3/aiff.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bpy
import numpy as np

from model_runtime.audio.types import AudioSignal
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
    strip: str = ""  # the sound strip's name; empty for an audio file
    shown_path: str = ""  # the file as the animator knows it (``path`` of a packed sound is a temp copy)

    def describe(self) -> str:
        """What to call the source in a message (its file names the message already)."""
        return f"the sound strip '{self.strip}'" if self.strip else "the audio file"

    def cleanup(self) -> None:
        if self.temporary:
            Path(self.path).unlink(missing_ok=True)

    def visible_frames(self, seconds: float, fps: float) -> tuple[float, float]:
        """First and last timeline frame of the line: the strip's visible part, else the whole audio."""
        first = self.first_frame if self.first_frame is not None else self.start_frame
        end = self.start_frame + max(1.0, round(seconds * fps)) - 1.0
        last = min(end, self.last_frame) if self.last_frame is not None else end
        return first, max(first, last)


def active_strip(scene: Any) -> Any:
    """The Video Sequencer's active strip when it is a sound strip, else None."""
    editor = scene.sequence_editor
    strip = editor.active_strip if editor is not None else None
    return strip if strip is not None and strip.type == "SOUND" else None


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
        shown = f"{sound.filepath or sound.name}, packed in the .blend"
        return AudioSource(temp, label, start, first, last, temporary=True, strip=strip.name, shown_path=shown, key=strip.name)
    path = bpy.path.abspath(sound.filepath, library=sound.library)
    if not os.path.isfile(path):
        raise AudioError(path, _MISSING.format(strip=strip.name))
    return AudioSource(path, label, start, first, last, strip=strip.name, shown_path=path, key=strip.name)


def source_from_file(path: str, start_frame: float) -> AudioSource:
    real = bpy.path.abspath(path) if path else ""
    if not real:
        raise GazeError("No audio file chosen: pick one in the Gaze panel, or use a sound strip.")
    if not os.path.isfile(real):
        raise AudioError(real, "no such audio file")
    return AudioSource(real, _label(real), start_frame, key=_label(real))


def file_seconds(path: str) -> float | None:
    """Length of an audio file from its header, nothing decoded; None where no header says (load_signal says why).

    The runtime's reading of the header (libsndfile; PyAV where installed), else Blender's ``aud``
    for what only FFmpeg reads (.m4a/.aac/.mp4: the container's length, or FFmpeg's estimate for a
    raw .aac stream).
    """
    from model_runtime.audio.loading import header_seconds

    seconds = header_seconds(path)
    aud = compat.audio_module()
    if seconds is not None or aud is None:
        return seconds
    try:
        sound = aud.Sound(path)
        rate = float(sound.specs[0])
        frames = int(sound.length)
    except aud.error:
        return None
    return frames / rate if rate > 0 and frames > 0 else None


def check_length(seconds: float | None, label: str, limit_minutes: float = MAX_MINUTES) -> None:
    if seconds is not None and seconds > limit_minutes * 60.0:
        raise AudioError(
            label,
            f"{seconds / 60.0:.1f} minutes long; the add-on handles up to {limit_minutes:g} minutes at once. "
            "Cut the dialogue into scenes (one strip each), or raise 'Max minutes' in the Gaze panel.",
        )


_MISSING = "the file of the sound strip '{strip}' is missing; point it at the file again in the Sequencer's sidebar (Strip tab > Source), or pack it"
_UNREADABLE = "export it again as WAV or FLAC, or pick another file"
# Formats whose header gives the exact length (an MP4 index, a wav/flac/aiff frame count), so that
# decoding much less than it means a cut-off file. Raw .aac and mp3 give an estimate from the bit rate.
_EXACT_LENGTH = (".m4a", ".mp4", ".m4v", ".mov", ".wav", ".flac", ".aif", ".aiff")


def load_signal(source: AudioSource) -> AudioSignal:
    """The source's audio as mono 16 kHz float32, decoded the way this Blender plays it.

    Blender's ``aud`` where it has one (anything the sequencer plays: wav, flac, ogg, mp3, .m4a,
    .aac, .mp4, ...), else the runtime's ``load_audio`` (wav, flac, ogg, mp3, aiff). Either way the
    mixdown and the resampling to 16 kHz are the runtime's (``signal_from_array``). Raises
    AudioError, one line naming the strip and its file and what to do, for a missing file, a file
    that does not decode, and audio that decodes to nothing or to silence only.
    """
    shown = source.shown_path or source.path
    if not os.path.isfile(source.path):
        problem = _MISSING.format(strip=source.strip) if source.strip else "the audio file is missing; pick it again in the Gaze panel"
        raise AudioError(shown, problem)
    aud = compat.audio_module()
    try:
        signal = _decode_with_aud(aud, source.path, shown) if aud is not None else _decode_with_runtime(source.path, shown)
    except AudioError as error:
        raise AudioError(shown, f"{source.describe()} cannot be decoded ({error.problem}); {_UNREADABLE}") from error
    if not np.any(signal.samples):
        raise AudioError(shown, f"{source.describe()} holds only silence: there is no dialogue to animate; check that it is the right file")
    return signal


def _decode_with_aud(aud: Any, path: str, shown: str) -> AudioSignal:
    from model_runtime.audio import load_audio, signal_from_array

    try:
        sound = aud.Sound(path)
        rate, channels = float(sound.specs[0]), int(sound.specs[1])
        header_frames = int(sound.length)
        if channels == 2:
            # audaspace mixes stereo to mono as left + right (exactly): halve it for the runtime's mean.
            samples = sound.rechannel(1).data()
            samples *= 0.5
        else:
            samples = sound.data()
    except aud.error as error:
        # audaspace only says that no reader could read it; the runtime's loader says why (plain
        # text, a truncated file, ...) or, where it reads the file after all, decodes it.
        try:
            return load_audio(path)
        except AudioError as reason:
            problem = reason.problem
            if problem.startswith("unsupported audio format"):
                problem = "Blender cannot read it: it is not audio, or the file is damaged"
            raise AudioError(shown, problem) from error
    # FFmpeg skips what it cannot decode of a cut-off file; audaspace passes on what is left.
    if Path(path).suffix.lower() in _EXACT_LENGTH and rate > 0 and len(samples) < 0.95 * header_frames - 0.1 * rate:
        said, got = header_frames / rate, len(samples) / rate
        raise AudioError(shown, f"it ends early, a truncated or damaged file: its header says {said:.1f} s but only {got:.1f} s decode")
    return signal_from_array(samples, round(rate), path=shown)


def _decode_with_runtime(path: str, shown: str) -> AudioSignal:
    """Where this Blender has no ``aud``: the runtime's loader (libsndfile; PyAV if installed)."""
    from model_runtime.audio import load_audio

    try:
        return load_audio(path)
    except AudioError as error:
        problem = error.problem
        if problem.startswith("unsupported audio format"):
            # A packed sound's temp copy keeps the original's extension.
            suffix = Path(path).suffix or "this format's"
            problem = f"this Blender {bpy.app.version_string} has no audio module the add-on can use for {suffix} files"
        raise AudioError(shown, problem) from error


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


def load_line(source: AudioSource, max_minutes: float = MAX_MINUTES) -> AudioSignal:
    """The line's audio (:func:`load_signal`), refusing overlong audio before decoding; temp copies go."""
    try:
        check_length(file_seconds(source.path), source.label, max_minutes)
        return load_signal(source)
    finally:
        source.cleanup()

