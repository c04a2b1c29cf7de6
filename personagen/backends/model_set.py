"""Builds each agent's model from the settings (multi-LLM), and starts the embedded model when nothing is set.

Which backend, which URL, which key and which model name: personagen/backends/endpoint.py. Structured output:
the embedded llama.cpp server uses function calling (measured, backends/llamacpp.py); any other endpoint is
probed once per (URL, model) unless the settings pin a mode (personagen/backends/probe.py), and the probe's
findings (the mode, a temperature the model rejects, how the output cap is named) are used and recorded.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import openai

from personagen.agents.llm import METHODS, ModelHandle
from personagen.backends.endpoint import (
    BackendUnavailable,
    Endpoint,
    backend_of,
    cap_field,
    choose_model,
    max_tokens_for,
    model_entries,
    refuses_parallel_tool_calls,
    resolve,
    served_models,
    temperature_for,
)
from personagen.backends.openai_compat import LeanChatOpenAI
from personagen.backends.probe import ProbeReport, no_mode_error, probe
from personagen.backends.probe_schemas import largest_schema
from personagen.backends.server_kind import ServerKind, detect
from personagen.batch.session import BatchSession
from personagen.settings import ConfigError, ModelSettings, Settings

__all__ = ["BackendUnavailable", "ModelSet", "async_client", "backend_of"]
LOCAL_DEMO_NOTE = ("Using the embedded offline demo model (Gemma 3 270M base, tiny: expect weak texts; its LLM "
                   "critics only advise, rule critics decide). For real data point at a real model with "
                   "--base-url/--model, OPENAI_API_KEY or a config file.")
DEFAULT_TEMPERATURE = 0.9
PROBE_TIMEOUT = 60.0
DEFAULT_LIMIT = 64  # calls in flight to one endpoint
BATCH_LIMIT = 50_000  # calls waiting for batches of one endpoint (a batch file holds at most 50,000)


def describe(endpoint: Endpoint, handle: ModelHandle, report: ProbeReport | None) -> dict[str, Any]:
    """What config.json records of a model: never the key (only the name of the variable it came from)."""
    described = {"backend": endpoint.backend, "model": handle.name, "base_url": endpoint.base_url,
                 "key_env": endpoint.key_env, "structured_output": handle.method}
    if report is not None:
        described["probe"] = report.as_dict()
    return described


def async_client(limit: int, timeout: float, proxy: str | None = None) -> httpx2.AsyncClient:
    """A connection pool of this run's own (LangChain's shared default outlives the event loop of one run).

    The openai client's aiohttp transport: httpx's own pool rescans every idle connection on each request,
    which at 64 connections cost ~2.5 ms CPU per model call (measured, docs/scaling.md). Through a proxy
    (OPENAI_PROXY), the SDK's httpx client, which takes one.
    """
    limits = httpx2.Limits(max_connections=limit, max_keepalive_connections=limit)
    if proxy:
        return openai.DefaultAsyncHttpxClient(timeout=timeout, limits=limits, proxy=proxy)
    return openai.DefaultAioHttpClient(timeout=timeout, limits=limits)


def proxy_for(endpoint: Endpoint) -> str | None:
    """OPENAI_PROXY (LangChain's variable), for any endpoint but one on this machine. ChatOpenAI reads it itself
    and then refuses a client of ours ("Cannot specify 'openai_proxy' if one of 'http_client'/'http_async_client'
    is already specified"), so it is handed to our clients instead."""
    host = urlsplit(endpoint.base_url).hostname or ""
    loopback = host == "localhost" or host.startswith("127.") or host == "::1"
    return None if loopback else os.environ.get("OPENAI_PROXY") or None


def cap_fields(endpoint: Endpoint, model: str, s: ModelSettings, adjust: dict[str, Any]) -> dict[str, Any]:
    """The output cap, and the name the server reads it by (ChatOpenAI's own is max_completion_tokens)."""
    return {"max_tokens": max_tokens_for(s, model, bool(adjust.get("thinking"))),
            "cap_field": adjust.get("cap_field", cap_field(endpoint, model))}


def make_chat(endpoint: Endpoint, model: str, s: ModelSettings, adjust: dict[str, Any],
              **client: Any) -> LeanChatOpenAI:
    """The chat model of an endpoint, with what the probe found (`adjust`) taken into account."""
    default_only = adjust.get("temperature") == "default"
    temperature = None if default_only else temperature_for(s, model, DEFAULT_TEMPERATURE)
    proxy = proxy_for(endpoint)
    if proxy:
        client.setdefault("http_client", openai.DefaultHttpxClient(proxy=proxy))
        client.setdefault("http_async_client", async_client(64, s.timeout or 120, proxy))
    disabled = {"parallel_tool_calls": None} if refuses_parallel_tool_calls(model) else None
    chat = LeanChatOpenAI(model=model, base_url=endpoint.base_url, api_key=endpoint.api_key,
                          temperature=temperature, seed=s.seed, reasoning_effort=s.reasoning_effort,
                          disabled_params=disabled,
                          openai_proxy=None, **cap_fields(endpoint, model, s, adjust), **client)
    if not endpoint.home:
        without_openai_ids(chat)
    return chat


def without_openai_ids(chat: LeanChatOpenAI) -> None:
    """Clear OpenAI's organisation and project ids, which the openai SDK (and ChatOpenAI) read from OPENAI_ORG_ID /
    OPENAI_PROJECT_ID by themselves: the clients send their headers only when set (`default_headers` of
    openai.OpenAI / AsyncOpenAI, public attributes `organization` and `project`)."""
    chat.openai_organization = None
    for sdk in (chat.root_client, chat.root_async_client):
        if sdk is not None:
            sdk.organization = None
            sdk.project = None


def make_handle(endpoint: Endpoint, model: str, s: ModelSettings, mode: str, chat: LeanChatOpenAI,
                limit: int = 64) -> ModelHandle:
    return ModelHandle(model, chat, mode, endpoint.backend, limit,
                       strict_tools=endpoint.backend == "openai" or endpoint.azure, constraints=not endpoint.azure)


def probe_endpoint(endpoint: Endpoint, model: str, s: ModelSettings, *, all_modes: bool = False,
                   timeout: float = PROBE_TIMEOUT, texts_per_emotion: int = 2) -> ProbeReport:
    """Which structured-output mode works on this endpoint (synchronous calls before the run; the probe itself
    retries 429/5xx and skips a mode that takes longer than `timeout`)."""
    timeout = min(s.timeout or timeout, timeout)

    def handle_for(mode: str, adjust: dict[str, Any]) -> ModelHandle:
        chat = make_chat(endpoint, model, s, adjust, timeout=timeout, max_retries=0)
        return make_handle(endpoint, model, s, mode, chat)

    modes = METHODS if s.structured_output in (None, "auto") else (s.structured_output,)
    return probe(handle_for, endpoint.base_url, model, modes, all_modes=all_modes, timeout=timeout,
                 large=largest_schema(texts_per_emotion))


class ModelSet:
    """The models of a run, one handle per `[models.<name>]` entry (plus default), looked up by agent name."""

    def __init__(self, settings: Settings, stack: ExitStack, on_note=lambda text: None) -> None:
        self.settings, self.stack, self.on_note = settings, stack, on_note
        self.handles: dict[str, ModelHandle] = {}
        self.described: dict[str, dict[str, Any]] = {}
        self.probes: dict[tuple, ProbeReport] = {}
        self._local = None
        self._clients: list[httpx2.AsyncClient] = []
        self.batch: BatchSession | None = None  # batch mode (personagen/batch/), when an entry asks for it

    def _client(self, limit: int, timeout: float, proxy: str | None = None) -> httpx2.AsyncClient:
        client = async_client(limit, timeout, proxy)
        self._clients.append(client)
        return client

    async def aclose(self) -> None:
        """Close the HTTP pools; call at the end of the event loop that used them."""
        for client in self._clients:
            await client.aclose()
        self._clients.clear()
        if self.batch is not None:
            await self.batch.aclose()

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
            if s.batch:
                raise ConfigError(f"[models.{key}] batch = true: the embedded model has no Batch API; batch mode "
                                  "needs a server with OpenAI's Batch API (OpenAI, Azure OpenAI, Groq, Together)")
            handle = self._local_handle(s)
            self.described[key] = {"backend": "local", "model": handle.name, "structured_output": handle.method}
            return handle
        endpoint = resolve(s, backend)
        entries = model_entries(endpoint)
        model = choose_model(s, endpoint, served_models(endpoint, entries=entries))
        report = self._probe(endpoint, model, s)
        mode = report.chosen or self._pinned(s, report)
        limit, timeout = self._limit(s, detect(endpoint, entries)), s.timeout or 120
        if s.batch:
            limit, client = BATCH_LIMIT, self._batch_client(key, endpoint, model, timeout)
        else:
            client = self._client(limit, timeout, proxy_for(endpoint))
        chat = make_chat(endpoint, model, s, report.adjust, timeout=timeout,
                         max_retries=6 if s.max_retries is None else s.max_retries, http_async_client=client)
        handle = make_handle(endpoint, model, s, mode, chat, limit)
        self.described[key] = describe(endpoint, handle, report) | ({"batch": True} if s.batch else {})
        return handle

    def _batch_client(self, key: str, endpoint: Endpoint, model: str, timeout: float) -> httpx2.AsyncClient:
        """An HTTP client whose chat completions are answered from batches (personagen/batch/)."""
        if self.batch is None:
            b = self.settings.batch
            self.batch = BatchSession(b.window_s, b.poll_s, b.max_requests, self.on_note)
        transport = self.batch.transport(key, endpoint.base_url, endpoint.api_key, model, timeout)
        client = httpx2.AsyncClient(transport=transport, timeout=None)
        self._clients.append(client)
        return client

    def _limit(self, s: ModelSettings, server: ServerKind) -> int:
        """Calls in flight to this endpoint: the user's `concurrency`; else as many as the server runs at once (the
        rest wait in our queue, not in the server's, where they would time out and be sent again); else 64."""
        if s.concurrency or not server.slots:
            return s.concurrency or DEFAULT_LIMIT
        limit = min(server.slots, DEFAULT_LIMIT)
        self.on_note(server.note(limit))
        return limit

    def _pinned(self, s: ModelSettings, report: ProbeReport) -> str:
        """A mode the user pinned is used even when its probe failed (early stop catches a mode that never works);
        with nothing pinned and nothing working, the run cannot start."""
        if s.structured_output in (None, "auto"):
            raise no_mode_error(report)
        self.on_note(f"structured_output = \"{s.structured_output}\" is pinned: used although the probe failed "
                     "(answers in content are still read)")
        return s.structured_output

    def _probe(self, endpoint: Endpoint, model: str, s: ModelSettings) -> ProbeReport:
        """The probe of (URL, model, pinned mode), asked once per run; shown as a note."""
        cache_key = (endpoint.base_url, model, s.structured_output, s.temperature, s.reasoning_effort)
        if cache_key not in self.probes:
            report = self.probes[cache_key] = probe_endpoint(
                endpoint, model, s, timeout=self.settings.limits.probe_timeout_s,
                texts_per_emotion=self.settings.run.texts_per_emotion)
            self.on_note(report.line())
        return self.probes[cache_key]

    def _local_handle(self, s: ModelSettings) -> ModelHandle:
        from personagen.backends.llamacpp import STRUCTURED_METHOD
        from personagen.backends.local_server import LocalModelServer

        if self._local is None:
            self.on_note(LOCAL_DEMO_NOTE)
            server = LocalModelServer(model_path=Path(s.model_path) if s.model_path else None)
            self._local = self.stack.enter_context(server)
        chat = self._local.chat(temperature=0.8 if s.temperature in (None, "default") else s.temperature,
                                max_tokens=s.max_tokens or 200, seed=s.seed)
        # the server answers one request at a time: more in flight only queue up
        return ModelHandle(self._local.model_name, chat, STRUCTURED_METHOD, "local", s.concurrency or 1)

    def preload(self, agents: list[str]) -> None:
        """Build every agent's model now, so that configuration errors show before the run starts."""
        for agent in agents:
            self.for_agent(agent)
