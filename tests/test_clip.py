import numpy as np
import pytest

from model_runtime.clip import CHANNELS, MotionClip


def step_clip(fps: float, seconds: float = 2.0, step_at: float = 1.0, size: float = 10.0) -> MotionClip:
    n = round(seconds * fps)
    yaw = np.where(np.arange(n) / fps >= step_at, size, 0.0)
    return MotionClip.from_channels(fps, n, left_eye_yaw=yaw, right_eye_yaw=yaw)


def test_rejects_bad_shapes_rates_and_nan():
    with pytest.raises(ValueError, match="shape"):
        MotionClip(fps=25, data=np.zeros((10, 8)))
    with pytest.raises(ValueError, match="frame rate"):
        MotionClip(fps=0, data=np.zeros((10, 9)))
    with pytest.raises(ValueError, match="NaN"):
        MotionClip(fps=25, data=np.full((3, 9), np.nan))


def test_channels_and_properties(clip):
    assert clip.data.shape == (clip.n_frames, len(CHANNELS))
    assert clip.duration == pytest.approx(clip.n_frames / clip.fps)
    np.testing.assert_array_equal(clip.channel("right_eye_yaw"), clip.right_eye[:, 1])
    with pytest.raises(KeyError, match="unknown channel"):
        clip.channel("jaw")
    assert not clip.data.flags.writeable


@pytest.mark.parametrize("source", [24.0, 25.0, 30.0, 30000 / 1001, 50.0, 60.0])
@pytest.mark.parametrize("target", [24.0, 25.0, 30.0, 29.97, 50.0, 60.0])
def test_resampling_keeps_saccades_sharp_and_in_time(source, target):
    clip = step_clip(source)
    out = clip.resample(target)
    assert out.duration == pytest.approx(clip.duration, abs=1.0 / out.fps)
    yaw = out.channel("left_eye_yaw")
    # A jump stays a jump: at most one in-between frame, and it happens at 1 s (within a frame).
    assert np.count_nonzero((yaw > 0.01) & (yaw < 9.99)) <= 1
    first_after = np.argmax(yaw > 5.0) / out.fps
    assert abs(first_after - 1.0) <= 1.0 / out.fps + 1.0 / source


def test_downsampling_keeps_short_blinks():
    fps = 120.0
    n = 240
    blink = np.zeros(n)
    blink[101:104] = 1.0  # a 25-ms full closure, shorter than a 24-fps frame
    clip = MotionClip.from_channels(fps, n, blink_left=blink, blink_right=blink)
    for target in (24.0, 25.0, 30.0):
        assert clip.resample(target).channel("blink_left").max() == pytest.approx(1.0)


def test_resample_round_trip_is_close_for_smooth_motion(clip):
    back = clip.resample(60).resample(clip.fps)
    np.testing.assert_allclose(back.head, clip.head, atol=0.05)


def test_slice_seconds(clip):
    part = clip.slice_seconds(1.0, 2.0)
    assert part.n_frames == int(clip.fps)
    np.testing.assert_array_equal(part.data, clip.data[int(clip.fps) : int(2 * clip.fps)])
