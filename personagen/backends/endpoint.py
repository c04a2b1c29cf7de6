"""Where a model entry's requests go, with which key, and which model they name: resolved once, used by all.

Keys go only where they belong. `OPENAI_API_KEY` is sent only to OpenAI's endpoint: api.openai.com, or the URL in
`OPENAI_BASE_URL` (the openai SDK's own convention for moving it). Any other endpoint gets the key in the variable
its `api_key_env` names, else `PERSONAGEN_API_KEY`, else no key at all (a placeholder the SDK insists on; servers
without authentication ignore it). The start-up check and the SDK use the same resolved URL and key. The key
follows the URL, never the `backend` label. OpenAI's organisation and project ids (which the openai SDK reads
from OPENAI_ORG_ID / OPENAI_PROJECT_ID by itself) likewise go only to OpenAI's endpoint (`Endpoint.home`).

The model name: as configured; else `gpt-4o-mini` on OpenAI; else the one model the server lists at `GET /models`
(vLLM, Ollama, llama-server and LM Studio all list what they serve); several or none: the user must choose.
Reasoning models (OpenAI's o-series and the gpt-5 family, except the chat variants) reject a non-default
temperature and count their reasoning in the output cap: https://platform.openai.com/docs/guides/reasoning
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from personagen.errors import RunFailure
from personagen.settings import ConfigError, ModelSettings

OPENAI_URL = "https://api.openai.com/v1"
OPENAI_HOST = "api.openai.com"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
NO_KEY = "no-key"  # sent to servers that have no key of ours: never another endpoint's key
DEFAULT_MAX_TOKENS = 600
REASONING_MAX_TOKENS = 8000  # reasoning tokens count in the cap (gpt-5, o-series)
REASONING_MODEL = re.compile(r"^(o\d|gpt-5)(?!.*chat)", re.IGNORECASE)
# Thinking models served elsewhere, whose reasoning also spends the output cap: deepseek-reasoner
# (https://api-docs.deepseek.com/guides/reasoning_model), Gemini 2.5 and later ("thinking is on by default",
# https://ai.google.dev/gemini-api/docs/thinking), Qwen3 / QwQ, gpt-oss and DeepSeek-R1 (and its distills) on
# Ollama, vLLM, llama-server, SGLang, and OpenAI's reasoning models by OpenRouter id (openai/gpt-5, openai/o3).
THINKING_MODEL = re.compile(r"deepseek-reasoner|gemini-(2\.5|[3-9])|qwen3|qwq|gpt-oss|magistral|"
                            r"(^|[-_/:.])r1([-_/:.]|$)|^openai/(o\d|gpt-5(?!.*chat))", re.IGNORECASE)
# o1, o3 and o4-mini answer 400 "Unsupported parameter: 'parallel_tool_calls'" (langchain-ai/langchain#29704,
# langchain-ai/langgraph-supervisor-py#125, evalstate/fast-agent#279 quote the API's error)
NO_PARALLEL_TOOL_CALLS = re.compile(r"^(openai/)?(o1|o3|o4-mini)", re.IGNORECASE)


class BackendUnavailable(RunFailure, RuntimeError):
    """The model server cannot be reached: nothing was started or written."""


@dataclass(frozen=True)
class Endpoint:
    """A resolved endpoint: URL, backend kind and key (never printed: `repr` hides it)."""

    backend: str
    base_url: str
    api_key: str = field(repr=False)
    key_env: str | None = None  # the variable the key came from (recorded in config.json; the value never is)

    @property
    def home(self) -> bool:
        """OpenAI's own endpoint: the only one that gets OpenAI's organisation and project headers."""
        return is_openai_url(self.base_url)

    @property
    def azure(self) -> bool:
        host = urlsplit(self.base_url).hostname or ""
        return host.endswith((".azure.com", ".azure-api.net"))


def norm_url(url: str | None) -> str:
    return (url or "").strip().rstrip("/").lower()


def openai_base_url() -> str:
    """OpenAI's endpoint as the openai SDK sees it (OPENAI_BASE_URL moves it)."""
    return os.environ.get("OPENAI_BASE_URL") or OPENAI_URL


def is_openai_url(url: str | None) -> bool:
    return urlsplit(url or "").hostname == OPENAI_HOST or norm_url(url) == norm_url(os.environ.get("OPENAI_BASE_URL"))


def backend_of(s: ModelSettings) -> str:
    """An explicit `backend`; else openai for OpenAI's URL, openai-compatible for another URL; else openai when
    its key is set; else the embedded local model."""
    if s.backend:
        return s.backend
    if s.base_url:
        return "openai" if is_openai_url(s.base_url) else "openai-compatible"
    if os.environ.get(s.api_key_env or "OPENAI_API_KEY"):
        return "openai"
    return "local"


def key_from(env: str | None) -> tuple[str | None, str | None]:
    value = os.environ.get(env) if env else None
    return (value, env) if value else (None, None)


def resolve(s: ModelSettings, backend: str) -> Endpoint:
    """The endpoint of a model entry, with the key that belongs to it.

    The key follows the URL, never the `backend` label: `OPENAI_API_KEY` goes only to OpenAI's own endpoint
    (api.openai.com or `OPENAI_BASE_URL`), whether the URL came from the config, the command line or both, and
    whichever entry names it. An entry with `backend = "openai"` and another host's URL is that host's: it gets the
    key its `api_key_env` names, else `PERSONAGEN_API_KEY`, else none.
    """
    url = s.base_url or (openai_base_url() if backend == "openai" else None)
    if not url:
        raise ConfigError("backend 'openai-compatible' needs a base_url (--base-url or base_url in the config)")
    if s.api_key_env and not os.environ.get(s.api_key_env):
        raise ConfigError(f"api_key_env names ${s.api_key_env}, which is not set: export it, or remove api_key_env")
    if backend == "openai" and is_openai_url(url):
        env = s.api_key_env or "OPENAI_API_KEY"
        key, _ = key_from(env)
        if not key:
            raise ConfigError(f"backend 'openai' needs an API key in ${env}")
        return Endpoint("openai", url, key, env)
    key, env = key_from(s.api_key_env)
    if key is None:
        key, env = key_from("PERSONAGEN_API_KEY")
    if key is None and is_openai_url(url):
        key, env = key_from("OPENAI_API_KEY")
    return Endpoint(backend, url, key or NO_KEY, env)


def auth_headers(endpoint: Endpoint) -> dict[str, str]:
    return {"Authorization": f"Bearer {endpoint.api_key}"} if endpoint.api_key != NO_KEY else {}


def model_entries(endpoint: Endpoint, timeout: float = 5.0) -> list[dict[str, Any]] | None:
    """The entries the server lists at GET /models (None when it lists nothing readable). A dead server raises
    BackendUnavailable; any HTTP answer (even 401 or 404) counts as alive."""
    url = endpoint.base_url.rstrip("/") + "/models"
    try:
        response = httpx.get(url, headers=auth_headers(endpoint), timeout=timeout)
    except httpx.HTTPError as exc:
        raise BackendUnavailable(
            f"cannot reach the model server at {endpoint.base_url} ({type(exc).__name__}: {exc}). "
            "Is it running? Check --base-url, or leave it unset to use the embedded local model."
        ) from None
    try:
        data = response.json().get("data") if response.status_code == 200 else None
        return [m for m in data if isinstance(m, dict) and "id" in m] if isinstance(data, list) else None
    except (ValueError, AttributeError):
        return None


def served_models(endpoint: Endpoint, timeout: float = 5.0, entries: list[dict[str, Any]] | None = None
                  ) -> list[str] | None:
    """The model ids the server lists at GET /models (`entries`: already fetched)."""
    entries = model_entries(endpoint, timeout) if entries is None else entries
    return None if entries is None else [str(m["id"]) for m in entries]


def choose_model(s: ModelSettings, endpoint: Endpoint, served: list[str] | None) -> str:
    """The configured model, else OpenAI's default, else the server's only model; else a ConfigError listing them."""
    if s.model:
        return s.model
    if endpoint.backend == "openai" and endpoint.home:
        return DEFAULT_OPENAI_MODEL
    if endpoint.azure:  # GET /models lists the base models, not the deployments requests must name
        raise ConfigError(f"{endpoint.base_url} is Azure OpenAI: name your deployment with --model (or model = "
                          "\"...\" in [models.default]); its model list shows base models, not deployments")
    if served and len(served) == 1:
        return served[0]
    listing = f"it serves: {', '.join(served)}" if served else "it lists no models at GET /models"
    raise ConfigError(f"no model named for {endpoint.base_url}, and {listing}. Choose one with --model "
                      "(or model = \"...\" in [models.default])")


def is_reasoning_model(model: str) -> bool:
    return bool(REASONING_MODEL.match(model))


def temperature_for(s: ModelSettings, model: str, default: float) -> float | None:
    """The temperature to send: None sends none (the model's default), for `"default"` and reasoning models."""
    if s.temperature == "default" or (s.temperature is None and is_reasoning_model(model)):
        return None
    return default if s.temperature is None else float(s.temperature)


def is_thinking_model(model: str) -> bool:
    """A model whose reasoning counts in the output cap, by its name (the probe also finds it by its answers)."""
    return is_reasoning_model(model) or bool(THINKING_MODEL.search(model))


def max_tokens_for(s: ModelSettings, model: str, thinking: bool = False) -> int:
    """The output cap: the configured one; else one that holds a thinking model's reasoning; else 600."""
    return s.max_tokens or (REASONING_MAX_TOKENS if thinking or is_thinking_model(model) else DEFAULT_MAX_TOKENS)


def refuses_parallel_tool_calls(model: str) -> bool:
    return bool(NO_PARALLEL_TOOL_CALLS.match(model))


def cap_field(endpoint: Endpoint, model: str) -> str:
    """How the output cap is sent: OpenAI (and Azure) read max_completion_tokens, which their reasoning models
    require wherever they are served; other servers get max_tokens, which every one of them reads: Ollama ignores
    max_completion_tokens (https://docs.ollama.com/api/openai-compatibility), LM Studio does not document it
    (https://lmstudio.ai/docs/app/api/endpoints/openai), llama-server and vLLM read both."""
    openai_like = endpoint.backend == "openai" or endpoint.azure or is_reasoning_model(model)
    return "max_completion_tokens" if openai_like else "max_tokens"
