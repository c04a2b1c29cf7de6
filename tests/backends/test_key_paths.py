"""OpenAI's key and its organisation/project headers reach only OpenAI's endpoint, on every path a URL can arrive
by (the config, the command line, both, a per-agent entry), whatever `backend` says. The stub records every
credential header it receives (Authorization, api-key, OpenAI-Organization, OpenAI-Project; bench/stub_server.py),
on the model list (GET /models) as well as on chat requests."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bench.stub_process import fetch_stats, start_stub
from personagen.backends.endpoint import Endpoint, served_models
from personagen.cli import app

runner = CliRunner()
OPENAI_KEY, ORG, PROJECT = "sk-openai-must-stay-home", "org-must-stay-home", "proj_must_stay_home"


@pytest.fixture(autouse=True)
def openai_environment(monkeypatch):
    """Everything the openai SDK reads from the environment by itself."""
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("OPENAI_ORG_ID", ORG)
    monkeypatch.setenv("OPENAI_PROJECT_ID", PROJECT)
    for name in ("OPENAI_BASE_URL", "PERSONAGEN_API_KEY", "OPENAI_ORGANIZATION"):
        monkeypatch.delenv(name, raising=False)


def run_with(tmp_path, config: str | None, *cli: str) -> tuple[object, dict]:
    """`personagen run -n 1` on a stub whose URL is put where `config`/`cli` say ({url}): (result, stub stats)."""
    with start_stub(latency=0.0, models="stub") as (_, url):
        args = ["run", "-n", "1", "-e", "joy", "-k", "1", "--runs-dir", str(tmp_path), "--run-id", "r", "--json", "-q",
                *(a.format(url=url) for a in cli)]
        if config is not None:
            path = tmp_path / "c.toml"
            path.write_text(config.format(url=url))
            args += ["--config", str(path)]
        result = runner.invoke(app, args)
        return result, fetch_stats(url)


def assert_nothing_of_openais_was_sent(result, stats) -> None:
    assert result.exit_code == 0, result.output
    assert stats["requests"] > 0  # the run really talked to the stub
    seen = json.dumps(stats["credentials"])
    assert OPENAI_KEY not in seen and ORG not in seen and PROJECT not in seen


def test_default_entry_with_backend_openai_and_a_base_url(tmp_path):
    result, stats = run_with(tmp_path, '[models.default]\nbackend = "openai"\nbase_url = "{url}"\n')
    assert_nothing_of_openais_was_sent(result, stats)


def test_config_backend_openai_plus_base_url_on_the_command_line(tmp_path):
    result, stats = run_with(tmp_path, '[models.default]\nbackend = "openai"\n', "--base-url", "{url}")
    assert_nothing_of_openais_was_sent(result, stats)


def test_a_per_agent_entry_with_backend_openai_and_its_own_base_url(tmp_path):
    config = '[models.default]\nbase_url = "{url}"\n[models.emotion_writer]\nbackend = "openai"\nbase_url = "{url}"\n'
    result, stats = run_with(tmp_path, config)
    assert_nothing_of_openais_was_sent(result, stats)
    described = json.loads((tmp_path / "r" / "config.json").read_text())["models"]["emotion_writer"]
    assert described["backend"] == "openai" and described["key_env"] is None


def test_plain_base_url(tmp_path):
    result, stats = run_with(tmp_path, None, "--base-url", "{url}")
    assert_nothing_of_openais_was_sent(result, stats)


def test_the_stub_sees_the_key_and_the_org_when_it_is_openais_endpoint(tmp_path, monkeypatch):
    """The other half: with the stub as OPENAI_BASE_URL (OpenAI's endpoint moved, the SDK's convention) the key and
    the organisation/project headers go to it, so the assertions above can fail."""
    with start_stub(latency=0.0, models="stub") as (_, url):
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        result = runner.invoke(app, ["run", "-n", "1", "-e", "joy", "-k", "1", "--runs-dir", str(tmp_path),
                                     "--model", "stub", "--json", "-q"])
        stats = fetch_stats(url)
    assert result.exit_code == 0, result.output
    assert {OPENAI_KEY, ORG, PROJECT} <= set(stats["credentials"])


def test_the_model_list_request_carries_only_the_endpoints_own_key():
    with start_stub(latency=0.0, models="a,b") as (_, url):
        assert served_models(Endpoint("openai", url, "server-key")) == ["a", "b"]
        stats = fetch_stats(url)
    assert stats["credentials"] == ["server-key"]


def test_openai_proxy_does_not_break_model_set_up(tmp_path, monkeypatch):
    """ChatOpenAI reads OPENAI_PROXY itself and then refuses our HTTP clients; the proxy is handed to our clients
    instead, and never used for a server on this machine."""
    from personagen.backends.model_set import proxy_for

    monkeypatch.setenv("OPENAI_PROXY", "http://127.0.0.1:9")  # nothing listens there
    result, stats = run_with(tmp_path, None, "--base-url", "{url}")
    assert result.exit_code == 0, result.output
    assert proxy_for(Endpoint("openai", "https://api.openai.com/v1", "k")) == "http://127.0.0.1:9"
    assert proxy_for(Endpoint("openai-compatible", "http://localhost:8080/v1", "k")) is None


def test_azure_needs_the_deployment_named():
    from personagen.backends.endpoint import choose_model
    from personagen.settings import ConfigError, ModelSettings

    azure = Endpoint("openai-compatible", "https://res.openai.azure.com/openai/v1", "k")
    with pytest.raises(ConfigError, match="name your deployment with --model"):
        choose_model(ModelSettings(), azure, ["gpt-4o-mini"])
    assert choose_model(ModelSettings(model="my-deployment"), azure, ["gpt-4o-mini"]) == "my-deployment"
