"""The "no clear emotion" critic offline_strength: its rule, its threshold in the head, where it is enforced, and
what it does to flat and emotional texts."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from personagen.agents.critics.offline_strength import NAME, judge_strength, strength_score
from personagen.agents.critics.registry import select_critics
from personagen.critics import Stage
from personagen.pipeline import advisory_critics
from personagen.settings import Settings
from tests.agents.test_offline_emotion import HEAD, LABELS, needs_model
from tests.agents.test_offline_emotion import judge as judge_with


def judge(*texts: tuple[str, str], language: str = "en") -> list:
    """offline_strength's verdicts on (emotion, text) pairs, judged as test_offline_emotion.py judges its own."""
    return judge_with(*texts, language=language, critic=NAME)


def test_the_threshold_is_the_documented_quantile_of_real_texts() -> None:
    head = json.loads(HEAD.read_text())
    chosen = next(r for r in head["strength_curve"] if r["clear_below"] == head["clear_below"])
    assert chosen["dev_rejected"] == pytest.approx(0.20, abs=0.01)  # MAX_WEAK_REJECTIONS of correct dev texts
    thresholds = [r["clear_below"] for r in head["strength_curve"]]
    assert thresholds == sorted(thresholds)


def test_verdict_rules() -> None:
    flat = judge_strength(LABELS, 1.5, "joy", np.array([0.2, 0.4, 0.1, -0.3, 0.0, 0.9]))
    assert not flat.passed and flat.reasons[0].startswith("no clear emotion: little sign of joy (strength 0.40")
    assert "strongest: surprise 0.90" in flat.reasons[0]
    other = judge_strength(LABELS, 1.5, "joy", np.array([3.1, 0.4, 0.1, -0.3, 0.0, 0.9]))
    assert not other.passed and other.reasons[0].endswith("it reads more as sadness (3.10)")
    clear = judge_strength(LABELS, 1.5, "joy", np.array([2.0, 1.6, 0.1, -0.3, 0.0, 0.9]))
    assert clear.passed and clear.score > 0.5 > flat.score > 0  # the score orders drafts by strength
    assert strength_score(1.5, 1.5) == 0.5


@needs_model
def test_a_flat_text_is_rejected_and_an_emotional_one_kept() -> None:
    flat, joyful, angry = judge(
        ("joy", "I have to take the car to the mechanic tomorrow morning."),
        ("joy", "I finally got the job, I can't stop smiling!"),
        ("anger", "I am furious that the bank charged me twice. Unbelievable."),
    )
    assert not flat.passed and flat.reasons[0].startswith("no clear sign of joy")
    assert joyful.passed and angry.passed and joyful.reasons[0].startswith("clear sign of joy")
    assert joyful.score > angry.score > 0.5 > flat.score
    (japanese,) = judge(("joy", "とても嬉しい一日だった。"), language="ja")
    assert japanese.passed and japanese.reasons[0].startswith("not judged: the classifier reads English")


def test_it_runs_after_offline_emotion_and_is_enforced_only_on_the_embedded_model() -> None:
    critics = select_critics(None, [])
    names = [c.name for c in critics if c.stage == Stage.EXPRESSION]
    assert names.index("offline_emotion") < names.index(NAME) < names.index("emotion_fidelity")
    local = SimpleNamespace(for_agent=lambda agent: SimpleNamespace(backend="local"))
    hosted = SimpleNamespace(for_agent=lambda agent: SimpleNamespace(backend="openai"))
    assert NAME not in advisory_critics(Settings(), critics, local)
    assert NAME in advisory_critics(Settings(), critics, hosted)
    assert advisory_critics(Settings.model_validate({"critics": {"advisory": []}}), critics, hosted) == frozenset()
