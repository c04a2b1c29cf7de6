"""`personagen inspect RUN --persona ID`: one persona's journey, on runs written by the real pipeline."""

from __future__ import annotations

import json
from pathlib import Path

from tests.inspection.real_runs import FINISHED, RUNNING

STAGES = ["base", "socio", "scenario", "expression"]


def journey_json(cli, runs_dir: Path, run: str, *args: str) -> dict:
    result = cli("inspect", run, "--runs-dir", str(runs_dir), "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_journey_in_order(cli, runs_dir: Path) -> None:
    view = journey_json(cli, runs_dir, FINISHED, "--persona", "p000000")
    steps = view["steps"]
    assert [s["n"] for s in steps] == list(range(1, len(steps) + 1))
    assert [(s["agent"], s["type"]) for s in steps[:5]] == [
        ("demographic_sampler", "sample"),
        ("critic:plausibility", "llm_call"),
        ("critic:plausibility", "verdict"),
        ("base_critics", "retry"),
        ("demographic_sampler", "sample"),
    ]
    assert steps[2]["passed"] is False and steps[2]["critic"] == "plausibility"
    assert steps[2]["reasons"] == ["too young for the job: nobody is a surgeon at 19"]
    assert steps[2]["score"] < 0.5 and steps[3]["summary"].startswith("retry: too young for the job")
    assert steps[0]["t"] == 0.0 and [s["t"] for s in steps] == sorted(s["t"] for s in steps)
    assert [s["stage"] for s in steps] == sorted((s["stage"] for s in steps), key=STAGES.index)
    assert (steps[-1]["critic"], steps[-1]["emotion"], steps[-1]["passed"]) == ("emotion_fidelity", "anger", True)
    assert [r["emotion"] for r in view["records"]] == ["joy", "anger"]
    assert view["persona"]["status"] == "accepted"


def test_text_events_carry_their_emotion_and_slot(cli, runs_dir: Path) -> None:
    steps = journey_json(cli, runs_dir, FINISHED, "--persona", "p000000")["steps"]
    judged = [s for s in steps if s["stage"] == "expression" and s["agent"].startswith("critic:")]
    assert judged and all(s["emotion"] in ("joy", "anger") and s["slot"] == 0 for s in judged)
    output = next(s for s in steps if s["type"] == "output" and s["stage"] == "expression")
    assert "emotion" not in output  # it holds a text for each emotion
    assert output["summary"].startswith("joy#0: Honestly message") and " | anger#0: " in output["summary"]


def test_model_calls_show_measurements_and_prompts_only_on_request(cli, runs_dir: Path) -> None:
    events = [json.loads(line) for line in (runs_dir / FINISHED / "events.jsonl").read_text().splitlines()]
    written = next(e for e in events if e["agent"] == "socio_enricher" and e["persona_id"] == "p000000")
    plain = journey_json(cli, runs_dir, FINISHED, "--persona", "p000000")
    call = next(s for s in plain["steps"] if s["agent"] == "socio_enricher" and s["type"] == "llm_call")
    assert (call["model"], call["tokens_in"], call["tokens_out"], call["latency_s"]) == (
        "fake-default", written["tokens_in"], written["tokens_out"], written["latency_s"],
    )
    assert call["tokens_in"] > 0 and call["summary"].startswith("Enrichment: residence=a flat in town")
    assert call["input"].endswith("Background:") and "prompt" not in call  # the end of the last user message
    full = journey_json(cli, runs_dir, FINISHED, "--persona", "p000000", "--prompts")
    call = next(s for s in full["steps"] if s["agent"] == "socio_enricher" and s["type"] == "llm_call")
    assert call["prompt"] == written["prompt"] and call["prompt"][0]["role"] == "system"
    assert call["prompt"][0]["content"].startswith("Socio-cultural backgrounds of people.")
    assert json.loads(call["raw"])["beliefs"] == "values family"


def test_rich_journey_with_prompts(cli, runs_dir: Path) -> None:
    result = cli("inspect", FINISHED, "--runs-dir", str(runs_dir), "-p", "p000000", "--prompts")
    assert result.exit_code == 0
    for text in (
        "too young for the job: nobody is a surgeon at 19",
        "Socio-cultural backgrounds of people.",
        "raw answer",
        "Accepted texts",
        "p000000-anger-0",
        "fake-default ·",
        "[anger#0]",
    ):
        assert text in result.stdout


def test_persona_by_index(cli, runs_dir: Path) -> None:
    assert journey_json(cli, runs_dir, FINISHED, "--persona", "1")["persona_id"] == "p000001"


def test_rejected_filter(cli, runs_dir: Path) -> None:
    steps = journey_json(cli, runs_dir, FINISHED, "--persona", "p000001", "--rejected")["steps"]
    assert [s["type"] for s in steps] == ["verdict", "retry", "verdict", "retry", "verdict", "drop"]
    assert all(s.get("passed") is not True for s in steps)
    assert steps[-1]["summary"].startswith("dropped: ") and steps[-1]["agent"] == "socio_critics"


def test_failed_answer_and_critic_error_are_shown(cli, runs_dir: Path) -> None:
    steps = journey_json(cli, runs_dir, FINISHED, "--persona", "p000002", "--rejected")["steps"]
    failed = steps[0]
    assert (failed["type"], failed["agent"], failed["emotion"]) == ("llm_call", "emotion_writer", "anger")
    assert failed["summary"].startswith("error (invalid): fake-default answered something that does not fit Texts")
    first = journey_json(cli, runs_dir, FINISHED, "--persona", "p000000", "--rejected")["steps"]
    error = next(s for s in first if s["type"] == "error")
    assert (error["agent"], error["stage"]) == ("critic:scene_check", "scenario")
    assert error["summary"] == "error: scene_check could not load its word list"


def test_critic_and_emotion_filters(cli, runs_dir: Path) -> None:
    steps = journey_json(cli, runs_dir, FINISHED, "--persona", "p000000", "--critic", "emotion_fidelity")[
        "steps"
    ]
    assert {s["critic"] for s in steps if s["type"] == "verdict"} == {"emotion_fidelity"}
    assert any(s["type"] == "sample" for s in steps)  # other agents' events stay
    view = journey_json(cli, runs_dir, FINISHED, "--persona", "p000000", "--emotion", "joy")
    expression = [s for s in view["steps"] if s.get("stage") == "expression"]
    # the writer's joy call, its first output (joy and anger), and joy's four critic events
    assert [(s["type"], s.get("emotion")) for s in expression] == [
        ("llm_call", "joy"),
        ("output", None),
        ("verdict", "joy"),
        ("verdict", "joy"),
        ("llm_call", "joy"),
        ("verdict", "joy"),
    ]
    assert [r["emotion"] for r in view["records"]] == ["joy"]


def test_unfinished_persona_of_a_running_run(cli, runs_dir: Path) -> None:
    result = cli("inspect", RUNNING, "--runs-dir", str(runs_dir), "--persona", "p000002")
    assert result.exit_code == 0
    assert "not finished yet" in result.stdout and "torn" in result.stderr
    view = journey_json(cli, runs_dir, RUNNING, "--persona", "p000002")
    assert view["persona"] is None and view["steps"][-1]["type"] == "output"


def test_unknown_persona_exits_2(cli, runs_dir: Path) -> None:
    result = cli("inspect", FINISHED, "--runs-dir", str(runs_dir), "--persona", "p999")
    assert result.exit_code == 2
    assert "p999" in result.stderr and "p000000" in result.stderr
