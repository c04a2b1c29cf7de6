"""`personagen run` and `export` through the CLI, against the stub OpenAI-compatible server."""

from __future__ import annotations

import csv
import json

from typer.testing import CliRunner

from personagen.cli import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_run_writes_a_complete_run_folder(tmp_path, stub_url, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-should-not-leak")
    result = invoke("run", "-n", "3", "-e", "joy,anger", "-k", "1", "--seed", "3", "--runs-dir", str(tmp_path),
                    "--run-id", "r1", "--base-url", stub_url, "--model", "stub", "--json", "-q")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    folder = tmp_path / "r1"
    assert {p.name for p in folder.iterdir()} >= {"config.json", "personas.jsonl", "records.jsonl",
                                                   "events.jsonl", "summary.json"}
    assert not (folder / "run.lock").exists()
    personas, records = read_jsonl(folder / "personas.jsonl"), read_jsonl(folder / "records.jsonl")
    assert len(personas) == 3 and all("id" in p for p in personas)
    assert summary["texts"]["accepted"] == len(records) > 0
    assert {r["emotion"] for r in records} <= {"joy", "anger"}
    assert all(r["persona_id"] in {p["id"] for p in personas} for r in records)
    config = json.loads((folder / "config.json").read_text())
    assert config["models"]["default"]["base_url"] == stub_url and config["emotions"] == ["joy", "anger"]
    for path in folder.rglob("*"):  # curation's embedding cache included
        assert not path.is_file() or b"sk-secret-should-not-leak" not in path.read_bytes()
    calls = [e for e in read_jsonl(folder / "events.jsonl") if e["type"] == "llm_call"]
    assert calls and all(e["model"] == "stub" and e["tokens_in"] > 0 and "prompt" in e for e in calls)


def test_same_seed_gives_same_personas(tmp_path, stub_url):
    for rid in ("a", "b"):
        invoke("run", "-n", "4", "-e", "joy", "-k", "1", "--seed", "11", "--runs-dir", str(tmp_path), "--run-id", rid,
               "--base-url", stub_url, "--model", "stub", "-q")
    bases = [sorted((p["index"], p["base"]["occupation"], p["base"]["age"])
                    for p in read_jsonl(tmp_path / rid / "personas.jsonl")) for rid in ("a", "b")]
    assert bases[0] == bases[1]


def test_export_csv_by_run_id_prefix(tmp_path, stub_url):
    invoke("run", "-n", "4", "-e", "joy", "-k", "2", "--runs-dir", str(tmp_path), "--run-id", "r-export",
           "--base-url", stub_url, "--model", "stub", "-q")
    out = tmp_path / "d.csv"
    result = invoke("export", "r-ex", "--format", "csv", "--out", str(out), "--runs-dir", str(tmp_path))
    assert result.exit_code == 0
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == len(read_jsonl(tmp_path / "r-export" / "records.jsonl"))
    assert rows and {"text", "emotion", "persona_id", "persona_age", "scenario_medium"} <= set(rows[0])
    missing = invoke("export", "nope", "--runs-dir", str(tmp_path))
    assert missing.exit_code == 2 and "existing runs: r-export" in " ".join(missing.output.split())


def test_bad_inputs_exit_2_with_one_clear_line_and_no_run_folder(tmp_path, stub_url):
    cases = [
        (["-n", "0"], "personas"),
        (["-e", "joy,grumpiness"], "unknown emotion"),
        (["-e", "nosuchpreset"], "valid presets"),
        (["--locale", "xx"], "unknown locale"),
        (["--language", "fr"], "language"),
        (["--no-critic", "nosuchcritic"], "unknown critic"),
        (["--run-id", "../evil"], "run id"),
    ]
    for args, expected in cases:
        result = invoke("run", *args, "--runs-dir", str(tmp_path / "runs"), "--base-url", stub_url, "--model", "s")
        assert result.exit_code == 2, (args, result.output)
        assert expected in result.output.lower().replace("\n", " ") or expected in result.output, (args, result.output)
        assert "Traceback" not in result.output
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_dead_server_exits_1_without_a_run_folder(tmp_path):
    result = invoke("run", "-n", "1", "--runs-dir", str(tmp_path), "--base-url", "http://127.0.0.1:9/v1")
    assert result.exit_code == 1
    assert "cannot reach the model server" in result.output
    assert list(tmp_path.iterdir()) == []


def test_malformed_config_exits_2(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[models.default]\nbase_url = 5\napi_key = 'x'\n")
    result = invoke("run", "--config", str(cfg), "--runs-dir", str(tmp_path))
    assert result.exit_code == 2 and "c.toml" in result.output


def test_config_file_gives_an_agent_its_own_model(tmp_path, stub_url):
    cfg = tmp_path / "multi.toml"
    cfg.write_text(f'[models.default]\nbase_url = "{stub_url}"\nmodel = "small"\n\n'
                   '[models.emotion_fidelity]\nmodel = "big-judge"\ntemperature = 0.0\n\n'
                   '[limits]\ntext_attempts = 1\n')
    result = invoke("run", "-n", "2", "-e", "joy", "-k", "1", "--config", str(cfg), "--runs-dir", str(tmp_path),
                    "--run-id", "m", "-q")
    assert result.exit_code == 0, result.output
    calls = [e for e in read_jsonl(tmp_path / "m" / "events.jsonl") if e["type"] == "llm_call"]
    models = {e["agent"]: e["model"] for e in calls}
    assert models["critic:emotion_fidelity"] == "big-judge"
    assert models["emotion_writer"] == models["critic:plausibility"] == "small"
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["models"]["emotion_fidelity"]["model"] == "big-judge"
    assert config["limits"]["text_attempts"] == 1
