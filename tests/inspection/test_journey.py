"""`personagen inspect RUN --persona ID`: one persona's journey."""

from __future__ import annotations

import json
from pathlib import Path

FINISHED, RUNNING = "20261126-130501-aaaa", "20261126-150000-cccc"


def journey_json(cli, runs_dir: Path, run: str, *args: str) -> dict:
    result = cli("inspect", run, "--runs-dir", str(runs_dir), "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_journey_in_order(cli, runs_dir: Path) -> None:
    view = journey_json(cli, runs_dir, FINISHED, "--persona", "p000000")
    steps = view["steps"]
    assert [s["n"] for s in steps] == list(range(1, len(steps) + 1))
    assert [(s["agent"], s["type"]) for s in steps[:4]] == [
        ("demographic_sampler", "sample"),
        ("critic:constraints", "verdict"),
        ("demographic_sampler", "retry"),
        ("demographic_sampler", "sample"),
    ]
    assert steps[1]["passed"] is False and steps[1]["reasons"] == ["Surgeons needs age >= 27"]
    assert steps[1]["score"] == 0.0 and steps[1]["critic"] == "constraints"
    assert steps[-1]["type"] == "persona_done"
    assert [s["stage"] for s in steps if s.get("stage")] == sorted(
        [s["stage"] for s in steps if s.get("stage")], key=["base", "socio", "scenario", "expression"].index
    )
    assert [r["emotion"] for r in view["records"]] == ["joy", "anger"]
    assert view["persona"]["status"] == "accepted"


def test_model_calls_show_measurements_and_prompts_only_on_request(cli, runs_dir: Path) -> None:
    plain = journey_json(cli, runs_dir, FINISHED, "--persona", "p000000")
    call = next(s for s in plain["steps"] if s["agent"] == "socio_enricher" and s["type"] == "llm_call")
    assert (call["model"], call["tokens_in"], call["tokens_out"], call["latency_s"]) == (
        "gpt-4o-mini",
        100,
        20,
        1.5,
    )
    assert call["input"] == "Enrich: 34-year-old nurse" and "prompt" not in call
    full = journey_json(cli, runs_dir, FINISHED, "--persona", "p000000", "--prompts")
    call = next(s for s in full["steps"] if s["agent"] == "socio_enricher" and s["type"] == "llm_call")
    assert call["prompt"][0] == {"role": "system", "content": "You are the socio_enricher."}
    assert json.loads(call["raw"])["religion"] == "Catholic"


def test_rich_journey_with_prompts(cli, runs_dir: Path) -> None:
    result = cli("inspect", FINISHED, "--runs-dir", str(runs_dir), "-p", "p000000", "--prompts")
    assert result.exit_code == 0
    for text in (
        "Surgeons needs age >= 27",
        "You are the socio_enricher.",
        "raw answer",
        "Accepted texts",
        "Unbelievable",
        "100 in / 20 out",
    ):
        assert text in result.stdout


def test_persona_by_index(cli, runs_dir: Path) -> None:
    assert journey_json(cli, runs_dir, FINISHED, "--persona", "1")["persona_id"] == "p000001"


def test_rejected_filter(cli, runs_dir: Path) -> None:
    steps = journey_json(cli, runs_dir, FINISHED, "--persona", "p000001", "--rejected")["steps"]
    assert [s["type"] for s in steps] == [
        "verdict",
        "retry",
        "verdict",
        "retry",
        "verdict",
        "drop",
        "persona_done",
    ]
    assert all(s.get("passed") is not True for s in steps)


def test_critic_and_emotion_filters(cli, runs_dir: Path) -> None:
    steps = journey_json(cli, runs_dir, FINISHED, "--persona", "p000000", "--critic", "emotion_fidelity")[
        "steps"
    ]
    assert {s["critic"] for s in steps if s["type"] == "verdict"} == {"emotion_fidelity"}
    assert any(s["type"] == "sample" for s in steps)  # other agents' events stay
    view = journey_json(cli, runs_dir, FINISHED, "--persona", "p000000", "--emotion", "joy")
    expression = [s for s in view["steps"] if s.get("stage") == "expression"]
    assert {s.get("emotion") for s in expression} == {"joy", None}  # None: the call and output for both
    assert len(expression) == 4
    assert [r["emotion"] for r in view["records"]] == ["joy"]


def test_unfinished_persona_of_a_running_run(cli, runs_dir: Path) -> None:
    result = cli("inspect", RUNNING, "--runs-dir", str(runs_dir), "--persona", "p000002")
    assert result.exit_code == 0
    assert "not finished yet" in result.stdout and "torn" in result.stderr


def test_unknown_persona_exits_2(cli, runs_dir: Path) -> None:
    result = cli("inspect", FINISHED, "--runs-dir", str(runs_dir), "--persona", "p999")
    assert result.exit_code == 2
    assert "p999" in result.stderr and "p000000" in result.stderr
