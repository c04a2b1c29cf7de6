"""The critic registry's public functions, as `personagen.critics` offers them to plug-ins and their tests."""

from __future__ import annotations

import personagen.critics as api
from personagen.critics import Stage, accept, all_critics, critic, isolated_registry, registered_critics


def test_isolated_registry_forgets_what_the_block_registered() -> None:
    before = all_critics()
    with isolated_registry():
        critic("only_in_block", stage=Stage.EXPRESSION, description="test")(lambda candidate: accept())
        assert "only_in_block" in registered_critics()
        assert set(before) <= set(all_critics())
    assert "only_in_block" not in registered_critics()
    assert registered_critics() == before


def test_registered_critics_is_a_copy() -> None:
    listed = all_critics()
    registered_critics().clear()
    assert registered_critics() == listed


def test_the_public_api_needs_no_private_module() -> None:
    for name in api.__all__:
        assert hasattr(api, name), name
    assert {"critic", "accept", "reject", "Candidate", "Verdict", "Stage", "all_critics"} <= set(api.__all__)


def test_prepare_gets_every_text_of_a_round_before_the_first_is_judged() -> None:
    from tests.fakes import ScriptedChat, good_script
    from tests.graph.test_critic_loops import make_ctx, run

    seen: list[str] = []

    def prepare(candidates: list[api.Candidate]) -> None:
        seen.append("prepare " + ", ".join(sorted(c.expression.emotion for c in candidates)))

    def check(candidate: api.Candidate) -> api.Verdict:
        seen.append(f"check {candidate.expression.emotion}")
        return accept()

    with isolated_registry():
        critic("ahead", stage=Stage.EXPRESSION, description="test", prepare=prepare)(check)
        ctx, _ = make_ctx(ScriptedChat(script=good_script()), emotions=["joy", "anger"])
        state = run(ctx)
    assert len(state["texts"]) == 4  # 2 emotions x 2 texts, all accepted in one round
    assert seen[0] == "prepare anger, anger, joy, joy"
    assert seen[1:] == [f"check {t.emotion}" for t in state["texts"]]
