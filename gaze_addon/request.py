"""One typed request for a Generate, built from the panel's settings or from headless flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .aim import EyeContact
from .rig_mapping import MappingChoice

if TYPE_CHECKING:
    from .properties import GazeSettings

LAYERINGS = {"ADD": "Add Up", "USER": "Mine Win"}


@dataclass(frozen=True)
class AudioChoice:
    """STRIP (a sound strip: by name, else the one under the playhead; or ALL of them) or FILE."""

    source: str = "STRIP"
    strip_name: str = ""
    all_strips: bool = False
    file: str = ""
    file_start_frame: int = 1
    max_minutes: float = 20.0


@dataclass(frozen=True)
class StyleChoice:
    """DEFAULT, PRESET (``preset``), TAKE (a file path) or ACTION (an action datablock)."""

    source: str = "DEFAULT"
    preset: str = ""
    take: str = ""
    action: Any = None

    def label(self) -> str:
        if self.source == "PRESET":
            return self.preset
        if self.source == "TAKE":
            from pathlib import Path

            return Path(self.take).stem or "take"
        if self.source == "ACTION":
            return str(self.action.name) if self.action is not None else "action"
        return "default"


@dataclass(frozen=True)
class GenerateRequest:
    audio: AudioChoice = field(default_factory=AudioChoice)
    style: StyleChoice = field(default_factory=StyleChoice)
    engine: str = "procedural"
    seed: int = 0
    head_intensity: float = 1.0
    gaze_intensity: float = 1.0
    blink_rate: float | None = None  # per minute; None: the style's
    match_statistics: bool = True
    contact: EyeContact = field(default_factory=EyeContact)
    mapping: MappingChoice = field(default_factory=MappingChoice)
    layering: str = "ADD"
    fill_idle: bool = True


def from_settings(settings: GazeSettings) -> GenerateRequest:
    """The request the panel's settings (``scene.gaze``) describe."""
    return GenerateRequest(
        audio=AudioChoice(
            source=settings.audio_source,
            strip_name=settings.strip_name,
            all_strips=bool(settings.all_strips),
            file=settings.audio_file,
            file_start_frame=int(settings.file_start_frame),
            max_minutes=float(settings.max_minutes),
        ),
        style=StyleChoice(settings.style_source, settings.style_preset, settings.style_take, settings.style_action),
        engine=settings.engine,
        seed=int(settings.seed),
        head_intensity=float(settings.head_intensity),
        gaze_intensity=float(settings.gaze_intensity),
        blink_rate=float(settings.blink_rate) or None,
        match_statistics=bool(settings.match_statistics),
        contact=EyeContact(settings.eye_contact, settings.eye_contact_object, settings.eye_contact_bone),
        mapping=MappingChoice(
            preset=settings.rig_preset,
            head_bone=settings.head_bone,
            left_eye_bone=settings.left_eye_bone,
            right_eye_bone=settings.right_eye_bone,
            face_mesh=settings.face_mesh,
            blink_target=settings.blink_target,
            blink_left_key=settings.blink_left_key,
            blink_right_key=settings.blink_right_key,
            left_lid_bone=settings.left_lid_bone,
            right_lid_bone=settings.right_lid_bone,
            lid_angle_deg=float(settings.lid_angle_deg),
            facing=settings.facing,
        ),
        layering=settings.layering,
        fill_idle=bool(settings.fill_idle),
    )
