"""`personagen inspect RUN`: funnel, acceptance per critic, rejection reasons, tokens and time per agent."""

from __future__ import annotations

import json
from pathlib import Path

from tests.inspection.runfolder import EXPECTED_CRITICS, EXPECTED_FUNNEL

FINISHED, RUNNING, CRASHED = "20261126-130501-aaaa", "20261126-150000-cccc", "20261126-160000-dddd"


def inspect_json(cli, runs_dir: Path, *args: str) -> dict:
    result = cli("inspect", *args, "--runs-dir", str(runs_dir), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_funnel_numbers(cli, runs_dir: Path) -> None:
    view = inspect_json(cli, runs_dir, FINISHED)
    funnel = {row.pop("stage"): row for row in view["funnel"]}
    assert funnel == EXPECTED_FUNNEL


def test_acceptance_per_critic(cli, runs_dir: Path) -> None:
    critics = {c["critic"]: c for c in inspect_json(cli, runs_dir, FINISHED)["critics"]}
    assert {name: (c["judged"], c["passed"]) for name, c in critics.items()} == EXPECTED_CRITICS
    assert critics["consistency"]["rate"] == 0.25 and critics["consistency"]["kind"] == "llm"
    assert [c for c in critics] == ["constraints", "plausibility", "consistency", "emotion_fidelity"]


def test_top_rejection_reasons(cli, runs_dir: Path) -> None:
    reasons = inspect_json(cli, runs_dir, FINISHED)["reasons"]
    assert reasons[0] == {"critic": "consistency", "reason": "religion contradicts beliefs", "count": 2}
    assert {r["reason"] for r in reasons} == {
        "religion contradicts beliefs",
        "income too high for job",
        "Surgeons needs age >= 27",
        "names the emotion",
    }


def test_tokens_and_time_per_agent(cli, runs_dir: Path) -> None:
    agents = {a["agent"]: a for a in inspect_json(cli, runs_dir, FINISHED)["agents"]}
    assert set(agents) == {"critic:plausibility", "socio_enricher", "scenario_designer", "emotion_writer"}
    assert agents["socio_enricher"] == {
        "agent": "socio_enricher",
        "model": "gpt-4o-mini",
        "calls": 1,
        "errors": 0,
        "tokens_in": 100,
        "tokens_out": 20,
        "latency_s": 1.5,
    }


def test_rich_output_has_all_sections(cli, runs_dir: Path) -> None:
    result = cli("inspect", FINISHED, "--runs-dir", str(runs_dir))
    assert result.exit_code == 0
    for heading in (
        "Funnel per stage",
        "Acceptance per critic",
        "Most common rejection reasons",
        "Model calls per agent",
        "religion contradicts beliefs",
    ):
        assert heading in result.stdout


def test_running_and_crashed_runs_read_with_a_warning_not_a_traceback(cli, runs_dir: Path) -> None:
    for run_id, status in ((RUNNING, "running"), (CRASHED, "crashed")):
        result = cli("inspect", run_id, "--runs-dir", str(runs_dir), "--json")
        assert result.exit_code == 0
        assert json.loads(result.stdout)["run"]["status"] == status
        assert "events.jsonl" in result.stderr and "torn" in result.stderr
        assert "Traceback" not in result.output


def test_unknown_run_exits_2_listing_runs(cli, runs_dir: Path) -> None:
    result = cli("inspect", "nope", "--runs-dir", str(runs_dir))
    assert result.exit_code == 2
    assert "'nope' is not a run" in result.stderr and FINISHED in result.stderr
    assert result.stdout == ""


def test_rejected_lists_every_rejection_and_drop(cli, runs_dir: Path) -> None:
    items = inspect_json(cli, runs_dir, FINISHED, "--rejected")["rejections"]
    assert [(i["persona_id"], i["type"], i["critic"]) for i in items] == [
        ("p000000", "verdict", "constraints"),
        ("p000000", "verdict", "emotion_fidelity"),
        ("p000001", "verdict", "consistency"),
        ("p000001", "verdict", "consistency"),
        ("p000001", "verdict", "consistency"),
        ("p000001", "drop", None),
    ]
    assert items[1]["emotion"] == "anger"


def test_critic_filter(cli, runs_dir: Path) -> None:
    view = inspect_json(cli, runs_dir, FINISHED, "--critic", "consistency", "--rejected")
    assert [c["critic"] for c in view["critics"]] == ["consistency"]
    assert {r["critic"] for r in view["reasons"]} == {"consistency"}
    assert {r["critic"] for r in view["rejections"]} == {"consistency", None}


def test_emotion_filter(cli, runs_dir: Path) -> None:
    funnel = {r["stage"]: r for r in inspect_json(cli, runs_dir, FINISHED, "--emotion", "anger")["funnel"]}
    assert funnel["expression"] == {
        "stage": "expression",
        "sampled": 2,
        "accepted": 1,
        "resampled": 1,
        "dropped": 0,
        "pending": 0,
    }
    assert funnel["base"]["sampled"] == 4  # persona stages keep their numbers
    joy = {r["stage"]: r for r in inspect_json(cli, runs_dir, FINISHED, "--emotion", "joy")["funnel"]}
    assert (joy["expression"]["sampled"], joy["expression"]["accepted"], joy["expression"]["resampled"]) == (
        1,
        1,
        0,
    )


def test_unknown_critic_or_emotion_exits_2(cli, runs_dir: Path) -> None:
    result = cli("inspect", FINISHED, "--runs-dir", str(runs_dir), "--critic", "nope")
    assert result.exit_code == 2 and "consistency" in result.stderr
    result = cli("inspect", FINISHED, "--runs-dir", str(runs_dir), "--emotion", "sadness")
    assert result.exit_code == 2 and "joy" in result.stderr


def test_json_has_no_markup(cli, runs_dir: Path) -> None:
    result = cli("inspect", FINISHED, "--runs-dir", str(runs_dir), "--json")
    assert "[/" not in result.stdout and "\x1b[" not in result.stdout
