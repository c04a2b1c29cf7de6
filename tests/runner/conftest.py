"""Helpers for the runner tests: CLI invocation, reading run folders, comparing datasets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from personagen.cli import app

SMALL = ["-e", "joy", "-k", "1", "--model", "stub", "-q", "--seed", "7"]


def invoke(*args: str):
    """Run the CLI in-process (catching SystemExit) and return the click Result."""
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def dataset(folder: Path) -> list[tuple[str, str]]:
    """The dataset of a run as sorted (record id, text) pairs."""
    return sorted((r["id"], r["text"]) for r in read_jsonl(folder / "records.jsonl"))


def summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text())


@pytest.fixture(scope="module")
def reference(tmp_path_factory, stub_url):
    """An uninterrupted 12-persona run (seed 7) to compare resumed, budgeted and merged runs against."""
    runs = tmp_path_factory.mktemp("ref")
    result = invoke("run", "-n", 12, *SMALL, "--runs-dir", runs, "--run-id", "ref", "--base-url", stub_url)
    assert result.exit_code == 0, result.output
    return runs / "ref"
