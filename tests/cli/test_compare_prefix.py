"""`personagen compare` names runs as every other command does: id, unique prefix of an id, or run folder.

The runs are made by the real pipeline on the stub server and measured by `personagen eval --no-judge`.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from typer.testing import CliRunner

from personagen.cli import app

pytest.importorskip("sklearn", reason="personagen eval needs the 'eval' extra")

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def one_line(output: str) -> str:
    return " ".join(output.split())


def make_run(runs, run_id: str, stub_url: str, *extra: str) -> None:
    result = invoke("run", "-n", "3", "-e", "joy,anger", "-k", "2", "--runs-dir", str(runs), "--run-id", run_id,
                    "--base-url", stub_url, "--model", "stub", "-q", *extra)
    assert result.exit_code == 0, result.output


def test_compare_resolves_run_id_prefixes(tmp_path, stub_url):
    runs = tmp_path / "runs"
    make_run(runs, "cmp-alpha-1", stub_url, "--seed", "1")
    make_run(runs, "cmp-beta-1", stub_url, "--seed", "2", "--method", "baseline")

    not_evaluated = invoke("compare", "cmp-al", "--runs-dir", str(runs))
    assert not_evaluated.exit_code == 2
    assert "personagen eval cmp-alpha-1" in one_line(not_evaluated.output)

    measured = {}
    for prefix, run_id, method in (("cmp-al", "cmp-alpha-1", "personagen"), ("cmp-be", "cmp-beta-1", "baseline")):
        evaluated = invoke("eval", prefix, "--no-judge", "--runs-dir", str(runs), "--json")
        assert evaluated.exit_code == 0, evaluated.output
        metrics = measured[run_id] = json.loads(evaluated.stdout)
        emotions = [json.loads(line)["emotion"] for line in (runs / run_id / "records.jsonl").read_text().splitlines()]
        assert emotions, f"{run_id} kept no text"
        assert (metrics["run_id"], metrics["method"], metrics["n_texts"]) == (run_id, method, len(emotions))
        assert metrics["labels"] == Counter(emotions) and metrics["diversity"]["n"] == len(emotions)
        assert 0.0 < metrics["diversity"]["distinct_1"] <= 1.0
        # undefined for one emotion: on the stub's word salad the offline classifier keeps anger drafts by chance
        silhouette = metrics["diversity"]["silhouette"]
        assert -1.0 <= silhouette <= 1.0 if len(set(emotions)) > 1 and len(emotions) > 2 else silhouette is None
        assert metrics["human_likeness"] == {"skipped": "no judge (--no-judge)"}
    population = measured["cmp-alpha-1"]["population"]
    assert population["n_personas"] == 3 and 0.0 <= population["mean_tvd_accepted_vs_target"] <= 1.0
    baseline = measured["cmp-beta-1"]["population"]  # its prompts carry no persona attributes to measure
    assert (baseline["attributes"], baseline["mean_tvd_accepted_vs_target"]) == ({}, None)

    result = invoke("compare", "cmp-al", "cmp-be", "--runs-dir", str(runs), "--json")
    assert result.exit_code == 0, result.output
    compared = json.loads(result.stdout)
    assert compared["runs"] == ["cmp-alpha-1 (personagen)", "cmp-beta-1 (baseline)"]
    table = compared["metrics"]
    assert table["texts"] == [measured["cmp-alpha-1"]["n_texts"], measured["cmp-beta-1"]["n_texts"]]
    assert table["distinct-1"] == [measured[r]["diversity"]["distinct_1"] for r in ("cmp-alpha-1", "cmp-beta-1")]
    assert table["population TVD vs target (mean)"] == [population["mean_tvd_accepted_vs_target"], None]

    by_path = invoke("compare", str(runs / "cmp-alpha-1"), "cmp-beta-1", "--runs-dir", str(runs), "--json")
    assert by_path.exit_code == 0 and json.loads(by_path.stdout) == compared

    ambiguous = invoke("compare", "cmp-", "--runs-dir", str(runs))
    assert ambiguous.exit_code == 2 and "matches several runs" in one_line(ambiguous.output)
    unknown = invoke("compare", "nope", "--runs-dir", str(runs))
    assert unknown.exit_code == 2 and "existing runs:" in one_line(unknown.output)
    assert "Traceback" not in ambiguous.output + unknown.output
