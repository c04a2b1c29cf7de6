"""The graph's critic loops on a scripted fake model: resample, rewrite, exhaustion, isolation of threads."""

from __future__ import annotations

import asyncio

from personagen.agents.context import AgentContext, Limits
from personagen.agents.critics.registry import select_critics
from personagen.agents.events import record
from personagen.graph.build import build_graph
from personagen.graph.runner import RunPlan, run_one, run_personas
from personagen.personas.models import Stage
from tests.fakes import FakeModels, ScriptedChat, good_script

PLAUSIBLE = {"reason": "fine", "plausible": True, "confidence": 0.9}
IMPLAUSIBLE = {"reason": "a 12-year-old judge", "plausible": False, "confidence": 0.9}


def make_ctx(chat: ScriptedChat, **kw) -> tuple[AgentContext, list[dict]]:
    events: list[dict] = []
    critics = select_critics(None, kw.pop("disable", ["constraints", "socio_constraints"]))
    ctx = AgentContext(models=FakeModels(default=chat), emotions=kw.pop("emotions", ["joy", "anger"]),
                       critics=critics, sink=lambda e: events.append(record(e)), **kw)
    return ctx, events


def run(ctx: AgentContext, index: int = 0, seed: int = 1):
    return asyncio.run(run_one(build_graph(), ctx, index, seed))


def of_type(events: list[dict], type_: str, stage: str | None = None) -> list[dict]:
    return [e for e in events if e["type"] == type_ and (stage is None or e["stage"] == stage)]


def test_reject_once_then_accept_resamples_exactly_once():
    script = good_script()
    calls = iter([IMPLAUSIBLE, PLAUSIBLE])
    script["Judgement"] = lambda prompt: next(calls) if "could such a person" in prompt else PLAUSIBLE
    ctx, events = make_ctx(ScriptedChat(script=script))
    state = run(ctx)
    assert state["status"] == "accepted"
    assert state["attempts"][Stage.BASE] == 2
    assert len(of_type(events, "sample")) == 2
    assert len(of_type(events, "retry", "base")) == 1
    assert state["rejected"][0].verdicts[-1].reasons == ["a 12-year-old judge"]
    assert len(state["texts"]) == 4


def test_exhausted_base_loop_drops_persona_with_reasons():
    script = good_script(Judgement=[IMPLAUSIBLE])
    ctx, events = make_ctx(ScriptedChat(script=script), limits=Limits(base_attempts=3))
    state = run(ctx)
    assert state["status"] == "dropped"
    assert state["attempts"][Stage.BASE] == 3
    assert len(state["rejected"]) == 3
    assert "a 12-year-old judge" in state["drop_reason"]
    assert not state["texts"] and of_type(events, "drop", "base")


def test_rejected_text_is_rewritten_then_dropped_when_exhausted():
    script = good_script()
    script["EmotionReading"] = [{"reason": "sounds sad", "emotion": "sadness"}]
    chat = ScriptedChat(script=script)
    ctx, events = make_ctx(chat, emotions=["joy", "sadness"], texts_per_emotion=1, limits=Limits(text_attempts=2))
    state = run(ctx)
    assert [t.emotion for t in state["texts"]] == ["sadness"]
    assert [d.emotion for d in state["dropped_texts"]] == ["joy"]
    assert chat.calls("Texts") == 3  # joy twice (first try + one rewrite), sadness once
    assert "not joy" in state["dropped_texts"][0].verdicts[-1].reasons[0]


def test_a_single_emotion_runs_judge_rejects_by_answering_other():
    script = good_script(EmotionReading=[{"reason": "a plain notice, no feeling", "emotion": "other"}])
    chat = ScriptedChat(script=script)
    ctx, events = make_ctx(chat, emotions=["joy"], texts_per_emotion=1, limits=Limits(text_attempts=2))
    state = run(ctx)
    assert state["texts"] == [] and [d.emotion for d in state["dropped_texts"]] == ["joy"]
    assert chat.calls("Texts") == 2 and chat.calls("EmotionReading") == 2
    reasons = state["dropped_texts"][0].verdicts[-1].reasons
    assert reasons == ["reads as none of joy: a plain notice, no feeling"]
    judge_prompt = next(p for s, p in chat.prompts if s == "EmotionReading")
    assert "choosing one of: joy." in judge_prompt and 'Answer "other"' in judge_prompt


def test_unparseable_answer_counts_as_a_rejection_and_is_bounded():
    script = good_script(Enrichment=["{not json"])
    ctx, events = make_ctx(ScriptedChat(script=script), limits=Limits(socio_attempts=2))
    state = run(ctx)
    assert state["status"] == "dropped" and state["attempts"][Stage.SOCIO] == 2
    failed = [e for e in of_type(events, "llm_call") if "error" in e["data"]]
    assert len(failed) == 2 and failed[0]["raw"] == "{not json"


def test_rule_critic_runs_before_llm_critic_and_short_circuits():
    from personagen.critics import Stage, accept, critic, isolated_registry, reject

    seen: list[str] = []

    def refuse_first_persona(candidate):  # a rule critic that rejects the first candidate it is shown
        seen.append(candidate.persona.id)
        return reject("first try refused") if len(seen) == 1 else accept("later tries pass")

    with isolated_registry():
        critic("refuse_first", stage=Stage.BASE, description="rejects the first persona")(refuse_first_persona)
        ctx, events = make_ctx(ScriptedChat(script=good_script()), disable=[])
    state = run(ctx)
    verdicts = of_type(events, "verdict", "base")
    assert verdicts[0]["agent"] == "critic:constraints" and state["attempts"][Stage.BASE] == 2
    rejected_by_rule = [e for e in verdicts if not e["data"]["passed"]]
    assert [(e["agent"], e["attempt"]) for e in rejected_by_rule] == [("critic:refuse_first", 1)]
    for e in rejected_by_rule:  # an LLM judge never sees a candidate a rule critic rejected
        same_try = [x["agent"] for x in verdicts if x["attempt"] == e["attempt"]]
        assert same_try == ["critic:constraints", "critic:refuse_first"]
    second_try = [x["agent"] for x in verdicts if x["attempt"] == 2]
    assert second_try == ["critic:constraints", "critic:refuse_first", "critic:plausibility"]


def test_parallel_personas_do_not_mix_state():
    chat = ScriptedChat(script=good_script())
    ctx, events = make_ctx(chat, texts_per_emotion=1)
    done: list[tuple[dict, list[dict]]] = []
    asyncio.run(run_personas(build_graph(), ctx, RunPlan(list(range(12)), seed=5, concurrency=6),
                             lambda row, recs: done.append((row, recs))))
    assert sorted(row["index"] for row, _ in done) == list(range(12))
    for row, records in done:
        assert all(r["persona_id"] == row["id"] for r in records)
        assert row["base"]["id"] == row["id"] and row["base"]["index"] == row["index"]
    alone = asyncio.run(run_one(build_graph(), make_ctx(ScriptedChat(script=good_script()),
                                                        texts_per_emotion=1)[0], 7, 5))
    row7 = next(row for row, _ in done if row["index"] == 7)
    assert row7["base"] == alone["base"].model_dump(mode="json")


def test_baseline_method_skips_persona_stages():
    chat = ScriptedChat(script=good_script())
    ctx, events = make_ctx(chat, method="baseline", texts_per_emotion=1)
    state = run(ctx)
    assert state["status"] == "accepted" and state["base"] is None and len(state["texts"]) == 2
    assert chat.calls("Judgement") == 0 and chat.calls("Enrichment") == 0
    assert all("Person:" not in p for s, p in chat.prompts if s == "Texts")


def test_stages_base_only_skips_socio_and_scenario():
    chat = ScriptedChat(script=good_script())
    ctx, _ = make_ctx(chat, stages="base", texts_per_emotion=1)
    state = run(ctx)
    assert state["socio"] is None and state["scenario"] is None and len(state["texts"]) == 2
    assert chat.calls("Enrichment") == 0 and chat.calls("SceneAnswer") == 0


def test_advisory_critic_is_recorded_but_never_rejects():
    script = good_script(Judgement=[IMPLAUSIBLE])
    ctx, events = make_ctx(ScriptedChat(script=script), advisory=frozenset({"plausibility", "consistency"}))
    state = run(ctx)
    assert state["status"] == "accepted" and state["attempts"][Stage.BASE] == 1
    advised = [e for e in of_type(events, "verdict", "base") if e["agent"] == "critic:plausibility"]
    assert advised and not advised[0]["data"]["passed"] and advised[0]["data"]["advisory"]


def test_a_broken_critic_is_skipped_with_an_error_event_or_stops_the_run_as_configured():
    from personagen.agents.critics.registry import CriticSpec
    from personagen.graph.runner import RunAborted
    from personagen.personas.models import Stage

    def boom(candidate):
        raise RuntimeError("kaboom")

    broken = CriticSpec("boom", Stage.BASE, "raises", "rule", boom, "tests")
    ctx, events = make_ctx(ScriptedChat(script=good_script()), texts_per_emotion=1)
    ctx.critics = [broken, *ctx.critics]
    assert run(ctx)["status"] == "accepted"
    errors = of_type(events, "error")
    assert errors and "critic 'boom' raised RuntimeError: kaboom" in errors[0]["data"]["message"]

    ctx.on_critic_error = "stop"
    done: list = []
    try:
        asyncio.run(run_personas(build_graph(), ctx, RunPlan([0, 1], seed=1, concurrency=2),
                                 lambda row, recs: done.append(row)))
    except RunAborted as exc:
        assert "boom" in str(exc)
    else:
        raise AssertionError("the run should have stopped")
    assert done == []


def test_locale_without_an_income_table_lets_the_model_write_income():
    answer = {"residence": "a town in Niigata", "beliefs": "family first", "income": "modest"}
    chat = ScriptedChat(script=good_script(Enrichment=[answer]))
    ctx, _ = make_ctx(chat, locale="jp", texts_per_emotion=1)
    state = run(ctx)
    assert state["status"] == "accepted" and state["base"].locale == "jp"
    assert state["socio"].income == "modest" and "income" not in state["socio"].provenance
    enrich_prompt = next(p for s, p in chat.prompts if s == "Enrichment")
    assert "giving residence, beliefs, income" in enrich_prompt


def test_a_text_copied_from_the_prompt_examples_is_rejected_and_rewritten():
    from personagen.agents.emotion_writer import example_bank

    copied = example_bank()["texts"]["joy"][-1][1]  # any message of the pool, shown in this prompt or not
    answers = iter([{"texts": [copied]}, {"texts": ["Honestly this morning is full of joy for me today."]}])
    chat = ScriptedChat(script=good_script(Texts=lambda prompt: next(answers)))
    ctx, events = make_ctx(chat, emotions=["joy"], texts_per_emotion=1)
    state = run(ctx)
    assert [t.text for t in state["texts"]] == ["Honestly this morning is full of joy for me today."]
    rejected = [e for e in of_type(events, "verdict", "expression") if not e["data"]["passed"]]
    assert rejected[0]["agent"] == "critic:duplicates" and "copies an example" in rejected[0]["data"]["reasons"][0]


def test_a_scene_copied_from_the_prompt_examples_is_rewritten_with_other_examples():
    from personagen.agents.examples import load_pool

    copied = load_pool("scenario_designer")["examples"][0]["scene"]
    answers = iter([{"description": copied}, {"description": "A quiet evening at home."}])
    chat = ScriptedChat(script=good_script(SceneAnswer=lambda prompt: next(answers)))
    ctx, events = make_ctx(chat, emotions=["joy"], texts_per_emotion=1)
    state = run(ctx)
    assert state["status"] == "accepted" and state["attempts"][Stage.SCENARIO] == 2
    assert state["scenario"].description == "A quiet evening at home."
    rejected = [e for e in of_type(events, "verdict", "scenario") if not e["data"]["passed"]]
    assert [e["agent"] for e in rejected] == ["critic:copied_scene"]
    prompts = [p for s, p in chat.prompts if s == "SceneAnswer"]
    assert prompts[0] != prompts[1]  # the rewrite saw other examples
