"""text_shape rejects answer-format scaffolding (the embedded model's "Emotional: anger." habit) and says what to
drop; real messages, and a colon in one, pass; a rewrite's prompt carries the reason."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import pytest

from personagen.agents.context import AgentContext, Limits
from personagen.agents.critics.registry import Candidate, select_critics
from personagen.agents.critics.rules import text_shape
from personagen.agents.critics.scaffolding import scaffolding_reason
from personagen.graph.build import build_graph
from personagen.graph.runner import run_one
from personagen.personas.models import BasePersona, Expression, Stage
from tests.fakes import FakeModels, ScriptedChat, good_script

PERSONA = BasePersona(id="p1", index=0, locale="us", age=30, gender="female", occupation="Cashiers", mbti="ESFJ")
# Drafts in the embedded model's habits (issue 22: "Emotional: anger." inside kept texts; bench/
# offline_emotion_labels.jsonl: a trailing '{'), with the snippet the reason must quote.
EMBEDDED_DRAFTS = [
    ("He was not very nice to me. Emotional: anger.", "Emotional: anger."),
    ("Emotion: anger. I can't believe he cancelled on me again.", "Emotion: anger."),
    ("Emotional: sadness\nI miss the old house so much.", "Emotional: sadness"),
    ("Text: I miss you so much already, come home soon", "Text: I miss you"),
    ("Messages: I can't wait to see you tonight!", "Messages: I can't wait"),
    ("I am so tired of waiting for the bus. (Emotion: anger)", "Emotion: anger)"),
    ("Writer: 34-year-old female, occupation: Cashiers. I love my job.", "Writer: 34-year-old"),
    ("So happy today! Situation: at home with my sister", "Situation: at home"),
    ("my feelings: so angry right now at the landlord", "feelings: so angry"),
]
JSON_DRAFTS = [
    ('I love you all so much "texts": ["I love', '"texts": ["I love'),
    ("My heart is full of love for you. Love and happiness can be found everywhere in me.\n{", "{"),
    ('so tired of it all", "emotion": "anger"', '"emotion": "anger"'),
    # kept by the embedded model before these were caught (issue 22's blind-reading runs)
    ("He wrote this for me, so if he ever has an issue with me, it will be addressed'],", "'],"),
    ("You're in a good mood now, baby. I really want to talk to you about it (0.28)", "(0.28)"),
    ('["I miss you already', '["I miss you already'),
]
CUT_OFF = [  # the embedded model's texts that stop at a comma (issue 22's runs: 19 of 152 kept texts)
    ("we'll be fine,", "we'll be fine,"),
    ("I'm really afraid of the cold weather. It is coming,", "It is coming,"),
    ("今日は駅で友達に会って、", "今日は駅で友達に会って、"),
]
MESSAGES = [
    "I got your text: call me when you land.",
    "My emotions are all over the place today.",
    "Note to self: never trust the weather app again.",
    "She left a 'message' on my desk and I smiled all day.",
    "Final score: 3-1 and we are going to the final!!",
    "Honestly, the scene at the station made me cry.",
    "Lunch was 2.50 (cheap!) and the cafe was full, so we ate outside",
    "Miss you already :( see you soon",
]


def shape(text: str, language: str = "en"):
    return text_shape(Candidate(Stage.EXPRESSION, PERSONA, expression=Expression(emotion="anger", text=text),
                                language=language))


@pytest.mark.parametrize(("text", "snippet"), EMBEDDED_DRAFTS)
def test_prompt_labels_in_a_text_are_rejected_quoting_them(text: str, snippet: str) -> None:
    verdict = shape(text)
    assert not verdict.passed
    assert "scaffolding" in verdict.reasons[0] and snippet in verdict.reasons[0]
    assert "write only the message itself" in verdict.reasons[0]


@pytest.mark.parametrize(("text", "snippet"), JSON_DRAFTS)
def test_json_pieces_are_rejected_quoting_them(text: str, snippet: str) -> None:
    verdict = shape(text)
    assert not verdict.passed and "JSON" in verdict.reasons[0] and snippet in verdict.reasons[0]


@pytest.mark.parametrize(("text", "snippet"), CUT_OFF)
def test_a_text_that_stops_at_a_comma_is_rejected_as_cut_off(text: str, snippet: str) -> None:
    verdict = shape(text, "ja" if "、" in text else "en")
    assert not verdict.passed and "stops mid-sentence" in verdict.reasons[0] and snippet in verdict.reasons[0]


@pytest.mark.parametrize("text", MESSAGES)
def test_messages_with_a_colon_or_the_word_emotion_pass(text: str) -> None:
    assert shape(text).passed, shape(text).reasons


def test_japanese_texts_get_the_same_rule_after_a_sentence() -> None:
    assert "感情：怒り" in shape("今日は本当に腹が立った。感情：怒り", "ja").reasons[0]
    assert "Emotional: anger" in shape("今日は本当に腹が立った。Emotional: anger", "ja").reasons[0]
    assert shape("友達の感情がよく分からなくて困った。", "ja").passed


def test_almost_no_real_comment_is_taken_for_scaffolding(goemotions: Path) -> None:
    texts = [row["text"] for name in ("train.tsv", "dev.tsv", "test.tsv")
             for row in csv.DictReader((goemotions / name).open(encoding="utf-8"), delimiter="\t")]
    flagged = [t for t in texts if scaffolding_reason(t)]
    assert len(texts) > 5000 and len(flagged) <= len(texts) // 500, flagged[:10]


def test_a_scaffolded_draft_is_rewritten_and_the_rewrite_prompt_says_what_to_drop() -> None:
    drafts = iter(["I hate waiting for him. Emotional: anger."])

    def texts(prompt: str) -> dict:
        return {"texts": [next(drafts, "I waited an hour and he never even called, I am fuming.")]}

    chat = ScriptedChat(script=good_script(Texts=texts, EmotionReading=[{"reason": "r", "emotion": "anger"}]))
    critics = select_critics(["text_shape"], [])
    ctx = AgentContext(models=FakeModels(default=chat), emotions=["anger"], critics=critics, texts_per_emotion=1,
                       limits=Limits(text_attempts=2), sink=lambda event: None)
    state = asyncio.run(run_one(build_graph(), ctx, 0, 1))
    assert [t.text for t in state["texts"]] == ["I waited an hour and he never even called, I am fuming."]
    rewrite = [p for s, p in chat.prompts if s == "Texts"][-1]
    assert 'Rejected draft: "I hate waiting for him. Emotional: anger."' in rewrite
    assert "'Emotional: anger.'" in rewrite and "write only the message itself" in rewrite
