"""`personagen doctor` through the CLI, against the stub server and its personalities (bench/stub_personalities.py)."""

from __future__ import annotations

import json
import socket

import pytest
from typer.testing import CliRunner

from bench.stub_process import fetch_stats, start_stub
from personagen.cli import app

runner = CliRunner()
WIDE = {"COLUMNS": "250"}  # table cells on one line, so reasons can be matched whole


def doctor(*args: str, **env: str):
    return runner.invoke(app, ["doctor", *args], env={**WIDE, **env}, catch_exceptions=False)


def cell(output: str, check: str) -> str:
    """The result cell of the table row named `check` (the first one)."""
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if len(cells) >= 2 and cells[0] == check:
            return cells[1]
    raise AssertionError(f"no row {check!r} in:\n{output}")


def flat(text: str) -> str:
    """The output with line wrapping undone (for the red error line)."""
    return " ".join(text.split())


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture(autouse=True)
def no_keys(monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "PERSONAGEN_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def stub():
    with start_stub(latency=0.0) as (_, url):
        yield url


def personality_stub(name: str, **opts):
    return start_stub(latency=0.0, personality=name, **opts)


def endpoint_json(result) -> dict:
    data = json.loads(result.stdout)
    assert len(data["endpoints"]) == 1
    return data["endpoints"][0]


def test_generic_stub_works_and_shows_the_pin_lines(stub):
    result = doctor("--base-url", stub)
    assert result.exit_code == 0, result.output
    assert cell(result.stdout, "function_calling") == "works"
    assert cell(result.stdout, "reachable").startswith("yes")
    assert cell(result.stdout, "structured output") == "function_calling"
    assert "[models.default]" in result.stdout
    assert f'base_url = "{stub}"' in result.stdout
    assert 'model = "stub"' in result.stdout
    assert 'structured_output = "function_calling"' in result.stdout


def test_json_output(stub):
    result = doctor("--base-url", stub, "--model", "stub", "--json")
    assert result.exit_code == 0, result.output
    found = endpoint_json(result)
    assert json.loads(result.stdout)["exit_code"] == 0
    assert found["base_url"] == stub and found["model"] == "stub" and found["reachable"] is True
    assert [m["mode"] for m in found["modes"]] == ["function_calling", "json_schema", "json_mode"]
    assert found["structured_output"] == "function_calling" and found["code"] == 0
    assert found["cap"]["field"] == "max_tokens" and "structured_output" in found["pin"]


def test_ollama_ignores_forced_tool_choice_so_json_schema_is_chosen():
    with personality_stub("ollama", models="llama3.1") as (_, url):
        result = doctor("--base-url", url)
        found = endpoint_json(doctor("--base-url", url, "--json"))
    assert result.exit_code == 0, result.output
    assert "ignores a forced tool_choice" in cell(result.stdout, "function_calling")
    assert cell(result.stdout, "json_schema") == "works"
    assert 'structured_output = "json_schema"' in result.stdout
    modes = {m["mode"]: m for m in found["modes"]}
    assert not modes["function_calling"]["ok"] and "ignores a forced tool_choice" in modes["function_calling"]["detail"]
    assert modes["json_schema"]["ok"] and found["structured_output"] == "json_schema"
    assert found["cap"]["honoured"] is True and cell(result.stdout, "output cap honoured") == "yes (as max_tokens)"


def test_llama_server_without_jinja_refuses_tools():
    with personality_stub("llamacpp-server") as (_, url):
        found = endpoint_json(doctor("--base-url", url, "--json"))
        result = doctor("--base-url", url)
    assert result.exit_code == 0, result.output
    reason = cell(result.stdout, "function_calling")
    assert reason.startswith("no: HTTP 500") and "--jinja" in reason
    calling = found["modes"][0]
    assert calling["mode"] == "function_calling" and not calling["ok"]
    assert "HTTP 500" in calling["detail"] and "--jinja" in calling["detail"]
    assert found["structured_output"] == "json_schema"


def test_reasoning_model_cap_goes_out_as_max_completion_tokens():
    with personality_stub("openai", models="gpt-4o-mini,gpt-5-mini") as (_, url):
        found = endpoint_json(doctor("--base-url", url, "--model", "gpt-5-mini", "--json"))
    assert found["cap"]["field"] == "max_completion_tokens" and found["cap"]["honoured"] is True
    assert found["code"] == 0 and found["structured_output"]


def test_several_models_and_none_named_exits_2_listing_them():
    with start_stub(latency=0.0, models="a,b") as (_, url):
        result = doctor("--base-url", url)
        found = endpoint_json(doctor("--base-url", url, "--json"))
    assert result.exit_code == 2
    assert "serves: a, b" in flat(result.output) and "--model" in result.output
    assert "function_calling" not in result.stdout  # no modes probed without a model
    assert found["served"] == ["a", "b"] and found["modes"] == [] and found["code"] == 2
    assert "Traceback" not in result.output


def test_dead_server_exits_1_with_cannot_reach():
    url = closed_port_url()
    result = doctor("--base-url", url, "--model", "m")
    assert result.exit_code == 1
    assert cell(result.stdout, "reachable").startswith("unreachable: cannot reach")
    assert "cannot reach" in flat(result.stderr)
    found = endpoint_json(doctor("--base-url", url, "--model", "m", "--json"))
    assert found["reachable"] is False and found["code"] == 1 and "cannot reach" in found["problem"]


def test_nothing_configured_uses_the_embedded_model_without_probing():
    result = doctor("--json")
    assert result.exit_code == 0, result.output
    found = endpoint_json(result)
    assert found["backend"] == "local" and found["modes"] == [] and found["reachable"] is None
    text = doctor()
    assert text.exit_code == 0 and "needs no probe" in text.stdout


def test_config_endpoints_deduplicated_and_a_failing_pin_warned(tmp_path, stub):
    with personality_stub("ollama", models="llama3.1") as (_, ollama):
        config = tmp_path / "personagen.toml"
        config.write_text(f'[models.default]\nbase_url = "{stub}"\n[models.plausibility]\ntemperature = 0.3\n'
                          f'[models.emotion_fidelity]\nbackend = "openai-compatible"\nbase_url = "{ollama}"\n'
                          'structured_output = "function_calling"\n')
        data = json.loads(doctor("--config", str(config), "--json").stdout)
        result = doctor("--config", str(config))
    assert [e["entries"] for e in data["endpoints"]] == [["default", "plausibility"], ["emotion_fidelity"]]
    pinned = data["endpoints"][1]
    assert pinned["code"] == 0 and "is pinned" in pinned["warning"] and pinned["structured_output"] == "json_schema"
    assert data["exit_code"] == 0 and result.exit_code == 0, result.output
    assert "is pinned" in cell(result.stdout, "warning")


def test_openai_key_is_never_shown_nor_sent_to_another_server(stub):
    secret = "sk-test-secret"
    result = doctor("--base-url", stub, OPENAI_API_KEY=secret)
    as_json = doctor("--base-url", stub, "--json", OPENAI_API_KEY=secret)
    assert result.exit_code == 0 and as_json.exit_code == 0
    assert secret not in result.output and secret not in as_json.output
    assert secret not in fetch_stats(stub).get("credentials", [])


def test_a_scoped_key_shows_its_variable_not_its_value():
    secret = "sk-personagen-secret"
    with start_stub(latency=0.0, require_key=secret) as (_, url):
        result = doctor("--base-url", url, "--model", "stub", PERSONAGEN_API_KEY=secret)
        wrong = doctor("--base-url", url, "--model", "stub", PERSONAGEN_API_KEY="sk-wrong-secret")
    assert result.exit_code == 0, result.output
    assert "$PERSONAGEN_API_KEY" in result.stdout and secret not in result.output
    assert wrong.exit_code == 2 and "refused our credentials" in flat(wrong.output)
    assert "sk-wrong-secret" not in wrong.output


def test_a_model_writing_past_the_cap_shows_the_probes_finding():
    """The stub's model writes on until max_tokens cuts it (finish_reason "length", no reasoning): doctor shows the
    probe's finding, the words a run's probe note uses, in a row of its own and in --json."""
    with start_stub(latency=0.0, ramble=True) as (_, url):
        result = doctor("--base-url", url)
        found = endpoint_json(doctor("--base-url", url, "--json"))
    assert result.exit_code == 1, result.output
    assert all(cell(result.stdout, mode).startswith("no: the answer was cut off at the output cap")
               for mode in ("function_calling", "json_schema", "json_mode"))
    finding = cell(result.stdout, "finding")
    assert finding.startswith("the answers run past the output cap of 600 tokens without reasoning")
    assert found["finding"] == finding and "raise max_tokens" in finding
    assert "raise max_tokens in [models.default]" in flat(result.stderr)


def test_no_finding_when_the_answers_stop_on_their_own(stub):
    found = endpoint_json(doctor("--base-url", stub, "--json"))
    assert found["finding"] is None and "finding" not in doctor("--base-url", stub).stdout
