"""A default `personagen run` against every model server personality of the stub (bench/stub_personalities.py, each
behaviour cited there from the server's docs or source): texts are produced with the mode the probe chose, the
OpenAI key never reaches another host, and the cap goes out as the server reads it."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bench.stub_process import fetch_stats, start_stub
from personagen.cli import app

runner = CliRunner()
OPENAI_KEY = "sk-openai-must-stay-home"
SERVER_KEY = "server-key-123"

#: personality -> (model served, mode the probe must choose)
MATRIX = {
    "generic": ("stub", "function_calling"),
    "openai": ("gpt-5-mini", "function_calling"),  # reasoning model: temperature left unset, reasoning in the cap
    "azure": ("my-deployment", "function_calling"),
    "vllm": ("Qwen/Qwen2.5-7B-Instruct", "function_calling"),
    "ollama": ("llama3.1", "json_schema"),  # ignores tool_choice: answers in prose
    "llamacpp-server": ("gemma", "json_schema"),  # HTTP 500 on tools without --jinja
    "llamacpp-jinja": ("gemma", "json_schema"),  # an object tool_choice becomes "auto"
    "lmstudio": ("qwen2.5-7b-instruct", "json_schema"),  # documents only string tool_choice values
}


@pytest.mark.parametrize("personality", list(MATRIX))
def test_default_run_produces_texts_on_every_server(personality, tmp_path, monkeypatch):
    model, mode = MATRIX[personality]
    with start_stub(latency=0.0, personality=personality, models=model, require_key=SERVER_KEY) as (_, url):
        monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
        monkeypatch.setenv("PERSONAGEN_API_KEY", SERVER_KEY)
        result = runner.invoke(app, ["run", "-n", "3", "-e", "joy,anger", "-k", "1", "--runs-dir", str(tmp_path),
                                     "--run-id", "m", "--base-url", url, "-q", "--json"])
        stats = fetch_stats(url)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["texts"]["accepted"] > 0
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    described = config["models"]["default"]
    assert described["model"] == model  # no --model: the only model the server lists
    assert described["structured_output"] == mode == described["probe"]["chosen"]
    assert described["key_env"] == "PERSONAGEN_API_KEY"
    assert OPENAI_KEY not in json.dumps(stats["credentials"]) and SERVER_KEY in json.dumps(stats["credentials"])
    folder_text = "".join(p.read_text() for p in (tmp_path / "m").iterdir() if p.is_file())
    assert OPENAI_KEY not in folder_text and SERVER_KEY not in folder_text and SERVER_KEY not in result.output


def test_reasoning_model_gets_no_temperature_and_its_cap_as_max_completion_tokens(tmp_path, monkeypatch):
    monkeypatch.setenv("PERSONAGEN_API_KEY", SERVER_KEY)
    with start_stub(latency=0.0, personality="openai", models="o4-mini") as (_, url):
        result = runner.invoke(app, ["run", "-n", "2", "-e", "joy", "-k", "1", "--runs-dir", str(tmp_path),
                                     "--run-id", "o", "--base-url", url, "-q", "--json"])
        params = fetch_stats(url)["params"]
    assert result.exit_code == 0, result.output
    assert "temperature" not in params  # o-series reject any but the default
    assert params.get("max_completion_tokens") and not params.get("max_tokens")  # o-series refuse max_tokens
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["texts"]["accepted"] > 0  # the 8,000-token default cap leaves room after the reasoning


def test_a_parameter_the_server_refuses_is_found_by_the_probe_and_left_out(tmp_path, monkeypatch):
    """A reasoning model behind a name that does not say so (an Azure deployment name): the probe's first
    question is refused for its temperature (HTTP 400), the probe asks again without, and the run goes on so."""
    monkeypatch.setenv("PERSONAGEN_API_KEY", SERVER_KEY)
    config = tmp_path / "c.toml"
    config.write_text('[models.default]\ntemperature = 0.9\n')
    with start_stub(latency=0.0, personality="openai", models="o3-mini") as (_, url):
        result = runner.invoke(app, ["run", "-n", "2", "-e", "joy", "-k", "1", "--runs-dir", str(tmp_path),
                                     "--run-id", "t", "--base-url", url, "--config", str(config), "-q", "--json"])
        params = fetch_stats(url)["params"]
    assert result.exit_code == 0, result.output
    assert params.get("temperature") == 1  # only the probe's first question carried it
    probe = json.loads((tmp_path / "t" / "config.json").read_text())["models"]["default"]["probe"]
    assert probe["adjust"] == {"temperature": "default"}


def test_a_pinned_mode_the_server_ignores_is_honoured_and_read_through_the_content_fallback(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[models.default]\nstructured_output = "function_calling"\n')
    with start_stub(latency=0.0, personality="ollama", models="llama3.1") as (_, url):
        result = runner.invoke(app, ["run", "-n", "2", "-e", "joy", "-k", "1", "--runs-dir", str(tmp_path),
                                     "--run-id", "f", "--base-url", url, "--config", str(config), "--json"])
    assert result.exit_code == 0, result.output
    assert "ignores a forced tool_choice" in result.output  # the probe's finding is shown, the pin honoured
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["texts"]["accepted"] > 0
    assert summary["agents"]["emotion_writer"]["content_fallbacks"] == summary["agents"]["emotion_writer"]["calls"]


def test_several_models_and_no_model_named_exits_2_listing_them(tmp_path):
    with start_stub(latency=0.0, personality="vllm", models="a,b") as (_, url):
        result = runner.invoke(app, ["run", "-n", "1", "--runs-dir", str(tmp_path), "--base-url", url, "-q"])
    assert result.exit_code == 2
    assert "it serves: a, b" in result.output and "--model" in result.output
    assert not any(tmp_path.iterdir())


def test_every_answer_unparseable_stops_early_with_the_fix(tmp_path):
    with start_stub(latency=0.0, malformed_rate=1.0) as (_, url):
        config = tmp_path / "c.toml"
        config.write_text('[models.default]\nstructured_output = "json_schema"\n[limits]\nearly_stop_answers = 5\n')
        result = runner.invoke(app, ["run", "-n", "20", "-e", "joy", "--runs-dir", str(tmp_path), "--run-id", "u",
                                     "--base-url", url, "--model", "stub", "--config", str(config), "-q", "--json"])
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert result.exit_code == 1 and summary["status"] == "failed"
    assert "the first 5 model answers all failed to parse" in summary["message"]
    assert "personagen doctor" in summary["message"] and "--resume u" in summary["message"]
    assert summary["personas"]["accepted"] + summary["personas"]["dropped"] < 20


def test_answers_cut_at_a_small_cap_fail_the_run_naming_the_cap(tmp_path, monkeypatch):
    """gpt-5 counts its reasoning in the cap: 300 tokens leave no room for the writer's answer (finish reason
    'length'). Each cut answer is a failed candidate (rewritten, then dropped), never a crash; the run fails
    with the fix."""
    monkeypatch.setenv("PERSONAGEN_API_KEY", SERVER_KEY)
    config = tmp_path / "c.toml"
    config.write_text("[models.emotion_writer]\nmax_tokens = 300\n")
    with start_stub(latency=0.0, personality="openai", models="gpt-5-mini") as (_, url):
        result = runner.invoke(app, ["run", "-n", "3", "-e", "joy", "-k", "1", "--runs-dir", str(tmp_path),
                                     "--run-id", "c", "--base-url", url, "--config", str(config), "-q", "--json"])
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert result.exit_code == 1 and summary["texts"]["accepted"] == 0
    assert summary["agents"]["emotion_writer"]["failed_parses"] == summary["agents"]["emotion_writer"]["calls"]
    assert "cut off at the output cap" in summary["message"] and "raise max_tokens" in summary["message"]
