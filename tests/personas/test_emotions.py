"""Emotion presets and comma lists."""

from __future__ import annotations

import pytest

from personagen.personas.emotions import GOEMOTIONS, KNOWN_EMOTIONS, PRESETS, resolve_emotions


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("default", ["sadness", "joy", "love", "anger", "fear", "surprise"]),
        ("ekman6", ["anger", "disgust", "fear", "joy", "sadness", "surprise"]),
        ("plutchik8", ["joy", "trust", "fear", "surprise", "sadness", "disgust", "anger", "anticipation"]),
        ("PersonaGen", ["joy", "pleasure", "anger", "sadness", "fear", "surprise"]),
        ("Joy, anger ,joy", ["joy", "anger"]),
        ("gratitude", ["gratitude"]),
        ("relief,,pride,", ["relief", "pride"]),
    ],
)
def test_resolve(spec, expected):
    assert resolve_emotions(spec) == expected


def test_vocabulary():
    assert len(GOEMOTIONS) == 27 and "neutral" not in GOEMOTIONS
    assert {"trust", "anticipation", "pleasure"} <= KNOWN_EMOTIONS


@pytest.mark.parametrize("spec", ["", "   ", ",,", "ekman7", "joy,happyness"])
def test_errors_list_presets(spec):
    with pytest.raises(ValueError) as err:
        resolve_emotions(spec)
    for preset in PRESETS:
        assert preset in str(err.value)


def test_error_names_the_unknown_word():
    with pytest.raises(ValueError, match="'happyness'"):
        resolve_emotions("joy, happyness")
