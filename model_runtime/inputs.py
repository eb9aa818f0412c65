"""What a generation is given, read once below the engines: the speech and the style.

:func:`parse_style` turns any style input (None, a preset name, a STYLE.json, a take file, a
MotionClip, a PerformerStyle) into one typed :class:`ParsedStyle`; :func:`speech_features` turns any
audio input into features at a frame rate. :mod:`model_runtime.generate` and both engines use these,
so no engine calls back into ``generate``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from model_runtime.audio.types import AudioSignal, SpeechFeatures
from model_runtime.clip import MotionClip
from model_runtime.errors import GazeError

if TYPE_CHECKING:
    from model_runtime.performer.style import PerformerStyle

AudioInput = str | Path | AudioSignal | SpeechFeatures
StyleInput: TypeAlias = "str | Path | MotionClip | PerformerStyle | None"


@dataclass(frozen=True)
class ParsedStyle:
    """A style input, read: exactly one of ``preset``, ``style`` (an explicit performer style) or
    ``take`` (a reference take) is set; ``source`` names the input in messages and metadata."""

    source: str
    preset: str | None = None
    style: PerformerStyle | None = None
    take: MotionClip | None = None

    def performer_style(self) -> PerformerStyle:
        """The performer style it stands for: the preset's, the explicit one, or the take's estimate
        (GazeError naming the take when it is too short or still to read one from)."""
        from model_runtime.performer.estimate import estimate_style
        from model_runtime.performer.presets import load_preset

        if self.take is not None:
            return estimate_style(self.take, source=self.source)
        if self.style is not None:
            return self.style
        return load_preset(self.preset or "neutral")


def parse_style(style: StyleInput | ParsedStyle) -> ParsedStyle:
    """Read a style input once (a take or STYLE.json file is loaded here); GazeError for anything else."""
    from model_runtime.performer.presets import DEFAULT_PRESET, PRESET_NAMES
    from model_runtime.performer.style import PerformerStyle

    if isinstance(style, ParsedStyle):
        return style
    if style is None:
        return ParsedStyle(source=f"preset {DEFAULT_PRESET}", preset=DEFAULT_PRESET)
    if isinstance(style, PerformerStyle):
        return ParsedStyle(source="performer style", style=style.clamped())
    if isinstance(style, MotionClip):
        return ParsedStyle(source="reference take", take=style)
    if isinstance(style, str) and style in PRESET_NAMES:
        return ParsedStyle(source=f"preset {style}", preset=style)
    if isinstance(style, (str, Path)):
        path = Path(style)
        if not path.exists():
            raise GazeError(f"style {str(style)!r} is neither a preset ({', '.join(PRESET_NAMES)}) nor an existing STYLE.json or take file")
        if path.suffix.lower() == ".json":
            return ParsedStyle(source=str(style), style=PerformerStyle.load(path).clamped())
        from model_runtime.takes import load_take

        return ParsedStyle(source=str(style), take=load_take(path))
    raise GazeError(f"style must be None, a preset name, a path, a MotionClip or a PerformerStyle, got {type(style).__name__}")


def resolve_style(style: StyleInput | ParsedStyle) -> PerformerStyle:
    """A PerformerStyle from any style input (see :func:`parse_style`)."""
    return parse_style(style).performer_style()


def speech_features(audio: AudioInput, fps: float, *, keep_logmel: bool = True) -> SpeechFeatures:
    """Features of ``audio`` at ``fps``; SpeechFeatures must already be at that rate.

    ``keep_logmel=False`` may leave logmel empty (frames, 0), for engines that never read it.
    """
    if isinstance(audio, SpeechFeatures):
        if abs(audio.fps - fps) > 1e-6 * fps:
            raise GazeError(f"speech features are at {audio.fps:g} fps but {fps:g} fps was asked for; compute them at {fps:g} fps")
        return audio
    from model_runtime.audio import compute_features, features_from_file

    if isinstance(audio, AudioSignal):
        whole: SpeechFeatures = compute_features(audio, fps)
        return whole
    # A file is streamed: the same features as decoding it whole, without holding the decoded audio.
    features: SpeechFeatures = features_from_file(audio, fps, keep_logmel=keep_logmel)
    return features
