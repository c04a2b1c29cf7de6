"""The split graph (each stage's agent and critics as separate nodes, the one drawn and opened in LangGraph Studio)
is a working graph: one persona through it gives the same events and records as through the run graph."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from personagen.agents.context import Limits
from personagen.graph.build import build_graph
from personagen.graph.runner import RunPlan, run_personas
from tests.fakes import ScriptedChat, good_script
from tests.graph.test_critic_loops import IMPLAUSIBLE, PLAUSIBLE, make_ctx

ROOT = Path(__file__).resolve().parents[2]
TIMING = {"ts", "latency_s", "seconds", "elapsed_s", "wall_s"}  # when an event happened, not what it says


def run_through(split: bool, script_of, seed: int, **kw) -> tuple[list, list, list]:
    """Events, persona rows and records of persona 0, each graph on a fresh copy of the same scripted model."""
    ctx, events = make_ctx(ScriptedChat(script=script_of()), **kw)
    done: list = []
    asyncio.run(run_personas(build_graph(split=split), ctx, RunPlan([0], seed=seed, concurrency=1),
                             lambda row, recs: done.append((row, recs))))
    (row, records), = done
    stripped = [{k: v for k, v in e.items() if k not in TIMING} for e in events]
    return stripped, [row], records


def one_base_rejection_and_one_text_rewrite():
    script = good_script()
    calls = iter([IMPLAUSIBLE, PLAUSIBLE])
    script["Judgement"] = lambda prompt: next(calls) if "could such a person" in prompt else PLAUSIBLE
    readings = iter([{"reason": "sounds sad", "emotion": "sadness"}])
    echo = script["EmotionReading"]
    script["EmotionReading"] = lambda prompt: next(readings, None) or echo(prompt)
    return script


def test_split_graph_loops_and_records_like_the_run_graph():
    kw = {"texts_per_emotion": 1, "limits": Limits(text_attempts=3)}
    run_graph = run_through(False, one_base_rejection_and_one_text_rewrite, 3, **kw)
    split_graph = run_through(True, one_base_rejection_and_one_text_rewrite, 3, **kw)
    events, rows, records = run_graph
    assert rows[0]["status"] == "accepted" and rows[0]["attempts"]["base"] == 2 and len(records) == 2
    assert [e for e in events if e["type"] == "retry"], "the script should exercise a critic loop"
    assert split_graph == run_graph


def test_split_graph_drops_an_exhausted_persona_like_the_run_graph():
    script_of = lambda: good_script(Judgement=[IMPLAUSIBLE])  # noqa: E731
    kw = {"limits": Limits(base_attempts=2)}
    run_graph, split_graph = run_through(False, script_of, 4, **kw), run_through(True, script_of, 4, **kw)
    assert run_graph[1][0]["status"] == "dropped" and run_graph[2] == []
    assert split_graph == run_graph


def test_langgraph_json_names_the_split_graph():
    config = json.loads((ROOT / "langgraph.json").read_text())
    path, _, variable = config["graphs"]["personagen"].partition(":")
    assert config["dependencies"] == ["."] and (ROOT / path).is_file()
    from personagen.graph import studio

    assert Path(studio.__file__).resolve() == (ROOT / path).resolve()
    nodes = set(getattr(studio, variable).get_graph().nodes)
    assert {"base_stage", "base_critics", "text_stage", "text_critics"} <= nodes
