"""Scenario slots: balanced over persona indices (weights respected) or independent, seeded, validated."""

from __future__ import annotations

from collections import Counter

import pytest

from personagen.personas.scenario_slots import ATTRIBUTES, SlotPlan, check_weights, draw_slots
from personagen.personas.vocab import load_vocab

VOCAB = load_vocab()


def counts(plan: SlotPlan, attribute: str, n: int, attempt: int = 1) -> Counter[str]:
    return Counter(draw_slots(VOCAB, plan, i, 1000 + i, attempt)[attribute] for i in range(n))


def test_every_slot_is_drawn_and_a_draw_is_seeded() -> None:
    slots = draw_slots(VOCAB, SlotPlan(run_seed=3), 5, 77, 1)
    assert set(slots) == set(ATTRIBUTES)
    assert slots == draw_slots(VOCAB, SlotPlan(run_seed=3), 5, 77, 1)
    assert slots["medium"] in VOCAB.media


def test_balanced_attributes_give_each_value_its_share_within_one() -> None:
    for key, attribute in zip(("locations", "activities", "partners", "media", "language_styles"), ATTRIBUTES,
                              strict=True):
        got = counts(SlotPlan(), attribute, 200)
        assert set(got) == set(getattr(VOCAB, key))
        assert max(got.values()) - min(got.values()) <= 1


def test_independent_draws_are_uneven_and_balanced_ones_are_not() -> None:
    iid = counts(SlotPlan(balance=frozenset()), "medium", 60)
    balanced = counts(SlotPlan(), "medium", 60)
    assert set(balanced) == set(VOCAB.media)
    assert max(balanced.values()) - min(balanced.values()) <= 1
    assert max(iid.values()) - min(iid.values()) > 1


def test_the_run_seed_changes_the_order_not_the_shares() -> None:
    a = [draw_slots(VOCAB, SlotPlan(run_seed=1), i, i, 1)["location"] for i in range(40)]
    b = [draw_slots(VOCAB, SlotPlan(run_seed=2), i, i, 1)["location"] for i in range(40)]
    assert a != b
    assert sorted(Counter(a).values()) == sorted(Counter(b).values())


def test_weights_set_the_shares_and_zero_excludes_a_value() -> None:
    media = VOCAB.media
    plan = SlotPlan(weights={"medium": {media[0]: 3, media[1]: 0}})
    got = counts(plan, "medium", (len(media) + 1) * 10)  # 10 whole blocks: weights 3, 0 and 1 for the rest
    assert got[media[0]] == 30
    assert media[1] not in got
    assert all(got[m] == 10 for m in media[2:])
    iid = counts(SlotPlan(balance=frozenset(), weights={"medium": {media[1]: 0}}), "medium", 300)
    assert media[1] not in iid


def test_later_attempts_draw_independently_from_the_persona_seed() -> None:
    plan = SlotPlan()
    firsts = {draw_slots(VOCAB, plan, 4, seed, 1)["location"] for seed in range(30)}
    seconds = {draw_slots(VOCAB, plan, 4, seed, 2)["location"] for seed in range(30)}
    assert len(firsts) == 1  # attempt 1: the index decides
    assert len(seconds) > 1


@pytest.mark.parametrize(("weights", "message"), [
    ({"mood": {"x": 1}}, "unknown scenario attribute 'mood'"),
    ({"medium": {"carrier pigeon": 2}}, r"weights.medium: \['carrier pigeon'\] not in the scenario vocabulary"),
    ({"medium": {VOCAB.media[0]: -1}}, "whole numbers >= 0"),
    ({"medium": {VOCAB.media[0]: 1.5}}, "whole numbers >= 0"),
    ({"medium": dict.fromkeys(VOCAB.media, 0)}, "every value has weight 0"),
])
def test_bad_weights_are_named(weights: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_weights(VOCAB, weights)
