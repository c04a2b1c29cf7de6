"""Endpoint resolution: which URL, key and model a model entry gets (personagen/backends/endpoint.py)."""

from __future__ import annotations

import pytest

from personagen.backends.endpoint import (
    NO_KEY,
    backend_of,
    cap_field,
    choose_model,
    resolve,
    temperature_for,
)
from personagen.settings import ConfigError, ModelSettings, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "PERSONAGEN_API_KEY", "VLLM_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")


def test_the_openai_key_is_never_given_to_another_host():
    endpoint = resolve(ModelSettings(base_url="http://other-host/v1"), "openai-compatible")
    assert endpoint.api_key == NO_KEY and endpoint.key_env is None


def test_the_openai_key_follows_openai_base_url_the_sdks_own_convention(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "https://proxy.example/v1")
    s = ModelSettings()
    assert backend_of(s) == "openai"
    endpoint = resolve(s, "openai")
    assert endpoint.base_url == "https://proxy.example/v1" and endpoint.api_key == "sk-openai"
    assert resolve(ModelSettings(base_url="https://proxy.example/v1/"), "openai-compatible").api_key == "sk-openai"


def test_another_endpoint_gets_its_own_key_variable_then_personagen_api_key(monkeypatch):
    monkeypatch.setenv("VLLM_KEY", "vllm-secret")
    monkeypatch.setenv("PERSONAGEN_API_KEY", "pg-secret")
    own = resolve(ModelSettings(base_url="http://vllm/v1", api_key_env="VLLM_KEY"), "openai-compatible")
    shared = resolve(ModelSettings(base_url="http://vllm/v1"), "openai-compatible")
    assert (own.api_key, own.key_env) == ("vllm-secret", "VLLM_KEY")
    assert (shared.api_key, shared.key_env) == ("pg-secret", "PERSONAGEN_API_KEY")
    assert "secret" not in repr(own)


def test_a_named_key_variable_that_is_not_set_is_an_error():
    with pytest.raises(ConfigError, match=r"\$MISSING_KEY"):
        resolve(ModelSettings(base_url="http://vllm/v1", api_key_env="MISSING_KEY"), "openai-compatible")


def test_base_url_of_openai_itself_is_the_openai_backend():
    assert backend_of(ModelSettings(base_url="https://api.openai.com/v1")) == "openai"


def test_model_from_the_server_when_it_serves_exactly_one():
    endpoint = resolve(ModelSettings(base_url="http://ollama/v1"), "openai-compatible")
    assert choose_model(ModelSettings(), endpoint, ["llama3.1"]) == "llama3.1"
    with pytest.raises(ConfigError, match="it serves: a, b"):
        choose_model(ModelSettings(), endpoint, ["a", "b"])


def test_reasoning_models_get_no_temperature_and_their_cap_as_max_completion_tokens():
    endpoint = resolve(ModelSettings(base_url="http://gateway/v1"), "openai-compatible")
    assert temperature_for(ModelSettings(), "o4-mini", 0.9) is None
    assert temperature_for(ModelSettings(), "gpt-5-mini", 0.9) is None
    assert temperature_for(ModelSettings(), "gpt-5-chat-latest", 0.9) == 0.9
    assert temperature_for(ModelSettings(temperature="default"), "llama3.1", 0.9) is None
    assert cap_field(endpoint, "o3") == "max_completion_tokens" and cap_field(endpoint, "llama3.1") == "max_tokens"


def test_a_key_in_the_config_file_is_refused_without_echoing_it(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[models.default]\napi_key = "sk-live-very-secret"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(config)
    assert "sk-live-very-secret" not in str(err.value) and "api_key_env" in str(err.value)


def test_an_entry_with_its_own_backend_inherits_no_endpoint_from_the_default(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[models.default]\nbase_url = "http://vllm/v1"\nmodel = "qwen"\napi_key_env = "VLLM_KEY"\n'
                      'max_tokens = 300\n[models.emotion_fidelity]\nbackend = "openai"\n')
    judge = load_settings(config).model_for("emotion_fidelity")
    assert (judge.base_url, judge.model, judge.api_key_env) == (None, None, None)
    assert judge.max_tokens == 300  # what is not endpoint-specific is still inherited
