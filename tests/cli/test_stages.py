"""`--stages` ablations: a run conditioned on the base persona only, or on base and background, on the stub."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from personagen.cli import app

runner = CliRunner()


@pytest.mark.parametrize(("stages", "with_socio"), [("base", False), ("base+socio", True)])
def test_stages_leave_out_the_later_persona_stages(stages, with_socio, tmp_path, stub_url):
    result = runner.invoke(app, ["run", "-n", "2", "-e", "joy", "-k", "1", "--stages", stages, "--runs-dir",
                                 str(tmp_path), "--run-id", "s", "--base-url", stub_url, "--model", "stub", "-q",
                                 "--json", "--no-curate"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (tmp_path / "s" / "personas.jsonl").read_text().splitlines()]
    assert all(row["scenario"] is None for row in rows)
    assert all((row["socio"] is not None) == with_socio for row in rows if row["status"] == "accepted")
    agents = json.loads((tmp_path / "s" / "summary.json").read_text())["agents"]
    assert "scenario_designer" not in agents and ("socio_enricher" in agents) == with_socio
