"""A file streamed from disk gives the features of the whole decoded file, frame for frame (issue #25).

The 3-hour check at every rate is benchmarks/long_audio.py; here a file of odd length at 44.1 kHz
(blocks of neither size divide it) at the same rates.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from model_runtime.audio import compute_features, features_from_file, load_audio, n_frames_for
from model_runtime.audio.files import _blocks_of

SECONDS = 23.37
SOURCE_RATE = 44100


@pytest.fixture(scope="module")
def long_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("audio") / "odd.wav"
    t = np.arange(round(SECONDS * SOURCE_RATE)) / SOURCE_RATE
    voice = 0.3 * np.sign(np.sin(2 * np.pi * 140 * t)) * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)) * ((t % 3.0) < 2.0)
    soundfile.write(path, voice.astype(np.float32), SOURCE_RATE, subtype="PCM_16")
    return path


@pytest.mark.parametrize("fps", [24.0, 25.0, 30000 / 1001, 30.0, 60.0])
def test_streamed_file_equals_whole_file(long_wav: Path, fps: float) -> None:
    whole = compute_features(load_audio(long_wav), fps, n_mels=8)
    streamed = features_from_file(long_wav, fps, n_mels=8)
    assert streamed.n_frames == whole.n_frames == n_frames_for(round(SECONDS * 16000), fps)
    for name in ("f0_hz", "voiced", "rms", "onset", "logmel", "speech"):
        np.testing.assert_array_equal(getattr(streamed, name), getattr(whole, name), err_msg=name)
    assert streamed.utterances == whole.utterances and len(whole.utterances) >= 5


def test_features_without_logmel_keep_everything_else(long_wav: Path) -> None:
    whole = compute_features(load_audio(long_wav), 25.0, n_mels=8)
    lean = features_from_file(long_wav, 25.0, n_mels=8, keep_logmel=False)
    assert lean.logmel.shape == (whole.n_frames, 0)
    for name in ("f0_hz", "voiced", "rms", "onset", "speech"):
        np.testing.assert_array_equal(getattr(lean, name), getattr(whole, name), err_msg=name)
    assert lean.utterances == whole.utterances


def test_blocks_are_regrouped_exactly() -> None:
    pieces = [np.arange(a, b, dtype=np.float32) for a, b in ((0, 3), (3, 3), (3, 11), (11, 12), (12, 25))]
    blocks = list(_blocks_of(pieces, 5))
    assert [len(b) for b in blocks] == [5, 5, 5, 5, 5]
    np.testing.assert_array_equal(np.concatenate(blocks), np.arange(25))
    assert [len(b) for b in _blocks_of([np.zeros(7, np.float32)], 5)] == [5, 2]
