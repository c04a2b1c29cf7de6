"""Reasoning tokens, wherever a user looks: on a run against the stub's OpenAI reasoning model (o4-mini reports its
reasoning in `usage.completion_tokens_details.reasoning_tokens`, bench/stub_personalities.py), each model call's
event carries them, summary.json adds them up per agent and in total, and `inspect`, a persona's journey and the
run's summary table show them."""

from __future__ import annotations

import io
import json
import re

import pytest
from rich.console import Console
from typer.testing import CliRunner

from personagen.cli import app
from personagen.trace import summary_table
from tests.cli.test_server_matrix import SERVER_KEY, last_json, run_on_stub
from tests.runner.conftest import read_jsonl

runner = CliRunner()


@pytest.fixture(scope="module")
def reasoning_run(tmp_path_factory):
    runs = tmp_path_factory.mktemp("reasoning")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PERSONAGEN_API_KEY", SERVER_KEY)
        result, _ = run_on_stub(runs, "r", {"personality": "openai", "models": "o4-mini"}, "-n", "2", "-e", "joy",
                                "-k", "1")
    assert result.exit_code == 0, result.output
    return runs, last_json(result)


def test_each_call_carries_its_reasoning_tokens_and_the_summary_adds_them_up(reasoning_run):
    runs, summary = reasoning_run
    calls = [e for e in read_jsonl(runs / "r" / "events.jsonl") if e["type"] == "llm_call"]
    assert calls and all(0 < e["tokens_reasoning"] <= e["tokens_out"] for e in calls)
    assert summary["tokens_reasoning"] == sum(e["tokens_reasoning"] for e in calls)
    writer = [e for e in calls if e["agent"] == "emotion_writer"]
    assert summary["agents"]["emotion_writer"]["tokens_reasoning"] == sum(e["tokens_reasoning"] for e in writer)
    assert json.loads((runs / "r" / "summary.json").read_text())["tokens_reasoning"] == summary["tokens_reasoning"]


def test_inspect_and_the_summary_table_show_them(reasoning_run):
    runs, summary = reasoning_run
    overview = runner.invoke(app, ["inspect", "r", "--runs-dir", str(runs)], terminal_width=200)
    assert overview.exit_code == 0, overview.output
    total = next(line for line in overview.output.splitlines() if line.startswith("│ total"))
    assert "reaso" in overview.output and f" {summary['tokens_reasoning']} " in total  # a column of its own
    journey = runner.invoke(app, ["inspect", "r", "--persona", "0", "--runs-dir", str(runs)], terminal_width=200)
    assert journey.exit_code == 0 and " reasoning)" in journey.output
    out = io.StringIO()
    Console(file=out, width=200).print(summary_table("r", summary))
    assert re.search(rf"of which reasoning tokens\s+│\s+{summary['tokens_reasoning']} \(", out.getvalue())
