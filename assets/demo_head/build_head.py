"""Build the demo head in the current Blender scene: a FLAME-named armature, a skinned stylised head
with blink shape keys, eyeballs with iris and pupil, a camera framing the face, and lights.

Run inside Blender (3.4 to 5.x), e.g. ``blender -b --python assets/demo_head/build_head.py -- OUT.blend``,
or import it and call :func:`build_demo_head`. Made entirely by this script (no third-party models).

The character faces -Y with +X its own left and +Z up (docs/conventions.md). Units are metres; the
eyes sit about 1.64 m above the floor. Bones follow FLAME's joints and hierarchy:
``root`` > ``neck`` > (``jaw``, ``left_eye``, ``right_eye``); the eye bones point along the gaze
(-Y) and the neck bone up the head, so a rotation in each bone's frame is the usual one.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import bmesh
import bpy
from mathutils import Matrix, Vector

HEAD_CENTRE = Vector((0.0, 0.0, 1.625))
EYE_RADIUS = 0.0135
EYE_CENTRES = {"left_eye": Vector((0.031, -0.078, 1.637)), "right_eye": Vector((-0.031, -0.078, 1.637))}
# Bones: name -> (head, tail, parent).
BONES = {
    "root": ((0.0, 0.015, 1.36), (0.0, 0.015, 1.46), None),
    "neck": ((0.0, 0.01, 1.50), (0.0, 0.01, 1.70), "root"),
    "jaw": ((0.0, -0.005, 1.585), (0.0, -0.07, 1.535), "neck"),
    "left_eye": (tuple(EYE_CENTRES["left_eye"]), tuple(EYE_CENTRES["left_eye"] + Vector((0, -0.03, 0))), "neck"),
    "right_eye": (tuple(EYE_CENTRES["right_eye"]), tuple(EYE_CENTRES["right_eye"] + Vector((0, -0.03, 0))), "neck"),
}
# ARKit's blend-shape names; "Left" is the character's own left.
BLINK_KEYS = {"left_eye": "eyeBlinkLeft", "right_eye": "eyeBlinkRight"}
# Linear-RGB base colours.
MATERIALS = {
    "skin": (0.60, 0.36, 0.26, 1.0),
    "hair": (0.06, 0.035, 0.02, 1.0),
    "brow": (0.05, 0.03, 0.02, 1.0),
    "lips": (0.55, 0.22, 0.22, 1.0),
    "lash": (0.02, 0.015, 0.015, 1.0),
    "shirt": (0.12, 0.20, 0.35, 1.0),
    "sclera": (0.90, 0.88, 0.85, 1.0),
    "iris": (0.10, 0.32, 0.55, 1.0),
    "pupil": (0.005, 0.005, 0.005, 1.0),
}
IRIS_DEG = 27.0  # angular radius of the iris seen from the eye's centre
PUPIL_DEG = 11.0
# Eyelid openings (degrees above the eye's horizontal through its centre), at the middle of the eye.
UPPER_LID_OPEN_DEG = 26.0
LOWER_LID_DEG = -28.0
LID_CORNER_DEG = 55.0  # sideways angle where the upper and lower lids meet (the eye's corners)


@dataclass
class _Builder:
    bm: bmesh.types.BMesh
    material_names: list[str]
    weights: dict[str, list[tuple[bmesh.types.BMVert, float]]] = field(default_factory=dict)
    blink_targets: dict[str, list[tuple[bmesh.types.BMVert, Vector]]] = field(default_factory=dict)

    def material(self, name: str) -> int:
        if name not in self.material_names:
            self.material_names.append(name)
        return self.material_names.index(name)

    def weigh(self, verts: list[bmesh.types.BMVert], group: str, weight: float = 1.0) -> None:
        self.weights.setdefault(group, []).extend((v, weight) for v in verts)

    def ellipsoid(self, centre: tuple[float, float, float], radii: tuple[float, float, float], material: str, *,
                  rotation: Matrix | None = None, segments: int = 32, rings: int = 16) -> list[bmesh.types.BMVert]:
        matrix = Matrix.Translation(centre) @ (rotation or Matrix.Identity(4)) @ Matrix.Diagonal((*radii, 1.0))
        verts = bmesh.ops.create_uvsphere(self.bm, u_segments=segments, v_segments=rings, radius=1.0, matrix=matrix)["verts"]
        self._paint(verts, material)
        return list(verts)

    def _paint(self, verts: list[bmesh.types.BMVert], material: str) -> None:
        index = self.material(material)
        for face in {f for v in verts for f in v.link_faces}:
            face.material_index = index
            face.smooth = True


def _lid_direction(alpha_deg: float, beta_deg: float) -> Vector:
    """Unit vector from an eye's centre: ``alpha`` up from the gaze axis (-Y) about X, ``beta`` sideways."""
    a, b = math.radians(alpha_deg), math.radians(beta_deg)
    return Vector((math.sin(b), -math.cos(b) * math.cos(a), math.cos(b) * math.sin(a)))


def _corner_blend(beta_deg: float) -> float:
    """0 at the middle of the eye, 1 at and beyond the corners (the lid edges' almond shape)."""
    return min(1.0, (beta_deg / LID_CORNER_DEG) ** 2)


def _add_lid(builder: _Builder, centre: Vector, side: str, upper: bool) -> None:
    """A shell over the eyeball, from its edge to behind the eye, with a thin rim folding to the eye."""
    meet = 0.5 * (UPPER_LID_OPEN_DEG + LOWER_LID_DEG)
    radius = EYE_RADIUS * (1.10 if upper else 1.07)
    back = 150.0 if upper else -150.0
    betas = [-80.0 + 160.0 * i / 40 for i in range(41)]
    steps = 14
    rows: list[list[bmesh.types.BMVert]] = []
    targets: list[tuple[bmesh.types.BMVert, Vector]] = []
    for row in range(-1, steps + 1):  # row -1: the inner rim, touching the eyeball
        verts = []
        for beta in betas:
            blend = _corner_blend(beta)
            if upper:
                edge = UPPER_LID_OPEN_DEG + (meet - UPPER_LID_OPEN_DEG) * blend
                closed = LOWER_LID_DEG + (meet - LOWER_LID_DEG) * blend - 4.0
            else:
                edge = closed = LOWER_LID_DEG + (meet - LOWER_LID_DEG) * blend
            t = max(row, 0) / steps
            r = EYE_RADIUS * 1.01 if row < 0 else radius
            vert = builder.bm.verts.new(centre + r * _lid_direction(edge + t * (back - edge), beta))
            if upper:
                targets.append((vert, centre + r * _lid_direction(closed + t * (back - closed), beta)))
            verts.append(vert)
        rows.append(verts)
    faces = []
    for lower_row, upper_row in pairwise(rows):
        for i in range(len(betas) - 1):
            quad = (lower_row[i], lower_row[i + 1], upper_row[i + 1], upper_row[i])
            faces.append(builder.bm.faces.new(quad if upper else quad[::-1]))
    skin, rim = builder.material("skin"), builder.material("lash" if upper else "lips")
    for face in faces:
        face.smooth = True
        face.material_index = rim if any(v in rows[0] for v in face.verts) else skin
    all_verts = [v for row in rows for v in row]
    builder.weigh(all_verts, "neck")
    if upper:
        builder.blink_targets.setdefault(side, []).extend(targets)


def _hair_cap(builder: _Builder, centre: Vector, radii: tuple[float, float, float]) -> None:
    """A cap over the skull whose hairline is a smooth curve: high at the forehead, low at the nape."""
    segments, rows = 64, 20
    grid = []
    for row in range(rows + 1):
        ring = []
        for i in range(segments):
            theta = 2 * math.pi * i / segments  # 0 at the character's left, pi/2 at the back (+Y)
            back = 0.5 * (1 + math.sin(theta))  # 0 at the face, 1 at the nape
            polar = math.radians(62 + 55 * back) * max(row, 0.02) / rows  # from the crown down to the hairline
            ring.append(builder.bm.verts.new(centre + Vector((radii[0] * math.sin(polar) * math.cos(theta),
                                                              radii[1] * math.sin(polar) * math.sin(theta),
                                                              radii[2] * math.cos(polar)))))
        grid.append(ring)
    for inner, outer in pairwise(grid):
        for i in range(segments):
            builder.bm.faces.new((inner[i], inner[(i + 1) % segments], outer[(i + 1) % segments], outer[i]))
    verts = [v for ring in grid for v in ring]
    bmesh.ops.remove_doubles(builder.bm, verts=grid[0], dist=1e-6)
    verts = [v for v in verts if v.is_valid]
    builder._paint(verts, "hair")
    builder.weigh(verts, "neck")


def _head_mesh(builder: _Builder) -> None:
    c = HEAD_CENTRE
    neck = builder.weigh
    skull = (0.072, 0.088, 0.100)
    neck(builder.ellipsoid((c.x, c.y, c.z), skull, "skin", segments=48, rings=32), "neck")
    # Jaw and chin, narrower than the skull.
    neck(builder.ellipsoid((0.0, -0.024, 1.565), (0.060, 0.068, 0.062), "skin", segments=40, rings=24), "neck")
    neck(builder.ellipsoid((0.0, -0.092, 1.606), (0.0095, 0.016, 0.024), "skin", rotation=Matrix.Rotation(math.radians(-25), 4, "X")), "neck")
    for x in (0.071, -0.071):  # ears
        neck(builder.ellipsoid((x, 0.008, 1.625), (0.009, 0.017, 0.027), "skin", rotation=Matrix.Rotation(math.radians(15 if x < 0 else -15), 4, "Z")), "neck")
    for x in (0.031, -0.031):  # brows, tilted down towards the nose
        tilt = Matrix.Rotation(math.radians(-8 if x > 0 else 8), 4, "Y") @ Matrix.Rotation(math.radians(-12 if x > 0 else 12), 4, "Z")
        neck(builder.ellipsoid((x, -0.083, 1.664), (0.017, 0.005, 0.0035), "brow", rotation=tilt, segments=16, rings=8), "neck")
    neck(builder.ellipsoid((0.0, -0.0885, 1.566), (0.019, 0.006, 0.0045), "lips", segments=24, rings=12), "neck")
    _hair_cap(builder, Vector((0.0, 0.004, c.z + 0.006)), (0.077, 0.093, 0.102))
    # Neck: rings from the shoulders into the head, blended from the root bone to the neck bone.
    rings = []
    for k in range(12):
        z = 1.34 + 0.22 * k / 11
        ring = [builder.bm.verts.new((0.052 * math.cos(2 * math.pi * i / 32), 0.012 + 0.05 * math.sin(2 * math.pi * i / 32), z)) for i in range(32)]
        w = min(1.0, max(0.0, (z - 1.40) / 0.12))
        builder.weights.setdefault("neck", []).extend((v, w) for v in ring)
        builder.weights.setdefault("root", []).extend((v, 1.0 - w) for v in ring)
        rings.append(ring)
    for below, above in pairwise(rings):
        for i in range(32):
            builder.bm.faces.new((below[i], below[(i + 1) % 32], above[(i + 1) % 32], above[i]))
    builder._paint([v for ring in rings for v in ring], "skin")
    builder.weigh(builder.ellipsoid((0.0, 0.025, 1.30), (0.20, 0.11, 0.125), "shirt", segments=48, rings=24), "root")
    for side, centre in EYE_CENTRES.items():
        _add_lid(builder, centre, side, upper=True)
        _add_lid(builder, centre, side, upper=False)


def _eyeball(builder: _Builder, centre: Vector, bone: str) -> None:
    # Poles along the gaze axis so the iris and pupil are rings of faces.
    to_forward = Matrix.Rotation(math.radians(90), 4, "X")  # +Z -> -Y
    verts = builder.ellipsoid(tuple(centre), (EYE_RADIUS,) * 3, "sclera", rotation=to_forward, segments=32, rings=48)
    builder.weigh(verts, bone)
    for face in {f for v in verts for f in v.link_faces}:
        angle = math.degrees((face.calc_center_median() - centre).angle(Vector((0.0, -1.0, 0.0))))
        name = "pupil" if angle < PUPIL_DEG else "iris" if angle < IRIS_DEG else "sclera"
        face.material_index = builder.material(name)
    # The cornea: a clear bulge over the iris would need glass; a slight forward push reads the same.
    for v in verts:
        angle = math.degrees((v.co - centre).angle(Vector((0.0, -1.0, 0.0))))
        if angle < IRIS_DEG:
            v.co = centre + (v.co - centre) * (1.0 + 0.06 * math.cos(math.radians(angle / IRIS_DEG * 90.0)))


def _material(name: str, colour: tuple[float, float, float, float]) -> bpy.types.Material:
    material = bpy.data.materials.get(name) or bpy.data.materials.new(name)
    material.diffuse_color = colour  # Workbench and the viewport
    material.use_nodes = True
    bsdf = material.node_tree.nodes.get("Principled BSDF")
    if bsdf is not None:
        bsdf.inputs["Base Color"].default_value = colour
        glossy = name in ("sclera", "iris", "pupil", "lips")
        bsdf.inputs["Roughness"].default_value = 0.25 if glossy else 0.55
        material.roughness = bsdf.inputs["Roughness"].default_value
    return material


def _mesh_object(name: str, builder: _Builder, armature: bpy.types.Object, collection: bpy.types.Collection) -> bpy.types.Object:
    builder.bm.verts.index_update()
    mesh = bpy.data.meshes.new(name)
    builder.bm.to_mesh(mesh)
    for material_name in builder.material_names:
        mesh.materials.append(_material(material_name, MATERIALS[material_name]))
    obj = bpy.data.objects.new(name, mesh)
    collection.objects.link(obj)
    for group, entries in builder.weights.items():
        vgroup = obj.vertex_groups.get(group) or obj.vertex_groups.new(name=group)
        for vert, weight in entries:
            if vert.is_valid and weight > 0.0:
                vgroup.add([vert.index], weight, "REPLACE")
    if builder.blink_targets:
        obj.shape_key_add(name="Basis", from_mix=False)
        for side, targets in builder.blink_targets.items():
            key = obj.shape_key_add(name=BLINK_KEYS[side], from_mix=False)
            key.value = 0.0  # Blender 5.0 starts new keys at 1 (fully applied)
            for vert, target in targets:
                key.data[vert.index].co = target
    obj.parent = armature
    modifier = obj.modifiers.new("Armature", "ARMATURE")
    modifier.object = armature
    builder.bm.free()
    return obj


def _armature(collection: bpy.types.Collection) -> bpy.types.Object:
    data = bpy.data.armatures.new("DemoRig")
    rig = bpy.data.objects.new("DemoRig", data)
    collection.objects.link(rig)
    bpy.context.view_layer.objects.active = rig
    bpy.ops.object.mode_set(mode="EDIT")
    for name, (head, tail, parent) in BONES.items():
        bone = data.edit_bones.new(name)
        bone.head, bone.tail, bone.roll = head, tail, 0.0
        if parent is not None:
            bone.parent = data.edit_bones[parent]
    bpy.ops.object.mode_set(mode="OBJECT")
    data.display_type = "STICK"
    rig.show_in_front = True
    return rig


def _camera_and_lights(scene: bpy.types.Scene, collection: bpy.types.Collection) -> bpy.types.Object:
    camera = bpy.data.objects.new("DemoCamera", bpy.data.cameras.new("DemoCamera"))
    camera.data.lens = 90.0
    camera.location = (0.0, -0.78, 1.625)
    camera.rotation_euler = (math.radians(90.0), 0.0, 0.0)
    collection.objects.link(camera)
    scene.camera = camera
    target = Vector((0.0, -0.05, 1.62))
    # (name, location, power in W, size in m, colour): key from the viewer's upper left, fill, rim.
    lights = (
        ("Key", (-0.55, -0.75, 2.05), 20.0, 0.5, (1.0, 0.95, 0.88)),
        ("Fill", (0.70, -0.60, 1.55), 6.0, 0.8, (0.85, 0.9, 1.0)),
        ("Rim", (0.35, 0.65, 1.95), 25.0, 0.3, (1.0, 1.0, 1.0)),
    )
    for name, location, power, size, colour in lights:
        light = bpy.data.lights.new(name, "AREA")
        light.energy, light.size, light.color = power, size, colour
        obj = bpy.data.objects.new(name, light)
        obj.location = location
        obj.rotation_euler = (target - Vector(location)).to_track_quat("-Z", "Y").to_euler()
        collection.objects.link(obj)
    world = scene.world or bpy.data.worlds.new("DemoWorld")
    scene.world = world
    world.color = (0.035, 0.04, 0.05)
    scene.view_settings.view_transform = "Standard"  # keeps the skin and iris colours as authored
    world.use_nodes = True
    background = world.node_tree.nodes.get("Background")
    if background is not None:
        background.inputs["Color"].default_value = (0.035, 0.04, 0.05, 1.0)
    return camera


def build_demo_head(scene: bpy.types.Scene | None = None) -> dict[str, bpy.types.Object]:
    """Add the demo character to ``scene`` (default: the current one); returns its objects by role."""
    scene = scene or bpy.context.scene
    collection = bpy.data.collections.new("DemoHead")
    scene.collection.children.link(collection)
    rig = _armature(collection)
    head = _mesh_object("DemoHeadMesh", _build(_head_mesh), rig, collection)
    eyes = _build(lambda b: [_eyeball(b, centre, bone) for bone, centre in EYE_CENTRES.items()])
    eye_object = _mesh_object("DemoEyes", eyes, rig, collection)
    camera = _camera_and_lights(scene, collection)
    bpy.context.view_layer.update()  # world matrices of the new objects, for anything that reads them next
    return {"armature": rig, "head": head, "eyes": eye_object, "camera": camera}


def _build(fill: object) -> _Builder:
    builder = _Builder(bmesh.new(), [])
    fill(builder)  # type: ignore[operator]
    return builder


if __name__ == "__main__":
    bpy.ops.wm.read_homefile(use_empty=True)
    build_demo_head()
    args = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    if args:
        bpy.ops.wm.save_as_mainfile(filepath=str(Path(args[0]).resolve()))
