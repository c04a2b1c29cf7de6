"""The run handle: the same data as the CLI's --json output, exports and frames of the same rows."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

import personagen
from personagen.cli import app
from personagen.inspection.journey import PersonaNotFound
from personagen.runformat.errors import RunNotFound


def cli_json(*args: str) -> dict:
    result = CliRunner().invoke(app, [*args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_load_finds_a_run_by_prefix_or_folder_and_says_when_it_does_not(made):
    runs = made.folder.parent
    assert personagen.load("ma", runs_dir=runs).folder == made.folder == personagen.load(made.folder).folder
    with pytest.raises(RunNotFound):
        personagen.load("nothing", runs_dir=runs)


def test_inspection_is_the_cli_json(made):
    runs = str(made.folder.parent)
    overview = cli_json("inspect", "made", "--runs-dir", runs, "--json")
    assert made.inspect() == overview and made.funnel() == overview["funnel"]
    assert made.funnel()[-1]["accepted"] == len(made.records) == 6
    persona = made.records[0]["persona_id"]
    journey = made.persona(persona)
    assert journey == cli_json("inspect", "made", "--runs-dir", runs, "--persona", persona, "--json")
    assert {r["id"] for r in journey["records"]} == {r["id"] for r in made.records if r["persona_id"] == persona}
    assert made.critics() == {k: v for k, v in cli_json("inspect", "made", "--runs-dir", runs, "--critics",
                                                        "--json").items() if k != "run"}
    with pytest.raises(PersonaNotFound):
        made.persona("p999999")


def test_show_draws_the_cli_views(made, capsys):
    persona = made.records[0]["persona_id"]
    made.show(persona=persona)
    drawn = capsys.readouterr().out
    assert persona in drawn and made.records[0]["text"][:30] in " ".join(drawn.split())
    made.show(critics=True)
    assert "What each critic costs and catches" in capsys.readouterr().out


def test_rows_frames_and_datasets_hold_the_exported_rows(made, tmp_path):
    result = made.export("jsonl", out=tmp_path / "d.jsonl", all=True)
    exported = [json.loads(line) for line in (tmp_path / "d.jsonl").read_text().splitlines()]
    assert result.rows == 6 and made.rows(all=True) == exported
    frame = made.to_pandas(all=True)
    assert list(frame["text"]) == [r["text"] for r in exported] and "persona_age" in frame.columns
    data = made.to_dataset(all=True)
    assert data.num_rows == 6 and data.features["emotion"].names == ["joy", "anger"]
    assert [data.features["emotion"].int2str(i) for i in data["emotion"]] == [r["emotion"] for r in exported]


def test_curate_then_the_curated_rows(made):
    summary = made.curate()
    assert summary["records"] == 6 and summary["kept"] == len(made.rows()) == 6 - summary["removed"]
    assert made.summary["status"] == "finished" and made.exit_code == 0


def test_importing_personagen_and_the_cli_stays_light():
    code = ("import sys, personagen.cli; print(sorted(m for m in ('personagen.api', 'langgraph', 'pandas') "
            "if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['langgraph']"  # the CLI's own imports, none added by the API


def test_evaluate_with_a_judge_from_inside_an_event_loop(made, stub_url, tmp_path):
    async def cell():  # the judge runs its own event loop: evaluate moves off the cell's loop
        return made.evaluate(base_url=stub_url, model="stub", judge_sample=3, out=tmp_path / "eval")

    metrics = asyncio.run(cell())
    assert metrics["human_likeness"]["sample"] == 3 and metrics["human_likeness"]["model"] == "stub"
    assert json.loads((tmp_path / "eval" / "metrics.json").read_text())["run_id"] == "made"
