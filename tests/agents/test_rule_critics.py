"""Rule critics against the few-shot pools: copies are caught, real texts that share a phrase are not."""

from __future__ import annotations

import csv
from pathlib import Path

from personagen.agents.critics.registry import Candidate
from personagen.agents.critics.rules import (
    COPY_SHARE,
    copied_background,
    copied_scene,
    copies_an_example,
    pool_trigrams,
    text_shape,
    trigrams,
)
from personagen.agents.emotion_writer import example_bank
from personagen.personas.models import BasePersona, Expression, Scenario, SocioCultural, Stage


def test_a_verbatim_copy_of_any_pool_message_is_a_copy() -> None:
    for pairs in example_bank()["texts"].values():
        for pair in pairs:
            assert all(copies_an_example(text) for text in pair), pair


def test_a_copy_with_a_few_words_changed_is_a_copy() -> None:
    assert copies_an_example("The twins both passed their driving tests this afternoon, first go! Drinks on me.")
    assert copies_an_example("guess who got the weekend off for my birthday after all, see you sunday")


def test_sharing_one_common_phrase_is_not_a_copy() -> None:
    assert not copies_an_example("I can't stop thinking about it, the interview went so badly this morning.")
    assert not copies_an_example("Someone left the fridge open all weekend and now the milk is ruined.")
    assert not copies_an_example("I'm literally screaming.")


def test_almost_no_real_comment_counts_as_a_copy(goemotions: Path) -> None:
    texts = [row["text"] for name in ("train.tsv", "dev.tsv", "test.tsv")
             for row in csv.DictReader((goemotions / name).open(encoding="utf-8"), delimiter="\t")]
    flagged = [t for t in texts if copies_an_example(t)]
    assert len(texts) > 5000 and len(flagged) <= len(texts) // 1000, flagged[:5]


def test_the_pool_index_finds_what_comparing_with_every_pool_text_finds(goemotions: Path) -> None:
    """copies_an_example looks the candidate's trigrams up in an index of the pool; comparing the candidate with
    every pool text (the rule as documented) must flag the same texts, copies and near-copies included."""
    texts = [row["text"] for row in csv.DictReader((goemotions / "dev.tsv").open(encoding="utf-8"), delimiter="\t")]
    pool = [t for pairs in example_bank()["texts"].values() for pair in pairs for t in pair]
    texts += pool + [t.replace(" the ", " a ", 1) + " honestly" for t in pool]

    def by_every_pool_text(text: str) -> bool:
        own = trigrams(text)
        return any(len(own & ex) >= max(3, COPY_SHARE * min(len(own), len(ex)))
                   for ex in pool_trigrams("emotion_writer"))

    assert [copies_an_example(t) for t in texts] == [by_every_pool_text(t) for t in texts]
    assert sum(map(copies_an_example, texts)) >= len(pool)


PERSONA = BasePersona(id="p1", index=0, locale="us", age=30, gender="female", occupation="Cashiers", mbti="ESFJ")


def socio(residence: str) -> SocioCultural:
    return SocioCultural(education="high school", residence=residence, family_structure="single", religion="none",
                         income="low income", beliefs="family first")


def scene(description: str) -> Scenario:
    return Scenario(location="bus stop", activity="waiting", partner="friend", medium="text message",
                    language_style="casual", description=description)


def test_a_background_copied_word_for_word_is_rejected_a_similar_one_is_not() -> None:
    copied = Candidate(Stage.SOCIO, PERSONA, socio=socio("A shared apartment near downtown Portland, Oregon."))
    verdict = copied_background(copied)
    assert not verdict.passed and verdict.reasons == ["residence copies a few-shot example"]
    own = Candidate(Stage.SOCIO, PERSONA, socio=socio("a shared apartment near downtown Austin, Texas"))
    assert copied_background(own).passed


def test_a_scene_copied_with_a_few_words_changed_is_rejected_an_own_scene_is_not() -> None:
    edited = ("On his thirty-minute break, still in scrubs, he eats a burrito in the break room and texts his best "
              "friend about the weekend.")
    assert not copied_scene(Candidate(Stage.SCENARIO, PERSONA, scenario=scene(edited))).passed
    own = "Waiting for the night bus in the rain, she thumbs out a message to her friend about the concert."
    assert copied_scene(Candidate(Stage.SCENARIO, PERSONA, scenario=scene(own))).passed


def test_text_shape_rejects_json_debris_from_the_answer_format() -> None:
    def verdict(text: str):
        return text_shape(Candidate(Stage.EXPRESSION, PERSONA, expression=Expression(emotion="joy", text=text)))

    assert not verdict("Your birthday party will be here soon!},").passed  # seen on the embedded model
    assert not verdict('so happy today {"texts": ["again').passed
    assert verdict("Your birthday party will be here soon!").passed
