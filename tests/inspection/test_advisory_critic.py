"""An advisory critic (recorded, never enforced) in the tables a user reads, on a real run against the stub: its
failed verdicts are advice, so the summary table and `inspect` say how often it advised against and that it
rejected nothing, instead of a 0% acceptance that reads as if it judged nothing or rejected everything."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console
from typer.testing import CliRunner

from personagen.cli import app
from personagen.dataset_card import critics_section
from personagen.trace import summary_table
from tests.cli.test_server_matrix import last_json, run_on_stub
from tests.runner.conftest import read_jsonl

runner = CliRunner(env={"COLUMNS": "200"})
ADVISORY = "emotion_fidelity"  # the stub's reader often names another emotion than the one asked for
CONFIG = f'[critics]\nadvisory = ["{ADVISORY}"]\n'


@pytest.fixture(scope="module")
def advisory_run(tmp_path_factory):
    runs = tmp_path_factory.mktemp("advisory")
    result, _ = run_on_stub(runs, "a", {}, "-n", "4", "-e", "joy,anger", "-k", "1", "--seed", "3", "--no-curate",
                            "--no-critic", "offline_emotion", "--no-critic", "offline_strength", config=CONFIG)
    assert result.exit_code == 0, result.output
    verdicts = [e["data"] for e in read_jsonl(runs / "a" / "events.jsonl") if e["type"] == "verdict"]
    return runs, last_json(result), verdicts


def cell(output: str, first: str) -> list[str]:
    line = next(line for line in output.splitlines() if line.strip("│ ").startswith(first))
    return [c.strip() for c in line.strip("│ ").split("│")]


def test_the_summary_table_shows_advice_not_a_zero_acceptance(advisory_run):
    _, summary, verdicts = advisory_run
    mine = [v for v in verdicts if v["critic"] == ADVISORY]
    advised = sum(not v["passed"] for v in mine)
    assert mine and all(v["advisory"] for v in mine) and advised > 0  # the run has advice to show
    assert summary["critics"][ADVISORY]["advised_against"] == advised and summary["critics"][ADVISORY]["rejected"] == 0
    out = io.StringIO()
    Console(file=out, width=200).print(summary_table("a", summary))
    table = out.getvalue()
    assert cell(table, f"critic {ADVISORY}")[1] == f"advisory: {advised} of {len(mine)} advised against, none rejected"
    language = summary["critics"]["language"]
    assert cell(table, "critic language")[1] == f"{language['passed']} passed, 0 rejected (100%)"


def test_inspect_shows_the_advice_and_marks_its_reasons(advisory_run):
    runs, _, verdicts = advisory_run
    advised = sum(not v["passed"] for v in verdicts if v["critic"] == ADVISORY)
    overview = runner.invoke(app, ["inspect", "a", "--runs-dir", str(runs)])
    assert overview.exit_code == 0, overview.output
    assert cell(overview.output, ADVISORY)[5] == f"advisory: {advised} advised against"
    assert cell(overview.output, "language")[5] == "100%"
    reasons = overview.output.split("Most common rejection reasons")[1]
    assert f"{ADVISORY} (advisory)" in reasons
    data = json.loads(runner.invoke(app, ["inspect", "a", "--json", "--runs-dir", str(runs)]).stdout)
    critics = {c["critic"]: c for c in data["critics"]}
    assert critics[ADVISORY]["advisory"] and critics[ADVISORY]["advised"] == advised
    assert not critics["language"]["advisory"] and critics["language"]["advised"] == 0


def test_summary_json_says_the_critic_was_advisory_and_what_it_let_pass(advisory_run):
    runs, summary, verdicts = advisory_run
    mine = [v for v in verdicts if v["critic"] == ADVISORY]
    passed = sum(v["passed"] for v in mine)
    written = json.loads((runs / "a" / "summary.json").read_text())["critics"]
    assert written == summary["critics"]
    entry, language = written[ADVISORY], written["language"]
    assert entry["advisory"] is True and entry["passed"] == passed and entry["advised_against"] == len(mine) - passed
    assert 0 < entry["acceptance"] == round(passed / len(mine), 3) < 1  # the share it did not advise against
    assert language["advisory"] is False and language["acceptance"] == 1.0
    data = json.loads(runner.invoke(app, ["inspect", "a", "--json", "--runs-dir", str(runs)]).stdout)
    rates = {c["critic"]: c["rate"] for c in data["critics"]}
    assert round(rates[ADVISORY], 3) == entry["acceptance"] and rates["language"] == language["acceptance"]


def test_the_dataset_card_counts_its_advice(advisory_run):
    runs, summary, verdicts = advisory_run
    advised = sum(not v["passed"] for v in verdicts if v["critic"] == ADVISORY)
    config = json.loads((runs / "a" / "config.json").read_text())
    card = critics_section(config, summary)
    passed = summary["critics"][ADVISORY]["passed"]
    acceptance = summary["critics"][ADVISORY]["acceptance"]
    assert f"| {ADVISORY} | {passed} | 0 | {advised} | {acceptance} | advisory (recorded, not enforced) |" in card
    assert f"| language | {summary['critics']['language']['passed']} | 0 | 0 | 1.0 | enforced |" in card


def test_a_summary_written_before_advisory_was_recorded_still_reads_as_advice(advisory_run):
    """The previous version wrote an advisory critic without `advisory` and with acceptance passed / (passed +
    rejected) = 0.0: the summary table and the dataset card still show its advice and the share it let pass."""
    runs, summary, verdicts = advisory_run
    old = json.loads(json.dumps(summary))
    for c in old["critics"].values():
        del c["advisory"]
        c["acceptance"] = round(c["passed"] / max(1, c["passed"] + c["rejected"]), 3)
    entry = old["critics"][ADVISORY]
    advised, passed = entry["advised_against"], entry["passed"]
    out = io.StringIO()
    Console(file=out, width=200).print(summary_table("a", old))
    assert cell(out.getvalue(), f"critic {ADVISORY}")[1] == (
        f"advisory: {advised} of {advised + passed} advised against, none rejected")
    card = critics_section(json.loads((runs / "a" / "config.json").read_text()), old)
    assert f"| {ADVISORY} | {passed} | 0 | {advised} | {round(passed / (passed + advised), 3)} | " in card
