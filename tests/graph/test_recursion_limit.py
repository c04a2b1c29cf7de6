"""The graph's recursion limit follows the configured attempt limits: long critic loops end in the graph's own
accept/drop nodes, never in LangGraph's GraphRecursionError."""

from __future__ import annotations

import itertools

from personagen.agents.context import Limits
from personagen.graph.runner import RECURSION_MARGIN, recursion_limit
from personagen.personas.models import Stage
from tests.fakes import ScriptedChat, good_script
from tests.graph.test_critic_loops import IMPLAUSIBLE, PLAUSIBLE, make_ctx, of_type, run

MAX = Limits(base_attempts=100, socio_attempts=100, scenario_attempts=100, text_attempts=100)


def rejects_then_accepts(rejections: int):
    """A plausibility judge that rejects the first `rejections` personas, then accepts; other judges accept."""
    calls = itertools.count()

    def judge(prompt: str) -> dict:
        if "could such a person" not in prompt:
            return PLAUSIBLE
        return IMPLAUSIBLE if next(calls) < rejections else PLAUSIBLE

    return judge


def test_recursion_limit_is_two_steps_per_attempt_plus_a_margin():
    assert recursion_limit(Limits()) == 2 * (4 + 3 + 3 + 3) + RECURSION_MARGIN
    assert recursion_limit(MAX) == 2 * 400 + RECURSION_MARGIN
    assert recursion_limit(Limits(base_attempts=5)) == recursion_limit(Limits()) + 2


def test_base_loop_of_100_attempts_accepting_on_the_last_finishes_accepted():
    script = good_script(Judgement=rejects_then_accepts(99))
    ctx, events = make_ctx(ScriptedChat(script=script), emotions=["joy"], texts_per_emotion=1,
                           limits=Limits(base_attempts=100))
    state = run(ctx)
    assert state["status"] == "accepted" and state["attempts"][Stage.BASE] == 100
    assert len(state["rejected"]) == 99 and len(state["texts"]) == 1
    assert len(of_type(events, "retry", "base")) == 99


def test_base_loop_exhausting_100_attempts_drops_the_persona_cleanly():
    script = good_script(Judgement=[IMPLAUSIBLE])
    ctx, events = make_ctx(ScriptedChat(script=script), emotions=["joy"], texts_per_emotion=1,
                           limits=Limits(base_attempts=100))
    state = run(ctx)
    assert state["status"] == "dropped" and state["attempts"][Stage.BASE] == 100
    assert len(state["rejected"]) == 100 and not state["texts"]
    assert state["drop_reason"].startswith("base: 100 candidates rejected") and of_type(events, "drop", "base")


def test_every_loop_at_its_bound_in_one_thread_still_ends_in_the_graph():
    """The longest path: each persona stage accepts on its 100th try and the text on its 100th round."""
    readings = itertools.count()

    def reading(prompt: str) -> dict:
        return {"reason": "scripted", "emotion": "sadness" if next(readings) < 99 else "joy"}

    script = good_script(Judgement=rejects_then_accepts(99),
                         Enrichment=["{not json"] * 99 + [{"residence": "a flat", "beliefs": "values family"}],
                         SceneAnswer=["{not json"] * 99 + [{"description": "A quiet evening at home."}],
                         EmotionReading=reading)
    ctx, _ = make_ctx(ScriptedChat(script=script), emotions=["joy"], texts_per_emotion=1, limits=MAX)
    state = run(ctx)
    assert state["status"] == "accepted"
    assert list(state["attempts"].values()) == [100, 100, 100]
    assert [t.attempt for t in state["texts"]] == [100]
