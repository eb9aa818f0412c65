import numpy as np
import pytest

from model_runtime import conventions as c


def test_head_matrix_and_angles_invert():
    rng = np.random.default_rng(1)
    angles = rng.uniform(-60, 60, size=(200, 3))
    m = c.head_matrix(angles[:, 0], angles[:, 1], angles[:, 2])
    back = np.stack(c.head_angles(m), axis=1)
    np.testing.assert_allclose(back, angles, atol=1e-9)


@pytest.mark.parametrize(
    ("pitch", "yaw", "roll", "axis", "expected"),
    [
        (0, 90, 0, c.FORWARD, c.LEFT),  # +yaw turns the nose to the character's left
        (90, 0, 0, c.FORWARD, c.UP),  # +pitch lifts the chin
        (0, 0, 90, c.UP, c.LEFT),  # +roll tips the top of the head to the left shoulder
    ],
)
def test_signs_in_words(pitch, yaw, roll, axis, expected):
    m = c.head_matrix(np.array(pitch), np.array(yaw), np.array(roll))
    np.testing.assert_allclose(m @ axis, expected, atol=1e-12)


def test_direction_angles_invert_and_head_forward_matches():
    p, y = np.array([-30.0, 0.0, 12.0]), np.array([45.0, -10.0, 0.0])
    d = c.direction_from_angles(p, y)
    np.testing.assert_allclose(np.linalg.norm(d, axis=1), 1.0)
    np.testing.assert_allclose(np.stack(c.angles_from_direction(d)), np.stack([p, y]), atol=1e-12)
    # The head's forward axis points where an eye with the same pitch and yaw would look.
    np.testing.assert_allclose(c.head_matrix(p, y, np.zeros(3)) @ c.FORWARD, d, atol=1e-12)


def test_rotvec_round_trip_including_near_pi():
    rng = np.random.default_rng(2)
    vecs = rng.normal(size=(100, 3))
    vecs = vecs / np.linalg.norm(vecs, axis=1, keepdims=True) * rng.uniform(0, np.pi - 1e-4, size=(100, 1))
    m = c.rotvec_to_matrix(vecs)
    np.testing.assert_allclose(c.rotvec_to_matrix(c.matrix_to_rotvec(m)), m, atol=1e-8)
    np.testing.assert_allclose(m @ np.swapaxes(m, -1, -2), np.broadcast_to(np.eye(3), m.shape), atol=1e-12)


@pytest.mark.parametrize(("given", "expected"), [(29.97, 30000 / 1001), (30.0, 30.0), (23.976, 24000 / 1001), (24.0, 24.0), (59.94, 60000 / 1001), (27.0, 27.0)])
def test_snap_fps(given, expected):
    assert c.snap_fps(given) == expected
