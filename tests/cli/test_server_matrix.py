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
    "vllm-reasoning": ("Qwen/Qwen3-8B", "function_calling"),  # 700 reasoning tokens in the cap: 8,000 hold them
    "ollama": ("llama3.1", "json_schema"),  # ignores tool_choice: answers in prose
    "llamacpp-server": ("gemma", "json_schema"),  # HTTP 500 on tools without --jinja
    "llamacpp-jinja": ("gemma", "json_schema"),  # an object tool_choice becomes "auto"
    "lmstudio": ("qwen2.5-7b-instruct", "json_schema"),  # documents only string tool_choice values
    "gemini": ("gemini-2.5-flash", "function_calling"),  # thinks by default, within the cap
    "openrouter": ("openai/gpt-5-mini", "function_calling"),  # reasoning in `reasoning`, within max_tokens
    "groq": ("qwen/qwen3-32b", "function_calling"),  # reasoning in `reasoning`, within the cap
    "deepseek": ("deepseek-chat", "function_calling"),  # no json_schema
    "together": ("meta-llama/Llama-3.3-70B-Instruct-Turbo", "function_calling"),
    "mistral": ("mistral-small-latest", "function_calling"),  # 422 for any field it does not know
    "sglang": ("meta-llama/Llama-3.1-8B-Instruct", "function_calling"),
    "tgi": ("HuggingFaceH4/zephyr-7b-beta", "function_calling"),  # response_format is its own grammar
}


def run_on_stub(tmp_path, run_id: str, stub: dict, *args: str, config: str | None = None, quiet: bool = True):
    """`personagen run ARGS` (run `run_id`, --json) against a stub started with `stub`: (result, the stub's stats)."""
    extra = ["-q"] if quiet else []
    if config is not None:
        path = tmp_path / f"{run_id}.toml"
        path.write_text(config)
        extra += ["--config", str(path)]
    with start_stub(**{"latency": 0.0, **stub}) as (_, url):
        result = runner.invoke(app, ["run", *args, "--runs-dir", str(tmp_path), "--run-id", run_id,
                                     "--base-url", url, "--json", *extra])
        return result, fetch_stats(url)


def last_json(result) -> dict:
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("personality", list(MATRIX))
def test_default_run_produces_texts_on_every_server(personality, tmp_path, monkeypatch):
    model, mode = MATRIX[personality]
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("PERSONAGEN_API_KEY", SERVER_KEY)
    stub = {"personality": personality, "models": model, "require_key": SERVER_KEY}
    result, stats = run_on_stub(tmp_path, "m", stub, "-n", "3", "-e", "joy,anger", "-k", "1")
    assert result.exit_code == 0, result.output
    assert last_json(result)["texts"]["accepted"] > 0
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
    result, stats = run_on_stub(tmp_path, "o", {"personality": "openai", "models": "o4-mini"},
                                "-n", "2", "-e", "joy", "-k", "1")
    params = stats["params"]
    assert result.exit_code == 0, result.output
    assert "temperature" not in params  # o-series reject any but the default
    assert params.get("max_completion_tokens") and not params.get("max_tokens")  # o-series refuse max_tokens
    assert last_json(result)["texts"]["accepted"] > 0  # the 8,000-token default cap leaves room after the reasoning


def test_a_parameter_the_server_refuses_is_found_by_the_probe_and_left_out(tmp_path, monkeypatch):
    """A reasoning model behind a name that does not say so (an Azure deployment name): the probe's first
    question is refused for its temperature (HTTP 400), the probe asks again without, and the run goes on so."""
    monkeypatch.setenv("PERSONAGEN_API_KEY", SERVER_KEY)
    result, stats = run_on_stub(tmp_path, "t", {"personality": "openai", "models": "o3-mini"},
                                "-n", "2", "-e", "joy", "-k", "1", config="[models.default]\ntemperature = 0.9\n")
    params = stats["params"]
    assert result.exit_code == 0, result.output
    assert params.get("temperature") == 1  # only the probe's first question carried it
    probe = json.loads((tmp_path / "t" / "config.json").read_text())["models"]["default"]["probe"]
    assert probe["adjust"] == {"temperature": "default"}


def test_a_pinned_mode_the_server_ignores_is_honoured_and_read_through_the_content_fallback(tmp_path):
    result, _ = run_on_stub(tmp_path, "f", {"personality": "ollama", "models": "llama3.1"}, "-n", "2", "-e", "joy",
                            "-k", "1", config='[models.default]\nstructured_output = "function_calling"\n', quiet=False)
    assert result.exit_code == 0, result.output
    assert "ignores a forced tool_choice" in " ".join(result.output.split())  # the finding shown, the pin honoured
    summary = last_json(result)
    assert summary["texts"]["accepted"] > 0
    assert summary["agents"]["emotion_writer"]["content_fallbacks"] == summary["agents"]["emotion_writer"]["calls"]


def test_several_models_and_no_model_named_exits_2_listing_them(tmp_path):
    with start_stub(latency=0.0, personality="vllm", models="a,b") as (_, url):
        result = runner.invoke(app, ["run", "-n", "1", "--runs-dir", str(tmp_path), "--base-url", url, "-q"])
    assert result.exit_code == 2
    assert "it serves: a, b" in result.output and "--model" in result.output
    assert not any(tmp_path.iterdir())


def test_every_answer_unparseable_stops_early_with_the_fix(tmp_path):
    config = '[models.default]\nstructured_output = "json_schema"\n[limits]\nearly_stop_answers = 5\n'
    result, _ = run_on_stub(tmp_path, "u", {"malformed_rate": 1.0}, "-n", "20", "-e", "joy", "--model", "stub",
                            config=config)
    summary = last_json(result)
    assert result.exit_code == 1 and summary["status"] == "failed"
    assert "the first 5 model answers all failed to parse" in summary["message"]
    assert "personagen doctor" in summary["message"] and "--resume" not in summary["message"]
    assert "then start a new run" in summary["message"]  # every fix (mode, model) is a setting a resume keeps
    assert summary["personas"]["accepted"] + summary["personas"]["dropped"] < 20


def test_answers_cut_at_a_small_cap_fail_the_run_naming_the_cap(tmp_path, monkeypatch):
    """gpt-5 counts its reasoning in the cap: 300 tokens leave no room for the writer's answer (finish reason
    'length'). Each cut answer is a failed candidate (rewritten, then dropped), never a crash; the run fails
    with the fix."""
    monkeypatch.setenv("PERSONAGEN_API_KEY", SERVER_KEY)
    result, _ = run_on_stub(tmp_path, "c", {"personality": "openai", "models": "gpt-5-mini"}, "-n", "3", "-e", "joy",
                            "-k", "1", config="[models.emotion_writer]\nmax_tokens = 300\n")
    summary = last_json(result)
    assert result.exit_code == 1 and summary["texts"]["accepted"] == 0
    assert summary["agents"]["emotion_writer"]["failed_parses"] == summary["agents"]["emotion_writer"]["calls"]
    assert "cut off at the output cap" in summary["message"] and "raise max_tokens" in summary["message"]


def test_a_server_that_runs_one_request_at_a_time_is_sent_one_at_a_time(tmp_path):
    """Ollama runs OLLAMA_NUM_PARALLEL requests at once (default 1) and queues the rest, where they would run into
    the client's timeout and be sent again (issue 20: 10 of 90 requests sent twice). The server is recognised
    (GET /api/version), the run sends one request at a time, none times out, none is sent twice."""
    config = "[models.default]\ntimeout = 2\n"
    result, stats = run_on_stub(tmp_path, "q", {"personality": "ollama", "models": "llama3.1", "latency": 0.15},
                                "-n", "3", "-e", "joy,anger", "-k", "1", config=config, quiet=False)
    assert result.exit_code == 0, result.output
    assert "ollama runs 1 request(s) at once" in " ".join(result.output.split())
    assert stats["max_in_flight"] == 1
    calls = sum(1 for line in (tmp_path / "q" / "events.jsonl").read_text().splitlines() if '"llm_call"' in line)
    assert stats["requests"] == calls + 3  # the probe's three questions; no request sent twice


def test_a_concurrency_the_user_set_wins(tmp_path):
    config = "[models.default]\nconcurrency = 3\n"
    result, stats = run_on_stub(tmp_path, "w", {"personality": "ollama", "models": "llama3.1", "latency": 0.2},
                                "-n", "4", "-e", "joy,anger", "-k", "1", config=config)
    assert result.exit_code == 0, result.output
    assert stats["max_in_flight"] == 3
