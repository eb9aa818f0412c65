"""Which bones, shape keys or properties receive head, eye and blink motion on a given rig.

Presets cover the rigs animators meet most: FLAME-style names (``neck``, ``left_eye``,
``right_eye``), Rigify (``head``, ``eye.L``, ``eye.R``), Mixamo-style names with any
``prefix:`` (``Head``, ``LeftEye``, ``RightEye``) and ARKit-style shape keys (``eyeLook*``,
``eyeBlink*``) on a face mesh bound to the armature. ``CUSTOM`` takes the bones the user picked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from model_runtime.errors import GazeError

# Role -> candidate names, first match wins. Mixamo rigs prefix every bone ("mixamorig:Head").
PRESET_BONES: dict[str, dict[str, tuple[str, ...]]] = {
    "FLAME": {"head": ("neck",), "left_eye": ("left_eye",), "right_eye": ("right_eye",)},
    "RIGIFY": {"head": ("head", "ORG-head"), "left_eye": ("eye.L", "ORG-eye.L"), "right_eye": ("eye.R", "ORG-eye.R")},
    "MIXAMO": {"head": ("Head",), "left_eye": ("LeftEye",), "right_eye": ("RightEye",)},
}
PRESET_LABELS = {
    "AUTO": "Detect from bone and shape key names",
    "FLAME": "FLAME names: neck, left_eye, right_eye",
    "RIGIFY": "Rigify: head, eye.L, eye.R",
    "MIXAMO": "Mixamo-style: Head, LeftEye, RightEye (any 'prefix:')",
    "ARKIT": "Head bone plus ARKit eyeLook*/eyeBlink* shape keys on the face mesh",
    "CUSTOM": "The bones picked below",
}
# ARKit eye shapes (Apple's names; matched ignoring case) for each eye: (look up, down, in, out).
ARKIT_EYE_KEYS = {
    "left": ("eyeLookUpLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft"),
    "right": ("eyeLookUpRight", "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight"),
}
ARKIT_BLINK_KEYS = ("eyeBlinkLeft", "eyeBlinkRight")
BLINK_PROPERTIES = ("gaze_blink_left", "gaze_blink_right")


class RigMappingError(GazeError):
    """The rig lacks what the mapping needs: names the object, the bone or key, and what was expected."""


@dataclass
class RigTarget:
    """What one Generate writes to. Bone names are None where that part is not written."""

    armature: Any
    preset: str
    head_bone: str | None = None
    left_eye_bone: str | None = None
    right_eye_bone: str | None = None
    face_mesh: Any = None
    # ARKit eye shape keys: real key name for each of ARKIT_EYE_KEYS, when eyes are shape keys.
    eye_keys: dict[str, str] = field(default_factory=dict)
    blink_mode: str = "NONE"  # SHAPE_KEYS, BONES, PROPERTY or NONE
    blink_keys: tuple[str, str] | None = None
    lid_bones: tuple[str, str] | None = None
    lid_angle_deg: float = 30.0
    notes: list[str] = field(default_factory=list)

    @property
    def eyes_by_shape_keys(self) -> bool:
        return bool(self.eye_keys)

    def describe(self) -> str:
        parts = [f"{self.armature.name} ({self.preset.lower()})"]
        bones = [b for b in (self.head_bone, self.left_eye_bone, self.right_eye_bone) if b]
        if bones:
            parts.append("bones " + ", ".join(bones))
        if self.eye_keys:
            parts.append(f"eye shape keys on {self.face_mesh.name}")
        parts.append(f"blinks: {self.blink_mode.lower().replace('_', ' ')}")
        return "; ".join(parts)


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


def resolve(settings: Any, armature: Any, scene: Any) -> RigTarget:
    """The RigTarget for ``armature`` under the panel's mapping ``settings`` (see properties.py).

    Raises RigMappingError naming the missing bone or shape key and what was looked for.
    """
    if armature is None:
        raise RigMappingError("No armature: select the character's armature or set 'Armature' in the Gaze panel.")
    if armature.type != "ARMATURE":
        raise RigMappingError(f"'{armature.name}' is not an armature (its type is {armature.type}): select the character's armature.")
    check_editable(armature)
    preset = settings.rig_preset
    face = settings.face_mesh
    target = RigTarget(armature=armature, preset=preset, lid_angle_deg=settings.lid_angle_deg)
    if preset == "AUTO":
        preset = _detect(armature, scene, face)
        target.preset = preset
    if preset == "CUSTOM":
        picked = {"head": settings.head_bone, "left_eye": settings.left_eye_bone, "right_eye": settings.right_eye_bone}
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
    else:
        roles = PRESET_BONES[preset]
        for role, candidates in roles.items():
            name = find_bone(armature, candidates)
            if name is None:
                hint = _similar_bones(armature, ("eye", "head", "neck"))
                raise RigMappingError(
                    f"Armature '{armature.name}' has no {role.replace('_', ' ')} bone for the {preset.title()} mapping "
                    f"(looked for {', '.join(repr(c) for c in candidates)}). "
                    + (f"Bones that may fit: {', '.join(hint)}; choose them with the Custom mapping." if hint else "Use the Custom mapping to pick bones.")
                )
            setattr(target, f"{role}_bone" if role != "head" else "head_bone", name)
    _resolve_blinks(settings, target, scene, face)
    if target.face_mesh is not None:
        check_editable(target.face_mesh, "face mesh")
    return target


def _first_head(armature: Any) -> str | None:
    for roles in PRESET_BONES.values():
        name = find_bone(armature, roles["head"])
        if name:
            return name
    return None


def _detect(armature: Any, scene: Any, face: Any) -> str:
    for preset, roles in PRESET_BONES.items():
        if all(find_bone(armature, c) for c in roles.values()):
            return preset
    if _face_mesh_with(armature, scene, ARKIT_EYE_KEYS["left"] + ARKIT_EYE_KEYS["right"], face) is not None:
        return "ARKIT"
    hint = _similar_bones(armature, ("eye", "head", "neck"))
    raise RigMappingError(
        f"Could not recognise the rig '{armature.name}': no FLAME (neck, left_eye, right_eye), Rigify (head, eye.L, eye.R) "
        "or Mixamo (Head, LeftEye, RightEye) bones, and no bound mesh with ARKit eyeLook* shape keys. "
        + (f"Bones that may fit: {', '.join(hint)}; " if hint else "")
        + "choose the Custom mapping and pick the bones."
    )


def _resolve_blinks(settings: Any, target: RigTarget, scene: Any, face: Any) -> None:
    mode = settings.blink_target
    if mode == "AUTO":
        found = _face_mesh_with(target.armature, scene, ARKIT_BLINK_KEYS, face)
        if found is not None:
            mesh, keys = found
            target.blink_mode, target.face_mesh = "SHAPE_KEYS", target.face_mesh or mesh
            target.blink_keys = (keys[ARKIT_BLINK_KEYS[0]], keys[ARKIT_BLINK_KEYS[1]])
        else:
            target.blink_mode = "PROPERTY"
            target.notes.append(f"no eyeBlink shape keys found: blinks go to the custom properties {', '.join(BLINK_PROPERTIES)} for drivers")
        return
    target.blink_mode = mode
    if mode == "SHAPE_KEYS":
        wanted = (settings.blink_left_key or ARKIT_BLINK_KEYS[0], settings.blink_right_key or ARKIT_BLINK_KEYS[1])
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
    elif mode == "BONES":
        lids = (settings.left_lid_bone, settings.right_lid_bone)
        for side, name in zip(("left", "right"), lids, strict=False):
            if not name or name not in target.armature.data.bones:
                raise RigMappingError(f"Armature '{target.armature.name}' has no {side} eyelid bone {name!r}: pick the eyelid bones or another blink target.")
        target.lid_bones = (lids[0], lids[1])

