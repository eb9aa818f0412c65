"""Dialogue scenes: several characters, lines of audio, one clip per character.

    dialogue = parse_dialogue("scene.json")
    clips = perform_dialogue(dialogue, seed=0)   # {"Ann": MotionClip, "Ben": MotionClip}

:mod:`.scene` reads and checks the scene description (docs/dialogue.md), :mod:`.timeline` says per
character and frame who speaks and whom it looks at, :mod:`.perform` turns that into motion and
:mod:`.measure` computes the figures the tests and ``benchmarks/dialogue_scene.py`` check.
"""

from model_runtime.dialogue.perform import perform_dialogue
from model_runtime.dialogue.scene import Character, Dialogue, Line, Waypoint, parse_dialogue

__all__ = ["Character", "Dialogue", "Line", "Waypoint", "parse_dialogue", "perform_dialogue"]
