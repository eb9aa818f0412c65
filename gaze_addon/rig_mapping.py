"""Which bones, shape keys or properties receive head, eye and blink motion on a given rig.

Auto mapping recognises the rigs animators bring:
- FLAME names (``neck``, ``left_eye``, ``right_eye``);
- generated Rigify rigs: the eyeballs (``ORG-eye.*``) damped-track the eye *target* controls
  ``eye.L`` / ``eye.R``, so the gaze is keyed as the controls' positions and blinks move the
  middle lid controls (``lid.T.*.002``); a meta-rig's ``eye.L`` is an ordinary eye bone;
- Mixamo (``mixamorig:Head``, ``LeftEye``, ``RightEye``, any ``prefix:``), also as Blender's FBX
  importer leaves them (object rotated 90 deg about X, scale 0.01, bones laid out Y-up);
- MakeHuman / MPFB and game rigs (``head``, ``eye.L`` / ``eye_l`` / ``Eye_L`` ...);
- ARKit faces (``eyeLook*`` / ``eyeBlink*`` shape keys on a mesh bound to the armature).
``CUSTOM`` takes the bones the user picked. The character's facing and up are read from the rig
(eyes side by side, the head bone upwards), or set explicitly (:data:`FACINGS`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from model_runtime import rig_pose
from model_runtime.errors import GazeError

# Role -> candidate names, first match wins. Mixamo rigs prefix every bone ("mixamorig:Head").
PRESET_BONES: dict[str, dict[str, tuple[str, ...]]] = {
    "FLAME": {"head": ("neck",), "left_eye": ("left_eye",), "right_eye": ("right_eye",)},
    "RIGIFY": {"head": ("head",), "left_eye": ("eye.L",), "right_eye": ("eye.R",)},
    "MIXAMO": {"head": ("Head",), "left_eye": ("LeftEye",), "right_eye": ("RightEye",)},
    "GAME": {
        "head": ("head", "Head", "head_01", "Head_01"),
        "left_eye": ("eye.L", "eye_l", "eye_L", "Eye_L", "Eye.L", "EyeLeft", "eye_left", "Left_Eye", "lEye", "L_Eye"),
        "right_eye": ("eye.R", "eye_r", "eye_R", "Eye_R", "Eye.R", "EyeRight", "eye_right", "Right_Eye", "rEye", "R_Eye"),
    },
}
PRESET_LABELS = {
    "AUTO": "Detect from bone and shape key names",
    "FLAME": "FLAME names: neck, left_eye, right_eye",
    "RIGIFY": "Rigify: a generated rig's eye target controls and lid controls (a meta-rig's eye bones)",
    "MIXAMO": "Mixamo: Head, LeftEye, RightEye (any 'prefix:'), FBX imports included",
    "GAME": "MakeHuman / MPFB and game rigs: head, eye.L / eye_l / Eye_L ...",
    "ARKIT": "Head bone plus ARKit eyeLook*/eyeBlink* shape keys on the face mesh",
    "CUSTOM": "The bones picked below",
}
# Explicit facings: (LEFT, UP) in armature space. AUTO reads them from the rig.
FACINGS: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]] | None] = {
    "AUTO": None,
    "NEG_Y_Z_UP": ((1.0, 0.0, 0.0), (0.0, 0.0, 1.0)),
    "POS_Z_Y_UP": ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0)),
    "POS_Y_Z_UP": ((-1.0, 0.0, 0.0), (0.0, 0.0, 1.0)),
    "NEG_Z_Y_UP": ((-1.0, 0.0, 0.0), (0.0, 1.0, 0.0)),
}
FACING_LABELS = {
    "AUTO": "From the rig: the eyes side by side, the head bone upwards",
    "NEG_Y_Z_UP": "Faces -Y, Z up (Blender's Front view)",
    "POS_Z_Y_UP": "Faces +Z, Y up (Y-up tools, FBX bones)",
    "POS_Y_Z_UP": "Faces +Y, Z up",
    "NEG_Z_Y_UP": "Faces -Z, Y up",
}
# ARKit eye shapes (Apple's names; matched ignoring case) for each eye: (look up, down, in, out).
ARKIT_EYE_KEYS = {
    "left": ("eyeLookUpLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft"),
    "right": ("eyeLookUpRight", "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight"),
}
ARKIT_BLINK_KEYS = ("eyeBlinkLeft", "eyeBlinkRight")
BLINK_PROPERTIES = ("gaze_blink_left", "gaze_blink_right")
# Rigify's generated face: the middle upper-lid controls pull the lid, the middle lower ones
# mark where it closes to (the neighbouring lid controls follow by constraints).
RIGIFY_LIDS = (("lid.T.L.002", "lid.B.L.002"), ("lid.T.R.002", "lid.B.R.002"))
# Share of the gap between the upper and lower lid that a full blink closes with Rigify's controls
# (the lower lid rises a little to meet it in a real blink; here the upper lid travels the gap).
RIGIFY_LID_TRAVEL = 0.95


class RigMappingError(GazeError):
    """The rig lacks what the mapping needs: names the object, the bone or key, and what was expected."""


@dataclass
class LidControl:
    """A bone moved to close a lid: ``closed`` is its offset at closure 1, armature rest space."""

    bone: str
    side: int  # 0 left, 1 right
    closed: NDArray[np.float64]


@dataclass
class RigTarget:
    """What one Generate writes to. Bone names are None where that part is not written.

    ``eye_drive`` says how the gaze is keyed: ``ROTATION`` turns the eye bones; ``TARGET`` moves
    eye target controls that the eyeballs aim at (Rigify); ``SHAPE_KEYS`` keys ARKit look shapes.
    ``left_eyeball`` / ``right_eyeball`` are the bones whose head is the eye's centre and whose
    rest forward is its line of sight (the eye bones themselves unless the rig aims them).
    """

    armature: Any
    preset: str
    frame: NDArray[np.float64] = field(default_factory=rig_pose.CHARACTER_TO_ARMATURE.copy)
    head_bone: str | None = None
    left_eye_bone: str | None = None
    right_eye_bone: str | None = None
    eye_drive: str = "ROTATION"
    left_eyeball: str | None = None
    right_eyeball: str | None = None
    face_mesh: Any = None
    # ARKit eye shape keys: real key name for each of ARKIT_EYE_KEYS, when eyes are shape keys.
    eye_keys: dict[str, str] = field(default_factory=dict)
    blink_mode: str = "NONE"  # SHAPE_KEYS, BONES, LID_CONTROLS, PROPERTY or NONE
    blink_keys: tuple[str, str] | None = None
    lid_bones: tuple[str, str] | None = None
    lid_angle_deg: float = 30.0
    lid_controls: list[LidControl] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def eyes_by_shape_keys(self) -> bool:
        return self.eye_drive == "SHAPE_KEYS"

    @property
    def eye_bones(self) -> tuple[str, ...]:
        return tuple(b for b in (self.left_eye_bone, self.right_eye_bone) if b and not self.eyes_by_shape_keys)

    @property
    def eyeballs(self) -> tuple[str | None, str | None]:
        return (self.left_eyeball or self.left_eye_bone, self.right_eyeball or self.right_eye_bone)

    def describe(self) -> str:
        parts = [f"{self.armature.name} ({self.preset.lower()})"]
        bones = [b for b in (self.head_bone, self.left_eye_bone, self.right_eye_bone) if b]
        if bones:
            parts.append("bones " + ", ".join(bones) + (" (eye targets)" if self.eye_drive == "TARGET" else ""))
        if self.eye_keys:
            parts.append(f"eye shape keys on {self.face_mesh.name}")
        parts.append(f"blinks: {self.blink_mode.lower().replace('_', ' ')}")
        return "; ".join(parts)


@dataclass(frozen=True)
class MappingChoice:
    """The user's mapping choices (panel or headless flags), parsed once."""

    preset: str = "AUTO"
    head_bone: str = ""
    left_eye_bone: str = ""
    right_eye_bone: str = ""
    face_mesh: Any = None
    blink_target: str = "AUTO"
    blink_left_key: str = ARKIT_BLINK_KEYS[0]
    blink_right_key: str = ARKIT_BLINK_KEYS[1]
    left_lid_bone: str = ""
    right_lid_bone: str = ""
    lid_angle_deg: float = 30.0
    facing: str = "AUTO"


def _strip_prefix(name: str) -> str:
    return name.rsplit(":", 1)[-1]


def find_bone(armature: Any, candidates: tuple[str, ...]) -> str | None:
    """The first bone named like a candidate (exactly, or after a ``prefix:`` as Mixamo writes)."""
    bones = armature.data.bones
    for candidate in candidates:
        if candidate in bones:
            return candidate
    for candidate in candidates:
        for bone in bones:
            if _strip_prefix(bone.name) == candidate:
                return str(bone.name)
    return None


def _similar_bones(armature: Any, words: tuple[str, ...]) -> list[str]:
    return [b.name for b in armature.data.bones if any(w in b.name.lower() for w in words)][:8]


def bound_meshes(armature: Any, scene: Any) -> list[Any]:
    """Meshes deformed by or parented to ``armature`` (face mesh candidates)."""
    found = []
    for obj in scene.objects:
        if obj.type != "MESH":
            continue
        by_modifier = any(m.type == "ARMATURE" and m.object == armature for m in obj.modifiers)
        if by_modifier or obj.parent == armature:
            found.append(obj)
    return found


def shape_key_lookup(mesh: Any) -> dict[str, str]:
    """Lower-cased shape key name -> real name, for a mesh object ({} without shape keys)."""
    keys = mesh.data.shape_keys if mesh is not None and mesh.type == "MESH" else None
    if keys is None:
        return {}
    return {k.name.lower(): k.name for k in keys.key_blocks}


def _arkit_keys(mesh: Any, wanted: tuple[str, ...]) -> dict[str, str] | None:
    lookup = shape_key_lookup(mesh)
    found = {w: lookup.get(w.lower()) for w in wanted}
    if all(found.values()):
        return {k: v for k, v in found.items() if v}
    return None


def _face_mesh_with(armature: Any, scene: Any, wanted: tuple[str, ...], chosen: Any) -> tuple[Any, dict[str, str]] | None:
    meshes = [chosen] if chosen is not None else bound_meshes(armature, scene)
    for mesh in meshes:
        keys = _arkit_keys(mesh, wanted)
        if keys is not None:
            return mesh, keys
    return None


def check_editable(obj: Any, what: str = "armature") -> None:
    """Refuse linked (read-only) data before anything is written."""
    if obj.library is not None:
        raise RigMappingError(
            f"The {what} '{obj.name}' is linked from the library '{obj.library.filepath}' and is read-only: "
            "make a library override (Object > Library Override > Make) and generate onto that."
        )
    override = getattr(obj, "override_library", None)
    if override is not None and getattr(override, "is_system_override", False):
        raise RigMappingError(f"The {what} '{obj.name}' is a system library override (not editable): make it editable first.")


def is_generated_rigify(armature: Any) -> bool:
    """A rig Rigify generated (not its meta-rig): eyeballs aimed at the eye target controls."""
    bones = armature.data.bones
    return all(name in bones for name in ("ORG-eye.L", "ORG-eye.R", "MCH-eye.L", "MCH-eye.R", "eye.L", "eye.R"))


def resolve(choice: MappingChoice, armature: Any, scene: Any) -> RigTarget:
    """The RigTarget for ``armature`` under the mapping ``choice``.

    Raises RigMappingError naming the missing bone or shape key and what was looked for.
    """
    if armature is None:
        raise RigMappingError("No armature: select the character's armature or set 'Armature' in the Gaze panel.")
    if armature.type != "ARMATURE":
        raise RigMappingError(f"'{armature.name}' is not an armature (its type is {armature.type}): select the character's armature.")
    check_editable(armature)
    preset = choice.preset
    face = choice.face_mesh
    target = RigTarget(armature=armature, preset=preset, lid_angle_deg=choice.lid_angle_deg)
    if preset == "AUTO":
        preset = _detect(armature, scene, face)
        target.preset = preset
    if preset == "CUSTOM":
        picked = {"head": choice.head_bone, "left_eye": choice.left_eye_bone, "right_eye": choice.right_eye_bone}
        if not any(picked.values()):
            raise RigMappingError("Custom mapping: pick at least one of the head, left eye and right eye bones in the Gaze panel.")
        for role, name in picked.items():
            if name and name not in armature.data.bones:
                raise RigMappingError(f"Armature '{armature.name}' has no bone '{name}' (picked as the {role.replace('_', ' ')} bone); pick an existing bone.")
        target.head_bone = picked["head"] or None
        target.left_eye_bone = picked["left_eye"] or None
        target.right_eye_bone = picked["right_eye"] or None
    elif preset == "ARKIT":
        target.head_bone = _first_head(armature)
        if target.head_bone is None:
            target.notes.append("no head or neck bone found: head motion not written")
        found = _face_mesh_with(armature, scene, ARKIT_EYE_KEYS["left"] + ARKIT_EYE_KEYS["right"], face)
        if found is None:
            where = f"the mesh '{face.name}'" if face is not None else f"the meshes bound to '{armature.name}'"
            raise RigMappingError(
                f"ARKit mapping: {where} lack the eye shape keys {', '.join(ARKIT_EYE_KEYS['left'] + ARKIT_EYE_KEYS['right'])}."
            )
        target.face_mesh, target.eye_keys = found
        target.eye_drive = "SHAPE_KEYS"
    else:
        for role, candidates in PRESET_BONES[preset].items():
            found_bone = find_bone(armature, candidates)
            if found_bone is None:
                hint = _similar_bones(armature, ("eye", "head", "neck"))
                raise RigMappingError(
                    f"Armature '{armature.name}' has no {role.replace('_', ' ')} bone for the {preset.title()} mapping "
                    f"(looked for {', '.join(repr(c) for c in candidates)}). "
                    + (f"Bones that may fit: {', '.join(hint)}; choose them with the Custom mapping." if hint else "Use the Custom mapping to pick bones.")
                )
            setattr(target, "head_bone" if role == "head" else f"{role}_bone", found_bone)
        if preset == "RIGIFY" and is_generated_rigify(armature):
            target.eye_drive = "TARGET"
            target.left_eyeball, target.right_eyeball = "ORG-eye.L", "ORG-eye.R"
    target.frame = character_frame(armature, target, choice.facing)
    _resolve_blinks(choice, target, scene, face)
    if target.face_mesh is not None:
        check_editable(target.face_mesh, "face mesh")
    return target


def rest_head(armature: Any, bone: str) -> NDArray[np.float64]:
    return np.array(armature.data.bones[bone].head_local, dtype=np.float64)


def character_frame(armature: Any, target: RigTarget, facing: str = "AUTO") -> NDArray[np.float64]:
    """LEFT, UP, FORWARD of the character in armature space (columns), see rig_pose.character_frame.

    AUTO: LEFT from the right eye's centre to the left one's, UP along the head bone; without two
    eyes, the object's own orientation is undone so that the character faces -Y with Z up in the
    world (what Blender's FBX importer leaves: an object rotated 90 deg about X over Y-up bones).
    """
    explicit = FACINGS.get(facing)
    if explicit is not None:
        return rig_pose.character_frame(np.array(explicit[0]), np.array(explicit[1]))
    left_ball, right_ball = target.eyeballs
    if left_ball and right_ball and target.head_bone and not target.eyes_by_shape_keys:
        left = rest_head(armature, left_ball) - rest_head(armature, right_ball)
        bone = armature.data.bones[target.head_bone]
        up = np.array(bone.tail_local, dtype=np.float64) - np.array(bone.head_local, dtype=np.float64)
        if np.linalg.norm(left) > 1e-9 and np.linalg.norm(up) > 1e-9:
            try:
                return rig_pose.character_frame(left, up)
            except ValueError:
                pass
    world = np.array(armature.matrix_world.to_3x3(), dtype=np.float64)
    inverse = np.linalg.inv(world)
    return rig_pose.character_frame(inverse @ np.array([1.0, 0.0, 0.0]), inverse @ np.array([0.0, 0.0, 1.0]))


def _first_head(armature: Any) -> str | None:
    for roles in PRESET_BONES.values():
        name = find_bone(armature, roles["head"])
        if name:
            return name
    return None


def _detect(armature: Any, scene: Any, face: Any) -> str:
    if is_generated_rigify(armature) and find_bone(armature, ("head",)):
        return "RIGIFY"
    for preset, roles in PRESET_BONES.items():
        if all(find_bone(armature, c) for c in roles.values()):
            return preset
    if _face_mesh_with(armature, scene, ARKIT_EYE_KEYS["left"] + ARKIT_EYE_KEYS["right"], face) is not None:
        return "ARKIT"
    hint = _similar_bones(armature, ("eye", "head", "neck"))
    raise RigMappingError(
        f"Could not recognise the rig '{armature.name}': no FLAME (neck, left_eye, right_eye), Rigify (head, eye.L, eye.R), "
        "Mixamo (Head, LeftEye, RightEye) or game-rig (head, eye_l, eye_r) bones, and no bound mesh with ARKit eyeLook* shape keys. "
        + (f"Bones that may fit: {', '.join(hint)}; " if hint else "")
        + "choose the Custom mapping and pick the bones."
    )


def _rigify_lids(target: RigTarget) -> list[LidControl]:
    arm = target.armature
    controls = []
    for side, (upper, lower) in enumerate(RIGIFY_LIDS):
        if upper not in arm.data.bones or lower not in arm.data.bones:
            return []
        gap = rest_head(arm, lower) - rest_head(arm, upper)
        controls.append(LidControl(upper, side, RIGIFY_LID_TRAVEL * gap))
    return controls


_LID_NAME = re.compile(r"lid", re.IGNORECASE)


def _resolve_blinks(choice: MappingChoice, target: RigTarget, scene: Any, face: Any) -> None:
    mode = choice.blink_target
    if mode == "AUTO":
        found = _face_mesh_with(target.armature, scene, ARKIT_BLINK_KEYS, face)
        if found is not None:
            mesh, keys = found
            target.blink_mode, target.face_mesh = "SHAPE_KEYS", target.face_mesh or mesh
            target.blink_keys = (keys[ARKIT_BLINK_KEYS[0]], keys[ARKIT_BLINK_KEYS[1]])
            return
        if target.preset == "RIGIFY":
            lids = _rigify_lids(target)
            if lids:
                target.blink_mode, target.lid_controls = "LID_CONTROLS", lids
                return
        target.blink_mode = "PROPERTY"
        target.notes.append(f"no eyeBlink shape keys or lid controls found: blinks go to the custom properties {', '.join(BLINK_PROPERTIES)} for drivers")
        return
    target.blink_mode = mode
    if mode == "SHAPE_KEYS":
        wanted = (choice.blink_left_key or ARKIT_BLINK_KEYS[0], choice.blink_right_key or ARKIT_BLINK_KEYS[1])
        found = _face_mesh_with(target.armature, scene, wanted, face)
        if found is None:
            where = f"The mesh '{face.name}'" if face is not None else f"No mesh bound to '{target.armature.name}'"
            raise RigMappingError(f"{where} has no shape keys {wanted[0]!r} and {wanted[1]!r} for blinks; pick the face mesh and its blink keys, or another blink target.")
        mesh, keys = found
        if target.face_mesh is not None and mesh != target.face_mesh:
            raise RigMappingError(f"Eye shape keys are on '{target.face_mesh.name}' but blink keys on '{mesh.name}': pick one face mesh.")
        target.face_mesh = mesh
        target.blink_keys = (keys[wanted[0]], keys[wanted[1]])
        check_editable(mesh, "face mesh")
    elif mode == "LID_CONTROLS":
        target.lid_controls = _rigify_lids(target)
        if not target.lid_controls:
            raise RigMappingError(f"Armature '{target.armature.name}' has no Rigify lid controls ({', '.join(u for u, _ in RIGIFY_LIDS)}): pick another blink target.")
    elif mode == "BONES":
        lid_names = (choice.left_lid_bone, choice.right_lid_bone)
        for side, name in zip(("left", "right"), lid_names, strict=False):
            if not name or name not in target.armature.data.bones:
                hint = [b.name for b in target.armature.data.bones if _LID_NAME.search(b.name)][:6]
                raise RigMappingError(
                    f"Armature '{target.armature.name}' has no {side} eyelid bone {name!r}: pick the eyelid bones or another blink target."
                    + (f" Lid bones in the rig: {', '.join(hint)}." if hint else "")
                )
        target.lid_bones = (lid_names[0], lid_names[1])
