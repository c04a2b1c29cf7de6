"""`personagen compare` names runs as every other command does: id, unique prefix of an id, or run folder.

The runs are made by the real pipeline on the stub server and measured by `personagen eval --no-judge`.
"""

from __future__ import annotations

import json

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

    for prefix in ("cmp-al", "cmp-be"):
        evaluated = invoke("eval", prefix, "--no-judge", "--runs-dir", str(runs), "--json")
        assert evaluated.exit_code == 0, evaluated.output

    result = invoke("compare", "cmp-al", "cmp-be", "--runs-dir", str(runs), "--json")
    assert result.exit_code == 0, result.output
    compared = json.loads(result.stdout)
    assert compared["runs"] == ["cmp-alpha-1 (personagen)", "cmp-beta-1 (baseline)"]
    assert compared["metrics"] and all(len(values) == 2 for values in compared["metrics"].values())

    by_path = invoke("compare", str(runs / "cmp-alpha-1"), "cmp-beta-1", "--runs-dir", str(runs), "--json")
    assert by_path.exit_code == 0 and json.loads(by_path.stdout) == compared

    ambiguous = invoke("compare", "cmp-", "--runs-dir", str(runs))
    assert ambiguous.exit_code == 2 and "matches several runs" in one_line(ambiguous.output)
    unknown = invoke("compare", "nope", "--runs-dir", str(runs))
    assert unknown.exit_code == 2 and "existing runs:" in one_line(unknown.output)
    assert "Traceback" not in ambiguous.output + unknown.output
