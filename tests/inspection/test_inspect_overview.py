"""`personagen inspect RUN`: funnel, acceptance per critic, rejection reasons, tokens and time per agent, on runs
written by the real pipeline (tests/inspection/real_runs.py says what the scripted model makes happen)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.inspection.real_runs import CRASHED, FINISHED, RUNNING, SCENE_CHECK_ERROR

# p000000: base resampled once; p000001: socio rejected thrice (2 retries, a drop); texts: p000000 writes 3
# (anger rewritten once), p000002 writes 4 (joy rejected thrice: 2 retries and a drop; its first anger answer
# did not parse, so anger is written once, in the second round)
EXPECTED_FUNNEL = {
    "base": {"sampled": 4, "accepted": 3, "resampled": 1, "dropped": 0, "pending": 0},
    "socio": {"sampled": 5, "accepted": 2, "resampled": 2, "dropped": 1, "pending": 0},
    "scenario": {"sampled": 2, "accepted": 2, "resampled": 0, "dropped": 0, "pending": 0},
    "expression": {"sampled": 7, "accepted": 3, "resampled": 3, "dropped": 1, "pending": 0},
}
EXPECTED_CRITICS = {  # (judged, passed), in stage order then by name
    "plausibility": (4, 3),
    "consistency": (5, 2),
    "copied_background": (5, 5),
    "copied_scene": (2, 2),
    "scene_check": (1, 1),  # its failure on p000000 is an error, not a verdict
    "duplicates": (7, 7),
    "emotion_fidelity": (7, 3),
    "text_shape": (7, 7),
}


def inspect_json(cli, runs_dir: Path, *args: str) -> dict:
    result = cli("inspect", *args, "--runs-dir", str(runs_dir), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_funnel_numbers(cli, runs_dir: Path) -> None:
    view = inspect_json(cli, runs_dir, FINISHED)
    funnel = {row.pop("stage"): row for row in view["funnel"]}
    assert funnel == EXPECTED_FUNNEL


def test_funnel_agrees_with_the_persona_rows(cli, runs_dir: Path) -> None:
    funnel = {row["stage"]: row for row in inspect_json(cli, runs_dir, FINISHED)["funnel"]}
    personas = read_jsonl(runs_dir / FINISHED / "personas.jsonl")
    for stage in ("base", "socio", "scenario"):
        assert funnel[stage]["sampled"] == sum(p["attempts"][stage] for p in personas)
    assert funnel["expression"]["accepted"] == sum(p["texts"]["accepted"] for p in personas)
    assert funnel["expression"]["dropped"] == sum(p["texts"]["dropped"] for p in personas)
    assert funnel["socio"]["dropped"] == sum(p["status"] == "dropped" for p in personas)


def test_acceptance_per_critic(cli, runs_dir: Path) -> None:
    critics = {c["critic"]: c for c in inspect_json(cli, runs_dir, FINISHED)["critics"]}
    assert {name: (c["judged"], c["passed"]) for name, c in critics.items()} == EXPECTED_CRITICS
    assert list(critics) == list(EXPECTED_CRITICS)
    assert critics["consistency"]["rate"] == 0.4 and critics["consistency"]["kind"] == "llm"
    assert critics["duplicates"]["kind"] == "rule" and critics["duplicates"]["stage"] == "expression"


def test_top_rejection_reasons(cli, runs_dir: Path) -> None:
    reasons = inspect_json(cli, runs_dir, FINISHED)["reasons"]
    assert reasons[:2] == [
        {"critic": "emotion_fidelity", "reason": "reads as none of joy, anger", "count": 3},
        {"critic": "consistency", "reason": "religion contradicts beliefs", "count": 2},
    ]
    assert {(r["critic"], r["reason"], r["count"]) for r in reasons[2:]} == {
        ("plausibility", "too young for the job", 1),  # the judge's explanation after the colon is left out
        ("consistency", "income too high for the job", 1),
        ("emotion_fidelity", "reads as joy, not anger", 1),
    }


def test_tokens_and_time_per_agent_match_the_summary(cli, runs_dir: Path) -> None:
    agents = {a["agent"]: a for a in inspect_json(cli, runs_dir, FINISHED)["agents"]}
    summary = json.loads((runs_dir / FINISHED / "summary.json").read_text(encoding="utf-8"))["agents"]
    assert set(agents) == set(summary) == {
        "critic:plausibility", "critic:consistency", "critic:emotion_fidelity", "socio_enricher",
        "scenario_designer", "emotion_writer",
    }
    for name, row in agents.items():
        assert row["model"] == "fake-default"
        assert (row["calls"], row["errors"]) == (summary[name]["calls"], summary[name]["failed_parses"])
        assert (row["tokens_in"], row["tokens_out"]) == (summary[name]["tokens_in"], summary[name]["tokens_out"])
        assert row["tokens_in"] > 0 and row["tokens_out"] > 0
    assert (agents["emotion_writer"]["calls"], agents["emotion_writer"]["errors"]) == (8, 1)
    assert agents["socio_enricher"]["calls"] == 5


def test_rich_output_has_all_sections(cli, runs_dir: Path) -> None:
    result = cli("inspect", FINISHED, "--runs-dir", str(runs_dir))
    assert result.exit_code == 0
    for heading in (
        "Funnel per stage",
        "Acceptance per critic",
        "Most common rejection reasons",
        "Model calls per agent",
        "religion contradicts beliefs",
        "fake-default",
    ):
        assert heading in result.stdout


def test_running_and_crashed_runs_read_with_a_warning_not_a_traceback(cli, runs_dir: Path) -> None:
    for run_id, status in ((RUNNING, "running"), (CRASHED, "crashed")):
        result = cli("inspect", run_id, "--runs-dir", str(runs_dir), "--json")
        assert result.exit_code == 0
        view = json.loads(result.stdout)
        assert view["run"]["status"] == status
        assert "events.jsonl" in result.stderr and "torn" in result.stderr
        assert "Traceback" not in result.output
        socio = next(row for row in view["funnel"] if row["stage"] == "socio")
        assert socio["pending"] == 1  # p000002's background, never judged


def test_unknown_run_exits_2_listing_runs(cli, runs_dir: Path) -> None:
    result = cli("inspect", "nope", "--runs-dir", str(runs_dir))
    assert result.exit_code == 2
    assert "'nope' is not a run" in result.stderr and FINISHED in result.stderr
    assert result.stdout == ""


def test_rejected_lists_every_rejection_drop_failed_answer_and_error(cli, runs_dir: Path) -> None:
    items = inspect_json(cli, runs_dir, FINISHED, "--rejected")["rejections"]
    assert [(i["persona_id"], i["type"], i["critic"]) for i in items] == [
        ("p000000", "verdict", "plausibility"),
        ("p000000", "error", "scene_check"),
        ("p000000", "verdict", "emotion_fidelity"),
        ("p000001", "verdict", "consistency"),
        ("p000001", "verdict", "consistency"),
        ("p000001", "verdict", "consistency"),
        ("p000001", "drop", None),
        ("p000002", "llm_call", None),
        ("p000002", "verdict", "emotion_fidelity"),
        ("p000002", "verdict", "emotion_fidelity"),
        ("p000002", "verdict", "emotion_fidelity"),
        ("p000002", "drop", None),
    ]
    assert items[1]["reasons"] == [SCENE_CHECK_ERROR] and items[1]["stage"] == "scenario"
    assert items[2]["emotion"] == "anger" and items[8]["emotion"] == "joy"
    assert items[7]["emotion"] == "anger" and "does not fit Texts" in items[7]["reasons"][0]
    assert items[6]["reasons"] == ["socio: 3 candidates rejected; last: income too high for the job"]
    assert (items[11]["stage"], items[11]["emotion"]) == ("expression", "joy")


def test_critic_filter(cli, runs_dir: Path) -> None:
    view = inspect_json(cli, runs_dir, FINISHED, "--critic", "consistency", "--rejected")
    assert [c["critic"] for c in view["critics"]] == ["consistency"]
    assert {r["critic"] for r in view["reasons"]} == {"consistency"}
    assert {r["critic"] for r in view["rejections"]} == {"consistency", None}


def test_emotion_filter(cli, runs_dir: Path) -> None:
    funnel = {r["stage"]: r for r in inspect_json(cli, runs_dir, FINISHED, "--emotion", "anger")["funnel"]}
    assert funnel["expression"] == {
        "stage": "expression",
        "sampled": 3,
        "accepted": 2,
        "resampled": 1,
        "dropped": 0,
        "pending": 0,
    }
    assert funnel["base"]["sampled"] == 4  # persona stages keep their numbers
    joy = {r["stage"]: r for r in inspect_json(cli, runs_dir, FINISHED, "--emotion", "joy")["funnel"]}
    expression = joy["expression"]
    assert (expression["sampled"], expression["accepted"], expression["resampled"], expression["dropped"]) == (
        4, 1, 2, 1,
    )


def test_unknown_critic_or_emotion_exits_2(cli, runs_dir: Path) -> None:
    result = cli("inspect", FINISHED, "--runs-dir", str(runs_dir), "--critic", "nope")
    assert result.exit_code == 2 and "consistency" in result.stderr and "scene_check" in result.stderr
    result = cli("inspect", FINISHED, "--runs-dir", str(runs_dir), "--emotion", "sadness")
    assert result.exit_code == 2 and "joy" in result.stderr


def test_json_has_no_markup(cli, runs_dir: Path) -> None:
    result = cli("inspect", FINISHED, "--runs-dir", str(runs_dir), "--json")
    assert "[/" not in result.stdout and "\x1b[" not in result.stdout
