"""Dialogue scenes (issue #27 items 3, 4, 7): listening, turn-taking, idle, the JSON and the command.

The scenes are made with espeak-ng (tests/dialogue_scenes.py): a minute of alternating lines between
two characters 3 m apart facing each other, and between three in a triangle. The 2-minute scene and
the timing are in benchmarks/dialogue_scene.py.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from model_runtime.cli import main
from model_runtime.dialogue import Character, Dialogue, Line, Waypoint, parse_dialogue, perform_dialogue
from model_runtime.dialogue.measure import Figures, measure
from model_runtime.dialogue.perform import perform_timeline
from model_runtime.dialogue.timeline import Timeline, build_timeline
from model_runtime.errors import GazeError
from model_runtime.takes import load_take
from tests.dialogue_scenes import have_espeak, make_scene

pytestmark = pytest.mark.skipif(not have_espeak(), reason="espeak-ng is not installed")


def performed(path: Path, seed: int = 0) -> tuple[Timeline, dict[str, object], Figures]:
    dialogue = parse_dialogue(path)
    streams = np.random.SeedSequence([seed, 0]).spawn(len(dialogue.characters) + 1)
    timeline = build_timeline(dialogue, np.random.default_rng(streams[0]))
    clips = perform_timeline(timeline, streams[1:])
    return timeline, dict(clips), measure(timeline, clips)


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Timeline, dict[str, object], Figures]:
    path = make_scene(tmp_path_factory.mktemp("two"), characters=2, seconds=60.0, seed=1)
    return (path, *performed(path))


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Timeline, dict[str, object], Figures]:
    path = make_scene(tmp_path_factory.mktemp("three"), characters=3, seconds=60.0, seed=2)
    return (path, *performed(path))


@pytest.mark.parametrize("scene", ["two", "three"])
def test_listeners_look_at_the_speaker_and_speakers_less_at_the_addressee(scene: str, request: pytest.FixtureRequest):
    figures = request.getfixturevalue(scene)[3]
    for name, share in figures.listener_on_speaker.items():
        assert 0.6 <= share <= 0.8, (name, share)
        assert figures.speaker_on_addressee[name] < share, (name, figures.speaker_on_addressee[name], share)


@pytest.mark.parametrize("scene", ["two", "three"])
def test_listeners_nod_after_the_speakers_phrase_ends(scene: str, request: pytest.FixtureRequest):
    figures = request.getfixturevalue(scene)[3]
    assert figures.nod_ratio >= 2.0, figures.nod_ratio


@pytest.mark.parametrize("scene", ["two", "three"])
def test_turn_ends_on_the_addressee_and_new_turns_start_looking_away(scene: str, request: pytest.FixtureRequest):
    figures = request.getfixturevalue(scene)[3]
    assert figures.end_on_addressee >= 0.7
    assert figures.start_away >= 0.5


@pytest.mark.parametrize("scene", ["two", "three"])
def test_no_step_at_line_boundaries_beyond_the_speed_bounds(scene: str, request: pytest.FixtureRequest):
    figures = request.getfixturevalue(scene)[3]
    assert figures.max_head_step <= figures.head_step_bound + 1e-6
    assert figures.max_gaze_step <= figures.gaze_step_bound + 1e-6


@pytest.mark.parametrize("scene", ["two", "three"])
def test_listeners_blink_less_often_and_at_the_speakers_phrase_ends(scene: str, request: pytest.FixtureRequest):
    figures = request.getfixturevalue(scene)[3]
    assert 0.0 < figures.blinks_listening_per_min < figures.blinks_speaking_per_min
    assert figures.slot_blink_ratio >= 1.5, figures.slot_blink_ratio


def test_some_listener_blinks_are_long(two):
    _, timeline, clips, _ = two
    lengths = []
    for who, character in enumerate(timeline.dialogue.characters):
        closed = np.concatenate([[0], (clips[character.name].blinks.max(axis=1) > 0.1).astype(np.int8), [0]])
        edges = np.flatnonzero(np.diff(closed))
        lengths += [(b - a) / timeline.fps for a, b in zip(edges[::2], edges[1::2], strict=True) if not timeline.speaking[who, a]]
    lengths_array = np.array(lengths)
    assert 0.05 <= np.mean(lengths_array >= 0.45) <= 0.5


@pytest.mark.parametrize("scene", ["two", "three"])
def test_listeners_look_away_more_diagonally_and_downward_than_speakers(scene: str, request: pytest.FixtureRequest):
    figures = request.getfixturevalue(scene)[3]
    speaking, listening = figures.away_elevation_deg
    assert speaking < 35.0 < 40.0 < listening  # speakers mostly sideways, listeners diagonal
    assert figures.away_down_share[1] > max(0.65, figures.away_down_share[0])


def test_every_character_keeps_living_before_between_and_after_lines(two):
    _, timeline, clips, _ = two
    for who, character in enumerate(timeline.dialogue.characters):
        clip = clips[character.name]
        assert clip.n_frames == timeline.n
        idle = ~timeline.speaking[who] & (timeline.speaker < 0)
        for frames in (idle, ~timeline.speaking[who]):
            assert np.std(clip.head[frames, 0]) > 0.2 and np.std(clip.left_eye[frames, 1]) > 0.2
        # No stretch of 2 s without movement anywhere.
        still = np.all(np.abs(np.diff(clip.data[:, :7], axis=0)) < 1e-4, axis=1)
        assert not np.any(np.convolve(still, np.ones(60), mode="valid") >= 60)
    # The lids open at the end of every take.
    assert all(np.all(clip.blinks[-1] == 0.0) for clip in clips.values())


def test_the_same_seed_gives_the_same_clips(two):
    path = two[0]
    dialogue = parse_dialogue(path)
    a = perform_dialogue(dialogue, seed=5)
    b = perform_dialogue(dialogue, seed=5)
    c = perform_dialogue(dialogue, seed=6)
    assert set(a) == {"Ann", "Ben"}
    assert all(np.array_equal(a[name].data, b[name].data) for name in a)
    assert not np.array_equal(a["Ann"].data, c["Ann"].data)


def test_geometry_in_each_characters_frame():
    dialogue = Dialogue(
        fps=30.0,
        characters=(Character("A", (0.0, 0.0, 0.0), 1.6), Character("B", (3.0, 0.0, 0.0), 1.9), Character("C", (0.0, 3.0, 0.0), 1.6, facing_deg=0.0)),
        lines=(),
    ).validated()
    pitch, yaw, distance = dialogue.look("B", "A")
    assert dialogue.character("B").facing_deg == pytest.approx(np.degrees(np.arctan2(1.5, -3.0)))  # towards the middle of A and C
    assert yaw == pytest.approx(180.0 - np.degrees(np.arctan2(1.5, -3.0)))  # A lies to B's left (counter-clockwise from above)
    assert pitch == pytest.approx(np.degrees(np.arctan2(-0.3, 3.0)), abs=1e-6)
    # C faces +X: A lies behind its right shoulder (yaw < 0, to the character's right).
    assert dialogue.look("C", "A")[1] == pytest.approx(-90.0)
    assert distance == pytest.approx(np.hypot(3.0, 0.3))


def _scene(tmp_path: Path, **changes: object) -> Path:
    (tmp_path / "a.wav").write_bytes(b"")
    raw: dict[str, object] = {
        "fps": 30,
        "characters": [{"name": "Ann", "position": [0, 0, 0], "eye_height_m": 1.6}, {"name": "Ben", "position": [3, 0, 0]}],
        "lines": [{"character": "Ann", "audio": "a.wav", "start_s": 0.0}, {"character": "Ben", "audio": "a.wav", "start_s": 2.0}],
    }
    raw.update(changes)
    path = tmp_path / "scene.json"
    path.write_text(json.dumps(raw))
    return path


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lines": [{"character": "Ann", "start_s": 0.0}]}, "lines[0]: missing field 'audio'"),
        ({"lines": [{"character": "Ann", "audio": "a.wav"}]}, "lines[0]: missing field 'start_s'"),
        ({"characters": [{"name": "Ann"}, {"name": "Ben", "position": [3, 0, 0]}]}, "characters[0]: missing field 'position'"),
        ({"lines": [{"character": "Ann", "audio": "a.wav", "start_s": 3.0}, {"character": "Ben", "audio": "a.wav", "start_s": 1.0}]}, "lines[1].start_s: 1 s is before"),
        ({"lines": [{"character": "Eve", "audio": "a.wav", "start_s": 0.0}]}, "lines[0].character: 'Eve' is no character"),
        ({"lines": [{"character": "Ann", "audio": "a.wav", "start_s": 0.0, "addressee": "Ann"}]}, "lines[0].addressee"),
        ({"lines": [{"character": "Ann", "audio": "a.wav", "start_s": -1.0}]}, "lines[0].start_s"),
        ({"characters": [{"name": "Ann", "position": [0, 0, 0]}, {"name": "Ben", "position": [0.1, 0, 0]}]}, "inside each other"),
        ({"characters": [{"name": "Ann", "position": [0, 0, 0]}, {"name": "Ann", "position": [2, 0, 0]}]}, "names two characters"),
        ({"characters": [{"name": "Ann", "position": [0, 0, 0]}]}, "a dialogue needs 2"),
        ({"characters": [{"name": "Ann", "position": [0, 0]}, {"name": "Ben", "position": [3, 0, 0]}]}, "characters[0].position"),
        ({"characters": [{"name": "Ann", "position": [0, 0, 0], "eye_height_m": 9}, {"name": "Ben", "position": [3, 0, 0]}]}, "eye_height_m"),
        ({"lines": {"character": "Ann"}}, "lines: expected a list"),
        ({"fps": "fast"}, "fps: expected a number"),
        (
            {"characters": [{"name": "Ann", "position": [0, 0, 0]},
                            {"name": "Ben", "position": [3, 0, 0], "moves": [{"time_s": 4, "position": [2, 0, 0]}, {"time_s": 2, "position": [1, 0, 0]}]}]},
            "characters[1].moves[1].time_s",
        ),
        (
            {"characters": [{"name": "Ann", "position": [0, 0, 0]}, {"name": "Ben", "position": [3, 0, 0], "moves": [{"time_s": 4, "position": [-3, 0, 0]}]}]},
            "inside each other",  # walks through Ann on the way (at about 2 s), though both ends are apart
        ),
        ({"characters": [{"name": "Ann", "position": [0, 0, 0]}, {"name": "Ben", "position": [3, 0, 0], "moves": [{"time_s": 1}]}]}, "moves[0]: missing field 'position'"),
        ({"characters": [{"name": "Ann", "position": [0, 0, 0]}, {"name": "Ben", "position": [3, 0, 0], "moves": {"time_s": 1}}]}, "characters[1].moves: expected a list"),
    ],
)
def test_bad_scenes_are_one_clear_error(tmp_path: Path, changes: dict[str, object], message: str):
    path = _scene(tmp_path, **changes)
    with pytest.raises(GazeError, match=None) as caught:
        parse_dialogue(path)
    text = str(caught.value)
    assert str(path) in text and message in text and "\n" not in text


def test_unreadable_audio_names_the_line(tmp_path: Path):
    path = _scene(tmp_path)
    with pytest.raises(GazeError, match=r"lines\[0\]\.audio"):
        perform_dialogue(parse_dialogue(path))


def test_default_addressee_is_the_last_speaker_else_the_nearest(tmp_path: Path):
    dialogue = Dialogue(
        fps=30.0,
        characters=(Character("A", (0.0, 0.0, 0.0)), Character("B", (5.0, 0.0, 0.0)), Character("C", (0.0, 2.0, 0.0))),
        lines=(Line("A", tmp_path / "x.wav", 0.0), Line("B", tmp_path / "x.wav", 1.0), Line("A", tmp_path / "x.wav", 2.0), Line("C", tmp_path / "x.wav", 3.0)),
    ).validated()
    assert [line.addressee for line in dialogue.lines] == ["C", "A", "B", "A"]


def test_overlapping_lines_both_speak_and_listeners_follow_the_latest(tmp_path: Path):
    path = make_scene(tmp_path, characters=3, seconds=12.0, seed=3)
    raw = json.loads(path.read_text())
    raw["lines"][1]["start_s"] = raw["lines"][0]["start_s"] + 1.0  # the second line starts a second into the first
    path.write_text(json.dumps(raw))
    dialogue = parse_dialogue(path)
    timeline = build_timeline(dialogue, np.random.default_rng(0))
    first, second = timeline.lines[0], timeline.lines[1]
    both = slice(second.start, min(first.end, second.end))
    assert np.all(timeline.speaking[first.speaker, both]) and np.all(timeline.speaking[second.speaker, both])
    assert np.all(timeline.speaker[both] == second.speaker)
    third = ({0, 1, 2} - {first.speaker, second.speaker}).pop()
    assert np.all(timeline.partner[third, both] == second.speaker)
    clips = perform_dialogue(dialogue)
    assert all(np.all(np.isfinite(clip.data)) for clip in clips.values())


def test_the_command_writes_one_take_per_character(two, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = two[0]
    assert main(["dialogue", str(path), "-o", str(tmp_path / "takes"), "--seed", "2"]) == 0
    names = sorted(p.name for p in (tmp_path / "takes").iterdir())
    assert names == ["Ann.npz", "Ben.npz"]
    take = load_take(tmp_path / "takes" / "Ann.npz")
    expected = perform_dialogue(parse_dialogue(path), seed=2)["Ann"]
    assert take.n_frames == expected.n_frames
    np.testing.assert_allclose(take.data, expected.data, atol=1e-3)
    assert "wrote" in capsys.readouterr().out
    assert main(["dialogue", str(path), "-o", str(tmp_path / "csv"), "--to", "csv", "--fps", "24"]) == 0
    assert load_take(tmp_path / "csv" / "Ben.csv").fps == 24.0


def test_the_command_refuses_to_write_over_an_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = _scene(tmp_path, lines=[{"character": "Ann", "audio": "Ben.npz", "start_s": 0.0}])
    (tmp_path / "Ben.npz").write_bytes(b"not audio")
    assert main(["dialogue", str(path), "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "Ben.npz" in err and "is also an input" in err and err.count("\n") == 1
    assert main(["dialogue", str(tmp_path / "missing.json"), "-o", str(tmp_path / "out")]) == 2
    assert "missing.json: no such file" in capsys.readouterr().err


def test_controls_progress_and_scene_end(two):
    from dataclasses import replace

    from model_runtime.generate import Controls

    dialogue = parse_dialogue(two[0])
    reported: list[float] = []
    still = perform_dialogue(replace(dialogue, end_s=80.0), controls=Controls(head_intensity=0.0, blink_rate_per_min=0.0), progress=reported.append)
    for clip in still.values():
        assert clip.n_frames == 80 * 30
        assert np.max(np.abs(clip.head)) < 1e-9
        assert np.max(clip.blinks) < 0.1  # the lids' rest only
    assert reported[0] == 0.0 and reported[-1] == 1.0 and reported == sorted(reported)
    with pytest.raises(GazeError, match="head_intensity"):
        perform_dialogue(dialogue, controls=Controls(head_intensity=5.0))
    with pytest.raises(GazeError, match="procedural or learned engine; got engine 'neural'"):
        perform_dialogue(dialogue, engine="neural")


def test_mutated_scene_files_are_refused_by_name_or_read(tmp_path: Path):
    from tests.fuzzing import _mutate_bytes

    seed_file = _scene(tmp_path, end_s=9.0, lines=[
        {"character": "Ann", "audio": "a.wav", "start_s": 0.0, "addressee": "Ben", "seed": 12}, {"character": "Ben", "audio": "a.wav", "start_s": 2.5}],
        characters=[{"name": "Ann", "position": [0, 0, 0], "eye_height_m": 1.6},
                    {"name": "Ben", "position": [3, 0, 0], "moves": [{"time_s": 1.5, "position": [3, 1, 0]}, {"time_s": 4.0, "position": [2, 2, 0], "facing_deg": 220}]}])
    seed = seed_file.read_bytes()
    rng = np.random.default_rng(27)
    outcomes = {"refused": 0, "accepted": 0}
    for case in range(400):
        path = tmp_path / f"case{case}.json"
        path.write_bytes(_mutate_bytes(seed, rng))
        try:
            dialogue = parse_dialogue(path)
        except GazeError as exc:
            assert str(exc).startswith(str(path)) and "\n" not in str(exc), str(exc)
            outcomes["refused"] += 1
        else:
            assert all(line.addressee is not None for line in dialogue.lines)
            outcomes["accepted"] += 1
    assert outcomes["refused"] > 0 and outcomes["accepted"] > 0, outcomes


@pytest.mark.parametrize("fps", [24.0, 60.0])
def test_step_bounds_hold_at_other_frame_rates(tmp_path: Path, fps: float):
    figures = performed(make_scene(tmp_path, characters=3, seconds=30.0, seed=5, fps=fps))[2]
    assert figures.head_step_bound == pytest.approx(200.0 / fps)
    assert figures.max_head_step <= figures.head_step_bound + 1e-6
    assert figures.max_gaze_step <= figures.gaze_step_bound + 1e-6


def test_lines_may_carry_audio_in_memory(two):
    from dataclasses import replace

    from model_runtime.audio import compute_features, load_audio

    dialogue = parse_dialogue(two[0])
    first, second = dialogue.lines[0], dialogue.lines[1]
    signal = load_audio(first.audio)
    in_memory = replace(dialogue, lines=(replace(first, audio=signal), replace(second, audio=compute_features(load_audio(second.audio), 30.0))))
    from_files = replace(dialogue, lines=(first, second))
    a, b = perform_dialogue(in_memory, seed=1), perform_dialogue(from_files, seed=1)
    assert a["Ann"].n_frames == b["Ann"].n_frames
    np.testing.assert_allclose(a["Ben"].data, b["Ben"].data, atol=1e-6)
    wrong_rate = replace(dialogue, lines=(replace(first, audio=compute_features(signal, 25.0)),))
    with pytest.raises(GazeError, match=r"lines\[0\]\.audio: speech features are at 25 fps"):
        perform_dialogue(wrong_rate)


def test_listeners_turn_the_head_partly_towards_the_speaker(three):
    _, timeline, clips, _ = three
    names = [c.name for c in timeline.dialogue.characters]
    for who, name in enumerate(names):
        for other, other_name in enumerate(names):
            if other == who:
                continue
            frames = ~timeline.speaking[who] & (timeline.speaker == other) & (timeline.partner[who] == other)
            towards = timeline.dialogue.look(name, other_name)[1]
            head_yaw = float(np.mean(clips[name].head[frames, 1]))
            assert 0.1 * abs(towards) < head_yaw * np.sign(towards) < 0.7 * abs(towards), (name, other_name, head_yaw, towards)


def test_scenes_without_lines_or_speech_still_perform():
    from model_runtime.audio import signal_from_array

    characters = (Character("A", (0.0, 0.0, 0.0)), Character("B", (2.0, 0.0, 0.0)), Character("C", (1.0, 1.5, 0.0)))
    empty = perform_dialogue(Dialogue(30.0, characters, (), end_s=10.0))
    assert {name: clip.n_frames for name, clip in empty.items()} == {"A": 300, "B": 300, "C": 300}
    assert all(np.std(clip.left_eye[:, 1]) > 0.1 for clip in empty.values())  # alive while nobody speaks
    silence = signal_from_array(np.zeros(16000 * 3, dtype=np.float32), 16000)
    quiet = perform_dialogue(Dialogue(30.0, characters, (Line("A", silence, 0.5), Line("A", silence, 2.0), Line("B", silence, 2.5))))
    assert all(clip.n_frames == round((2.5 + 3.0 + 1.0) * 30) and np.all(np.isfinite(clip.data)) for clip in quiet.values())


def test_a_character_who_moves_is_followed_by_the_others_eyes(two: tuple[Path, Timeline, dict[str, object], Figures]):
    """Ben walks from in front of Ann to her left side (turning to keep facing her) in the middle of the
    scene, and back: Ann's eyes follow him, and his look back at her turns with him."""
    path = two[0]
    dialogue = parse_dialogue(path)
    ann, ben = dialogue.characters
    walk = (Waypoint(20.0, (3.0, 0.0, 0.0), 180.0), Waypoint(26.0, (0.0, 3.0, 0.0), 270.0),
            Waypoint(34.0, (0.0, 3.0, 0.0), 270.0), Waypoint(40.0, (3.0, 0.0, 0.0), 180.0))
    moving = replace(dialogue, characters=(ann, replace(ben, facing_deg=180.0, moves=walk))).validated()
    streams = np.random.SeedSequence([0, 0]).spawn(3)
    timeline = build_timeline(moving, np.random.default_rng(streams[0]))
    clips = perform_timeline(timeline, streams[1:])
    figures = measure(timeline, clips)
    for name, share in figures.listener_on_speaker.items():
        assert 0.6 <= share <= 0.8, (name, share)
    assert figures.max_gaze_step <= figures.gaze_step_bound and figures.max_head_step <= figures.head_step_bound
    # Measured against where Ben stood at the start instead, Ann's listening gaze misses him while he is away.
    still = measure(replace(timeline, dialogue=replace(moving, characters=(ann, replace(ben, facing_deg=180.0)))), clips)
    assert still.listener_on_speaker["Ann"] < figures.listener_on_speaker["Ann"] - 0.15, (still.listener_on_speaker, figures.listener_on_speaker)
    # While Ben stands at (0, 3), Ann's head has turned towards him (yaw to her left, +), as his has to her.
    middle = slice(round(28 * moving.fps), round(33 * moving.fps))
    assert np.mean(clips["Ann"].head[middle, 1]) > 15.0


def test_a_line_with_its_own_seed_changes_that_line_only(two: tuple[Path, Timeline, dict[str, object], Figures]):
    """Regenerating one line (its own seed): the speaker's motion changes while it says that line and
    is bit-identical a second away from it; the other characters do not change at all."""
    dialogue = parse_dialogue(two[0])
    base = perform_dialogue(dialogue, seed=3)
    k = 5
    reseeded = replace(dialogue, lines=tuple(replace(line, seed=77) if i == k else line for i, line in enumerate(dialogue.lines)))
    again = perform_dialogue(reseeded, seed=3)
    assert perform_dialogue(reseeded, seed=3)["Ann"].data.tobytes() == again["Ann"].data.tobytes()  # deterministic
    line = dialogue.lines[k]
    fps = dialogue.fps
    first = round((line.start_s - 1.0) * fps)  # a second before the line: blinks and the cross-fade reach that far
    speaker, other = line.character, next(c.name for c in dialogue.characters if c.name != line.character)
    assert again[other].data.tobytes() == base[other].data.tobytes()
    timeline = build_timeline(reseeded, np.random.default_rng(0))
    end = next(sl.end for sl in timeline.lines if sl.start == round(line.start_s * fps))
    outside = np.ones(base[speaker].n_frames, dtype=bool)
    outside[first : end + round(fps)] = False
    assert np.array_equal(again[speaker].data[outside], base[speaker].data[outside])
    inside = slice(round(line.start_s * fps) + round(0.3 * fps), end - round(0.3 * fps))
    assert np.abs(again[speaker].data[inside] - base[speaker].data[inside]).max() > 1.0
    figures = measure(build_timeline(reseeded, np.random.default_rng(np.random.SeedSequence([3, 0]).spawn(3)[0])), again)
    assert figures.max_gaze_step <= figures.gaze_step_bound and figures.max_head_step <= figures.head_step_bound


def test_the_learned_engine_speaks_the_lines_and_the_performer_does_the_rest(two: tuple[Path, Timeline, dict[str, object], Figures]):
    """engine="learned": each speaker's lines come from the learned engine (other motion than the
    performer's while speaking, the same timeline), and the scene still meets the listening and
    turn-taking bars; deterministic by seed."""
    dialogue = parse_dialogue(two[0])
    streams = np.random.SeedSequence([0, 0]).spawn(3)
    timeline = build_timeline(dialogue, np.random.default_rng(streams[0]))
    learned = perform_timeline(timeline, np.random.SeedSequence([0, 0]).spawn(3)[1:], engine="learned")
    procedural = perform_timeline(timeline, np.random.SeedSequence([0, 0]).spawn(3)[1:])
    assert all(clip.meta["engine"] == "learned" for clip in learned.values())
    figures = measure(timeline, learned)
    for name, share in figures.listener_on_speaker.items():
        assert 0.6 <= share <= 0.8, (name, share)
        assert figures.speaker_on_addressee[name] < share
    assert figures.nod_ratio >= 2.0 and figures.end_on_addressee >= 0.7 and figures.start_away >= 0.5
    assert figures.max_gaze_step <= figures.gaze_step_bound and figures.max_head_step <= figures.head_step_bound
    for who, name in enumerate(learned):
        talking = timeline.speaking[who]
        differs = np.abs(learned[name].head - procedural[name].head).max(axis=1) > 0.5
        assert differs[talking].mean() > 0.5, name  # the speaking head is the model's, not the performer's
    again = perform_timeline(timeline, np.random.SeedSequence([0, 0]).spawn(3)[1:], engine="learned")
    assert all(again[name].data.tobytes() == learned[name].data.tobytes() for name in learned)
