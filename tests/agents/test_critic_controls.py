"""`[critics] controls`: an enforced LLM critic first judges obvious control cases; a judge that cannot stops the run.

On the scripted fake (the graph as the run wires it) and through `personagen run` on the stub server, whose
judgements are drawn at random (bench/stub_replies.py): a coin-toss judge, as the embedded 270M model is.
"""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from typer.testing import CliRunner

from personagen.agents.context import AgentContext
from personagen.agents.critics.controls import CONTROLS, ControlsFailed
from personagen.agents.critics.registry import all_critics, select_critics
from personagen.agents.events import record
from personagen.cli import app
from personagen.graph.build import build_graph
from personagen.graph.runner import RunAborted, RunPlan, run_personas
from tests.fakes import FakeModels, ScriptedChat, good_script

ALWAYS_YES = {"reason": "looks fine", "plausible": True, "confidence": 0.9}
AGE = re.compile(r"Person: (\d+)-year-old")


def sound_judge(prompt: str) -> dict:
    """A judge that gets the obvious cases right: no child or centenarian at work (the last person's age)."""
    age = int(AGE.findall(prompt)[-1])
    return {"reason": f"age {age}", "plausible": 16 <= age <= 90, "confidence": 0.9}


def run_two(judgement, controls=frozenset({"plausibility"}), advisory=frozenset()):
    """Two personas (joy, one text) through the graph; returns the fake, the events and the rows."""
    chat = ScriptedChat(script=good_script(Judgement=judgement))
    events, rows = [], []
    critics = select_critics(["plausibility", "emotion_fidelity"], [])
    ctx = AgentContext(models=FakeModels(default=chat), emotions=["joy"], texts_per_emotion=1, critics=critics,
                       stages="base", controls=controls, advisory=advisory, sink=lambda e: events.append(record(e)))
    plan = RunPlan(indices=[0, 1], seed=3, concurrency=2)
    asyncio.run(run_personas(build_graph(), ctx, plan, lambda row, records: rows.append(row)))
    return chat, events, rows


def control_calls(events: list[dict]) -> list[dict]:
    return [e for e in events if e["type"] == "llm_call" and e["persona_id"] is None]


def test_a_judge_that_passes_everything_stops_the_run_naming_the_critic_and_the_fix():
    with pytest.raises(RunAborted) as stopped:
        run_two([ALWAYS_YES])
    message = str(stopped.value)
    assert isinstance(stopped.value.__cause__, ControlsFailed) and stopped.value.exit_code == 1
    assert message.startswith("critic plausibility judged 3 of its 6 control cases wrongly")
    assert "a 6-year-old surgeon: passed (looks fine)" in message and "a 104-year-old firefighter" in message
    assert "Fix: judge with a larger model ([models.plausibility] model = ...)" in message
    assert '[critics] advisory = ["plausibility"]' in message and "--no-critic plausibility" in message


def test_a_sound_judge_is_checked_once_per_run_then_judges_personas():
    chat, events, rows = run_two(sound_judge)
    controls = control_calls(events)
    assert [e["agent"] for e in controls] == ["critic:plausibility"] * len(CONTROLS["plausibility"])
    judged = [p for s, p in chat.prompts if s == "Judgement"]
    assert len(judged) == len(controls) + sum(r["attempts"]["base"] for r in rows)  # once, not per persona
    assert [AGE.findall(p)[-1] for p in judged[:6]] == ["45", "29", "52", "6", "9", "104"]
    assert [r["status"] for r in rows] == ["accepted", "accepted"]
    assert all(e["persona_id"] for e in events if e["type"] == "verdict")  # controls give no verdict events


def test_unusable_answers_to_the_controls_fail_the_check():
    with pytest.raises(RunAborted, match=r"judged 6 of its 6 control cases wrongly .*: no usable answer"):
        run_two(["not json"])


def test_advisory_critics_and_critics_not_named_are_not_checked():
    for kwargs in ({"advisory": frozenset({"plausibility"})}, {"controls": frozenset()}):
        _, events, rows = run_two([ALWAYS_YES], **kwargs)
        assert not control_calls(events) and [r["status"] for r in rows] == ["accepted", "accepted"]


def test_every_llm_critic_has_control_cases_both_ways():
    llm = {name for name, spec in all_critics().items() if spec.kind == "llm"}
    assert set(CONTROLS) == llm
    for cases in CONTROLS.values():
        assert {c.expect for c in cases} == {True, False}


def personagen_run(tmp_path, stub_url, controls: list[str], *extra: str):
    config = tmp_path / "personagen.toml"
    config.write_text(f"[critics]\ncontrols = {json.dumps(controls)}\n", encoding="utf-8")
    return CliRunner().invoke(app, ["run", "-n", "2", "-e", "joy", "-k", "1", "--model", "stub", "--base-url",
                                    stub_url, "--runs-dir", str(tmp_path / "runs"), "--run-id", "ctl", "--config",
                                    str(config), "--json", *extra], catch_exceptions=False)


def test_a_run_on_a_coin_toss_judge_exits_1_naming_it(tmp_path, stub_url):
    result = personagen_run(tmp_path, stub_url, ["plausibility"])
    assert result.exit_code == 1, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["status"] == "failed" and summary["texts"]["accepted"] == 0
    assert re.match(r"critic plausibility judged [1-6] of its 6 control cases wrongly", summary["message"])
    assert "[models.plausibility] model" in summary["message"]
    events = [json.loads(line) for line in (tmp_path / "runs" / "ctl" / "events.jsonl").read_text().splitlines()]
    assert control_calls(events)
    assert not [e for e in events if e["type"] == "verdict" and e["agent"] == "critic:plausibility"]
    config = json.loads((tmp_path / "runs" / "ctl" / "config.json").read_text())
    assert config["settings"]["critics"]["controls"] == ["plausibility"]


@pytest.mark.parametrize(("controls", "says"), [
    (["nope"], "[critics] controls names critics not in this run: nope"),
    (["text_shape"], "[critics] controls: no control cases for text_shape"),
])
def test_controls_naming_a_critic_without_cases_is_bad_input(tmp_path, stub_url, controls, says):
    result = personagen_run(tmp_path, stub_url, controls)
    assert result.exit_code == 2 and says in " ".join(result.output.split())
    assert not (tmp_path / "runs").exists()


def test_without_controls_a_judge_that_rejects_everything_ends_the_run_naming_the_larger_model():
    """The health watch's message (the run's exit 1 when an enforced critic rejects every candidate)."""
    from personagen.agents.context import Limits
    from personagen.early_stop import EarlyStop

    _, _, rows = run_two([{"reason": "no such person", "plausible": False, "confidence": 0.9}], controls=frozenset())
    stops: list[str] = []
    watch = EarlyStop(Limits(), 2, stops.append)
    for row in rows:
        watch.persona(row)
    assert [r["status"] for r in rows] == ["dropped", "dropped"] and len(stops) == 1
    assert stops[0].startswith("2 of the first 2 personas yielded no text: 2 at stage base (critic plausibility)")
    assert "Fix: if the critic is too strict for this model, judge with a larger model ([models.plausibility] " \
           "model = ...; `[critics] controls = [\"plausibility\"]` checks a model on obvious cases" in stops[0]
    assert "no text was accepted: 2 of 2 personas failed at stage base (critic plausibility)" in \
           watch.empty_run_message()
