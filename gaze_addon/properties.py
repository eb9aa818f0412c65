"""The Gaze panel's settings, stored per scene as ``scene.gaze``."""


import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, IntProperty, PointerProperty, StringProperty

from model_runtime.performer.presets import DEFAULT_PRESET, PRESET_NAMES, preset_description

from .request import LAYERINGS
from .rig_mapping import FACING_LABELS, PRESET_LABELS
from .sound import MAX_MINUTES


def _is_armature(_self: object, obj: bpy.types.Object) -> bool:
    return obj.type == "ARMATURE"


def _is_mesh(_self: object, obj: bpy.types.Object) -> bool:
    return obj.type == "MESH"


class GazeSettings(bpy.types.PropertyGroup):
    # Audio
    audio_source: EnumProperty(  # type: ignore[valid-type]
        name="Audio",
        items=[("STRIP", "Strip", "A sound strip of the scene's sequencer"), ("FILE", "File", "An audio file on disk")],
        default="STRIP",
    )
    strip_name: StringProperty(name="Strip", description="Sound strip to use; empty: the one under the playhead, or the only one")  # type: ignore[valid-type]
    all_strips: BoolProperty(name="Every Line", description="One take per unmuted sound strip of the scene, each at its strip's frames", default=False)  # type: ignore[valid-type]
    audio_file: StringProperty(name="Audio File", subtype="FILE_PATH")  # type: ignore[valid-type]
    file_start_frame: IntProperty(name="Start Frame", description="Timeline frame where an audio file starts", default=1)  # type: ignore[valid-type]
    max_minutes: FloatProperty(name="Max Minutes", description="Longest audio generated at once", default=MAX_MINUTES, min=0.1, max=180.0)  # type: ignore[valid-type]
    # Style
    style_source: EnumProperty(  # type: ignore[valid-type]
        name="Style",
        items=[
            ("DEFAULT", "Default", "The engine's default performer"),
            ("PRESET", "Preset", "A named style preset"),
            ("TAKE", "Take File", "A reference take: Live Link Face CSV, FLAME sequence or project npz"),
            ("ACTION", "Action", "An existing action on a rig in the scene (read with the rig mapping below)"),
        ],
        default="DEFAULT",
    )
    style_preset: EnumProperty(  # type: ignore[valid-type]
        name="Preset", items=[(n, n.replace("_", " ").title(), preset_description(n)) for n in PRESET_NAMES], default=DEFAULT_PRESET
    )
    style_take: StringProperty(name="Take", subtype="FILE_PATH")  # type: ignore[valid-type]
    style_action: PointerProperty(name="Action", type=bpy.types.Action)  # type: ignore[valid-type]
    # Engine and animator controls
    engine: EnumProperty(  # type: ignore[valid-type]
        name="Engine",
        items=[("learned", "Learned", "The trained model"), ("procedural", "Procedural", "The physiological performer")],
        default="procedural",
    )
    seed: IntProperty(name="Seed", default=0, min=0)  # type: ignore[valid-type]
    head_intensity: FloatProperty(name="Head", description="0 keeps the head still (gaze and blinks stay)", default=1.0, min=0.0, max=2.0)  # type: ignore[valid-type]
    gaze_intensity: FloatProperty(name="Gaze", default=1.0, min=0.0, max=2.0)  # type: ignore[valid-type]
    match_statistics: BoolProperty(  # type: ignore[valid-type]
        name="Match Reference Statistics",
        description="Learned engine: steer towards the style's saccade rate, eye contact, head size and where it looks away. Off: the model's own draws",
        default=True,
    )
    blink_rate: FloatProperty(name="Blinks / min", description="0: the style's own rate", default=0.0, min=0.0, max=60.0)  # type: ignore[valid-type]
    eye_contact: EnumProperty(  # type: ignore[valid-type]
        name="Eye Contact",
        items=[
            ("FORWARD", "Forward", "Straight ahead"),
            ("CAMERA", "Active Camera", "The scene camera, frame by frame"),
            ("OBJECT", "Object", "An object, frame by frame"),
            ("BONE", "Bone", "A bone of an armature, e.g. another character's eye"),
        ],
        default="FORWARD",
    )
    eye_contact_object: PointerProperty(name="Look At", type=bpy.types.Object)  # type: ignore[valid-type]
    eye_contact_bone: StringProperty(name="Bone", description="Bone of the Look At armature")  # type: ignore[valid-type]
    # Target and mapping
    armature: PointerProperty(name="Armature", type=bpy.types.Object, poll=_is_armature, description="Empty: the active object")  # type: ignore[valid-type]
    rig_preset: EnumProperty(name="Mapping", items=[(k, k.title(), v) for k, v in PRESET_LABELS.items()], default="AUTO")  # type: ignore[valid-type]
    head_bone: StringProperty(name="Head")  # type: ignore[valid-type]
    left_eye_bone: StringProperty(name="Left Eye")  # type: ignore[valid-type]
    right_eye_bone: StringProperty(name="Right Eye")  # type: ignore[valid-type]
    face_mesh: PointerProperty(name="Face Mesh", type=bpy.types.Object, poll=_is_mesh, description="Empty: found from the armature")  # type: ignore[valid-type]
    blink_target: EnumProperty(  # type: ignore[valid-type]
        name="Blinks",
        items=[
            ("AUTO", "Auto", "eyeBlink shape keys if the face mesh has them, else custom properties"),
            ("SHAPE_KEYS", "Shape Keys", "Shape keys of the face mesh"),
            ("BONES", "Eyelid Bones", "Rotate eyelid bones about their X axis"),
            ("LID_CONTROLS", "Rigify Lids", "Move a generated Rigify rig's lid controls"),
            ("PROPERTY", "Custom Property", "gaze_blink_left / gaze_blink_right on the armature, for drivers"),
            ("NONE", "None", "No blinks"),
        ],
        default="AUTO",
    )
    blink_left_key: StringProperty(name="Left Blink Key", default="eyeBlinkLeft")  # type: ignore[valid-type]
    blink_right_key: StringProperty(name="Right Blink Key", default="eyeBlinkRight")  # type: ignore[valid-type]
    left_lid_bone: StringProperty(name="Left Lid")  # type: ignore[valid-type]
    right_lid_bone: StringProperty(name="Right Lid")  # type: ignore[valid-type]
    lid_angle_deg: FloatProperty(name="Lid Angle", description="Rotation of a closed lid about its X axis, degrees", default=30.0, min=-180.0, max=180.0)  # type: ignore[valid-type]
    facing: EnumProperty(name="Facing", items=[(k, k.replace("_", " ").title() if k != "AUTO" else "Auto", v) for k, v in FACING_LABELS.items()], default="AUTO")  # type: ignore[valid-type]
    layering: EnumProperty(  # type: ignore[valid-type]
        name="Layering",
        items=[
            ("ADD", LAYERINGS["ADD"], "Your head and eye keys and the generated motion add up"),
            ("USER", LAYERINGS["USER"], "Where your action keys the head or eyes, your keys win"),
        ],
        default="ADD",
    )
    fill_idle: BoolProperty(name="Alive Between Lines", description="Idle gaze, blinks and small head motion before, between and after lines", default=True)  # type: ignore[valid-type]
    show_mapping: BoolProperty(name="Mapping", default=False)  # type: ignore[valid-type]
    status: StringProperty(name="Status", default="")  # type: ignore[valid-type]


CLASSES = (GazeSettings,)


def scene_settings(scene: bpy.types.Scene) -> GazeSettings:
    """The Gaze panel's settings of ``scene`` (registered as ``scene.gaze``)."""
    settings: GazeSettings = getattr(scene, "gaze")  # noqa: B009 - registered at run time, unknown to the stubs
    return settings


def register_properties() -> None:
    setattr(bpy.types.Scene, "gaze", PointerProperty(type=GazeSettings))  # type: ignore[func-returns-value]  # noqa: B010


def unregister_properties() -> None:
    delattr(bpy.types.Scene, "gaze")
