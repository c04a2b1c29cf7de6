"""The duplicates critic against the few-shot pool: copies are caught, real texts that share a phrase are not."""

from __future__ import annotations

import csv
from pathlib import Path

from agents.critics.rules import copies_an_example
from agents.emotion_writer import example_bank


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
