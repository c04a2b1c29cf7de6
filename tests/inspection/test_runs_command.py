"""`personagen runs`."""

from __future__ import annotations

import json
from pathlib import Path


def test_runs_table_lists_every_run_with_status(cli, runs_dir: Path) -> None:
    result = cli("runs", "--runs-dir", str(runs_dir))
    assert result.exit_code == 0
    for run_id, status in (
        ("aaaa", "finished"),
        ("bbbb", "failed"),
        ("cccc", "running"),
        ("dddd", "crashed"),
    ):
        assert run_id in result.stdout and status in result.stdout
    assert "1/3" in result.stdout  # personas accepted / requested
    assert "torn" in result.stderr  # the running run's torn personas.jsonl line


def test_runs_json(cli, runs_dir: Path) -> None:
    result = cli("runs", "--runs-dir", str(runs_dir), "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    first = rows[-1]
    assert first["id"] == "20261126-130501-aaaa"
    assert first["status"] == "finished"
    assert (first["personas_accepted"], first["personas_dropped"], first["personas_requested"]) == (1, 1, 3)
    assert first["texts"] == 2
    assert first["models"] == ["gpt-4o-mini", "gemma-3-270m"]
    assert first["started"] == "2026-11-26T13:05:01Z"


def test_runs_empty_dir(cli, tmp_path: Path) -> None:
    result = cli("runs", "--runs-dir", str(tmp_path / "none"))
    assert result.exit_code == 0 and "No runs" in result.stdout
    assert json.loads(cli("runs", "--runs-dir", str(tmp_path), "--json").stdout) == []
