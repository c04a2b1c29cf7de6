"""`personagen inspect RUN --critics` and the report's critic economics, on runs written by the real pipeline
(tests/inspection/real_runs.py says what the scripted model makes happen)."""

from __future__ import annotations

import json
from pathlib import Path

from personagen.evaluation.report import section_critic_economics
from personagen.inspection.economics import economics
from personagen.inspection.reader import find_run
from tests.inspection.real_runs import FINISHED, RUNNING

# (judged, rejected, calls, then accepted, then dropped): plausibility rejects p000000's first base candidate
# (resampled, accepted); consistency rejects p000001's socio thrice (dropped); emotion_fidelity rejects
# p000000's first anger text (rewritten, accepted) and p000002's joy text thrice (dropped)
EXPECTED = {
    "plausibility": (4, 1, 4, 1, 0),
    "consistency": (5, 3, 5, 0, 3),
    "copied_background": (5, 0, 0, 0, 0),
    "copied_scene": (2, 0, 0, 0, 0),
    "scene_check": (1, 0, 0, 0, 0),
    "duplicates": (7, 0, 0, 0, 0),
    "emotion_fidelity": (7, 4, 7, 1, 3),
    "text_shape": (7, 0, 0, 0, 0),
}
ATTEMPTS = {  # stage -> [(attempt, judged, accepted)]
    "base": [(1, 3, 2), (2, 1, 1)],
    "socio": [(1, 3, 2), (2, 1, 0), (3, 1, 0)],
    "scenario": [(1, 2, 2)],
    "expression": [(1, 3, 1), (2, 3, 2), (3, 1, 0)],  # p000002's anger is first judged at attempt 2
}


def critics_json(cli, runs_dir: Path, run_id: str) -> dict:
    result = cli("inspect", run_id, "--runs-dir", str(runs_dir), "--critics", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_what_each_critic_costs_and_catches(cli, runs_dir: Path) -> None:
    critics = {c["critic"]: c for c in critics_json(cli, runs_dir, FINISHED)["critics"]}
    assert list(critics) == list(EXPECTED)
    got = {n: (c["judged"], c["rejected"], c["calls"], c["rewritten"], c["dropped"]) for n, c in critics.items()}
    assert got == EXPECTED
    assert [critics[n]["share"] for n in ("plausibility", "consistency", "emotion_fidelity")] == [0.125, 0.375, 0.5]
    assert all(c["open"] == 0 for c in critics.values())


def test_critic_tokens_are_those_of_its_model_calls(runs_dir: Path) -> None:
    run = find_run(runs_dir, FINISHED)
    calls = [e for e in run.events if e.type == "llm_call" and e.agent == "critic:consistency"]
    row = next(c for c in economics(run.events).critics if c.critic == "consistency")
    assert (row.tokens_in, row.tokens_out) == (sum(e.tokens_in for e in calls), sum(e.tokens_out for e in calls))
    assert row.tokens_in > 0


def test_acceptance_by_attempt(cli, runs_dir: Path) -> None:
    attempts = critics_json(cli, runs_dir, FINISHED)["attempts"]
    assert {s: [(r["attempt"], r["candidates"], r["accepted"]) for r in rows] for s, rows in attempts.items()} == (
        ATTEMPTS
    )
    assert list(attempts) == ["base", "socio", "scenario", "expression"]


def test_rejections_not_yet_followed_by_anything_are_open(runs_dir: Path) -> None:
    events = find_run(runs_dir, FINISHED).events
    before_drop = events[: next(i for i, e in enumerate(events) if e.type == "drop")]  # as if it stopped there
    rows = {c.critic: c for c in economics(before_drop).critics}
    assert (rows["consistency"].rejected, rows["consistency"].dropped, rows["consistency"].open) == (3, 0, 3)
    assert all(c.rewritten + c.dropped + c.open == c.rejected for c in rows.values())


def test_a_running_run_reads(cli, runs_dir: Path) -> None:
    critics = {c["critic"]: c for c in critics_json(cli, runs_dir, RUNNING)["critics"]}
    assert critics["consistency"]["dropped"] == 3 and critics["plausibility"]["rewritten"] == 1


def test_table_on_the_terminal(cli, runs_dir: Path) -> None:
    result = cli("inspect", FINISHED, "--runs-dir", str(runs_dir), "--critics")
    assert result.exit_code == 0, result.output
    assert "What each critic costs and catches" in result.stdout and "attempt 3" in result.stdout
    line = next(line for line in result.stdout.splitlines() if "emotion_fidelity" in line)
    cells = [cell.strip() for cell in line.split("│")[1:-1]]
    assert cells[:6] == ["emotion_fidelity", "expression", "7", "4", "50%", "7"]  # then tokens in and out
    assert cells[8:] == ["-", "-", "1", "3", ""]  # cost, rewrites cost (unpriced run), then accepted, dropped, open


def test_report_section(runs_dir: Path) -> None:
    html = section_critic_economics(economics(find_run(runs_dir, FINISHED).events).to_json())
    assert "Critic economics" in html and "<td>emotion_fidelity</td>" in html and "<td>2/3</td>" in html
