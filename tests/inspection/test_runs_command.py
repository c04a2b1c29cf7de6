"""`personagen runs`, on runs written by the real pipeline."""

from __future__ import annotations

import json
from pathlib import Path

from tests.inspection.real_runs import CRASHED, FAILED, FINISHED, RUNNING


def test_runs_table_lists_every_run_with_status(cli, runs_dir: Path) -> None:
    result = cli("runs", "--runs-dir", str(runs_dir))
    assert result.exit_code == 0
    for run_id, status in ((FINISHED, "finished"), (FAILED, "failed"), (RUNNING, "running"), (CRASHED, "crashed")):
        line = next(line for line in result.stdout.splitlines() if run_id in line)
        assert status in line
    assert "2/3" in result.stdout and "1/3" in result.stdout  # personas accepted / requested
    assert "Traceback" not in result.output


def test_runs_json(cli, runs_dir: Path) -> None:
    result = cli("runs", "--runs-dir", str(runs_dir), "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == [CRASHED, RUNNING, FAILED, FINISHED]
    first = rows[-1]
    assert first["status"] == "finished"
    assert (first["personas_accepted"], first["personas_dropped"], first["personas_requested"]) == (2, 1, 3)
    assert first["texts"] == 3 and first["emotions"] == ["joy", "anger"]
    assert first["models"] == ["fake-default"]
    config = json.loads((runs_dir / FINISHED / "config.json").read_text(encoding="utf-8"))
    assert first["started"] == config["created"]
    running = rows[1]
    assert (running["status"], running["personas_accepted"], running["personas_dropped"], running["texts"]) == (
        "running", 1, 1, 2,
    )


def test_runs_empty_dir(cli, tmp_path: Path) -> None:
    result = cli("runs", "--runs-dir", str(tmp_path / "none"))
    assert result.exit_code == 0 and "No runs" in result.stdout
    assert json.loads(cli("runs", "--runs-dir", str(tmp_path), "--json").stdout) == []
