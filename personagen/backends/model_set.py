"""Builds each agent's model from the settings (multi-LLM), and starts the embedded model when nothing is set.

Which backend: an explicit `backend`, else `openai-compatible` when a `base_url` is set, else `openai` when
OPENAI_API_KEY (or the entry's `api_key_env`) is set, else `local` (the embedded llama.cpp server).
Structured output per backend: OpenAI json_schema; llama.cpp its own method; other servers function calling
(vLLM, Ollama, LM Studio all support it), unless the settings say otherwise.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import httpx2
import openai

from personagen.agents.llm import ModelHandle
from personagen.backends.openai_compat import LeanChatOpenAI
from personagen.settings import ConfigError, ModelSettings, Settings

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
LOCAL_DEMO_NOTE = ("Using the embedded offline demo model (Gemma 3 270M base, tiny: expect weak texts; its LLM "
                   "critics only advise, rule critics decide). For real data point at a real model with "
                   "--base-url/--model, OPENAI_API_KEY or a config file.")


def backend_of(s: ModelSettings) -> str:
    if s.backend:
        return s.backend
    if s.base_url:
        return "openai-compatible"
    if os.environ.get(s.api_key_env or "OPENAI_API_KEY"):
        return "openai"
    return "local"


def api_key(s: ModelSettings, backend: str) -> str:
    env = s.api_key_env or "OPENAI_API_KEY"
    key = os.environ.get(env)
    if backend == "openai" and not key:
        raise ConfigError(f"backend 'openai' needs an API key in ${env}")
    return key or "not-needed"


def describe(s: ModelSettings, backend: str, name: str) -> dict[str, Any]:
    """What config.json records of a model: never the key."""
    return {"backend": backend, "model": name, "base_url": s.base_url}


def async_client(limit: int, timeout: float) -> httpx2.AsyncClient:
    """A connection pool of this run's own (LangChain's shared default outlives the event loop of one run).

    The openai client's aiohttp transport: httpx's own pool rescans every idle connection on each request,
    which at 64 connections cost ~2.5 ms CPU per model call (measured, docs/scaling.md).
    """
    limits = httpx2.Limits(max_connections=limit, max_keepalive_connections=limit)
    return openai.DefaultAioHttpClient(timeout=timeout, limits=limits)


class BackendUnavailable(RuntimeError):
    """The model server cannot be reached: nothing was started or written."""


def check_reachable(base_url: str | None, timeout: float = 5.0) -> None:
    """Fail fast on a dead server: any HTTP answer from {base_url}/models counts as alive (even 401/404)."""
    url = (base_url or "https://api.openai.com/v1").rstrip("/") + "/models"
    try:
        httpx.get(url, timeout=timeout)
    except httpx.HTTPError as exc:
        raise BackendUnavailable(
            f"cannot reach the model server at {base_url or 'api.openai.com'} ({type(exc).__name__}: {exc}). "
            "Is it running? Check --base-url, or leave it unset to use the embedded local model."
        ) from None


class ModelSet:
    """The models of a run, one handle per `[models.<name>]` entry (plus default), looked up by agent name."""

    def __init__(self, settings: Settings, stack: ExitStack, on_note=lambda text: None) -> None:
        self.settings, self.stack, self.on_note = settings, stack, on_note
        self.handles: dict[str, ModelHandle] = {}
        self.described: dict[str, dict[str, Any]] = {}
        self._local = None
        self._clients: list[httpx2.AsyncClient] = []

    def _client(self, limit: int, timeout: float) -> httpx2.AsyncClient:
        client = async_client(limit, timeout)
        self._clients.append(client)
        return client

    async def aclose(self) -> None:
        """Close the HTTP pools; call at the end of the event loop that used them."""
        for client in self._clients:
            await client.aclose()
        self._clients.clear()

    def for_agent(self, agent: str) -> ModelHandle:
        name = agent.removeprefix("critic:")
        if name not in self.handles:
            key = name if name in self.settings.models else "default"
            self.handles[name] = self.handles.get(key) or self._build(key)
            self.handles[key] = self.handles[name]
        return self.handles[name]

    def _build(self, key: str) -> ModelHandle:
        s = self.settings.model_for(key)
        backend = backend_of(s)
        if backend == "local":
            handle = self._local_handle(s)
        else:
            check_reachable(s.base_url)
            model = s.model or DEFAULT_OPENAI_MODEL
            limit = s.concurrency or 64
            chat = LeanChatOpenAI(model=model, base_url=s.base_url, api_key=api_key(s, backend),
                                  temperature=0.9 if s.temperature is None else s.temperature,
                                  max_tokens=s.max_tokens or 600, timeout=s.timeout or 120,
                                  max_retries=6 if s.max_retries is None else s.max_retries,
                                  http_async_client=self._client(limit, s.timeout or 120))
            method = s.structured_output or ("json_schema" if backend == "openai" else "function_calling")
            handle = ModelHandle(model, chat, method, backend, limit)
        self.described[key] = describe(s, backend, handle.name)
        return handle

    def _local_handle(self, s: ModelSettings) -> ModelHandle:
        from personagen.backends.llamacpp import STRUCTURED_METHOD
        from personagen.backends.local_server import LocalModelServer

        if self._local is None:
            self.on_note(LOCAL_DEMO_NOTE)
            server = LocalModelServer(model_path=Path(s.model_path) if s.model_path else None)
            self._local = self.stack.enter_context(server)
        chat = self._local.chat(temperature=0.8 if s.temperature is None else s.temperature,
                                max_tokens=s.max_tokens or 200)
        # the server answers one request at a time: more in flight only queue up
        return ModelHandle(self._local.model_name, chat, STRUCTURED_METHOD, "local", s.concurrency or 1)

    def preload(self, agents: list[str]) -> None:
        """Build every agent's model now, so that configuration errors show before the run starts."""
        for agent in agents:
            self.for_agent(agent)
