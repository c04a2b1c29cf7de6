"""End to end: the real graph on the embedded local model (llama.cpp server + Gemma 3 270M), offline.

Slow (about a minute on 2 cores): `pytest -m "not slow"` leaves it out.
"""

from __future__ import annotations

import importlib.util
import json

import pytest
from typer.testing import CliRunner

from personagen.cli import app

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason="needs the 'local' extra"),
]


def test_run_on_the_embedded_model_writes_a_dataset(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    result = CliRunner().invoke(app, ["run", "-n", "1", "-e", "joy", "-k", "2", "--stages", "base", "--seed", "1",
                                      "--runs-dir", str(tmp_path), "--run-id", "e2e", "--json", "-q"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["status"] == "finished" and summary["personas"]["accepted"] == 1
    folder = tmp_path / "e2e"
    config = json.loads((folder / "config.json").read_text())
    assert config["models"]["default"]["backend"] == "local"
    assert set(config["advisory_critics"]) >= {"plausibility", "emotion_fidelity"}
    events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
    calls = [e for e in events if e["type"] == "llm_call"]
    assert {e["agent"] for e in calls} >= {"critic:plausibility", "emotion_writer"}
    assert all(e["model"].startswith("gemma") and e["tokens_out"] > 0 for e in calls)
    records = [json.loads(line) for line in (folder / "records.jsonl").read_text().splitlines()]
    assert len(records) == summary["texts"]["accepted"] >= 1
    assert all(r["emotion"] == "joy" and len(r["text"].split()) >= 3 for r in records)
    assert not (folder / "run.lock").exists()
