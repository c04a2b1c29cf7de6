"""What kind of model server an endpoint is, and how many requests it runs at once.

A local server runs few requests at once and queues the rest; a request that waits in its queue runs into the
client's timeout and is sent again (work nobody reads). So PersonaGen sends a server no more than it runs at once:
the rest wait in PersonaGen's own queue, where waiting is not a timeout. A `concurrency` the user set always wins.

How each server tells (from its docs and source):
- llama.cpp llama-server: GET /v1/models entries are `owned_by: "llamacpp"`; GET /props has `total_slots`, the
  requests it decodes at once (tools/server/README.md, "GET /props"; `-np`/`--parallel` sets it).
- Ollama: GET /api/version answers `{"version": ...}` (https://github.com/ollama/ollama/blob/main/docs/api.md,
  "Version"); its /v1/models entries are `owned_by: "library"` (openai/openai.go). It runs OLLAMA_NUM_PARALLEL
  requests per model at once, default 1, and queues the rest (https://docs.ollama.com/faq, "How does Ollama
  handle concurrent requests?"); the server does not report the setting, so 1 is assumed.
- LM Studio: GET /api/v0/models lists models with a `state` (https://lmstudio.ai/docs/app/api/endpoints/rest);
  "Max Concurrent Predictions" defaults to 4 (https://lmstudio.ai/docs/app/advanced/parallel-requests).
- Hugging Face TGI: GET /info has `max_concurrent_requests` (its OpenAPI spec, `Info`).
- vLLM (`owned_by: "vllm"`) and SGLang (`owned_by: "sglang"`) batch hundreds of sequences: no limit below ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from personagen.backends.endpoint import Endpoint, auth_headers

OWNERS = {"llamacpp": "llama-server", "vllm": "vllm", "sglang": "sglang", "library": "ollama",
          "organization_owner": "lmstudio"}
OLLAMA_DEFAULT_PARALLEL = 1
LMSTUDIO_DEFAULT_PARALLEL = 4


@dataclass(frozen=True)
class ServerKind:
    """The server behind an endpoint: its name (None: not known) and the requests it runs at once (None: many)."""

    name: str | None = None
    slots: int | None = None
    source: str = ""

    def note(self, limit: int) -> str:
        """One line for the trace when the server's own limit sizes the run's."""
        return (f"{self.name} runs {self.slots} request(s) at once ({self.source}): PersonaGen sends at most "
                f"{limit} at a time and queues the rest itself; set concurrency in [models.<name>] to change it")


def root_of(base_url: str) -> str:
    """The server's root: the base URL without its OpenAI path (/v1)."""
    url = base_url.rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url


def get_json(endpoint: Endpoint, path: str, timeout: float = 3.0) -> Any:
    """GET the server root's `path` as JSON; None for anything else (an error status, not JSON, no answer)."""
    try:
        response = httpx.get(root_of(endpoint.base_url) + path, headers=auth_headers(endpoint), timeout=timeout)
        return response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None


def positive(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def detect(endpoint: Endpoint, entries: list[dict[str, Any]] | None) -> ServerKind:
    """The kind of server (from its model list's `owned_by`, else from the endpoints only it has)."""
    if endpoint.home or endpoint.azure:
        return ServerKind("openai" if endpoint.home else "azure")
    owners = {str(e.get("owned_by")) for e in entries or [] if isinstance(e, dict)}
    named = next((OWNERS[o] for o in owners if o in OWNERS), None)
    if named in ("vllm", "sglang"):
        return ServerKind(named, None, "GET /models owned_by")
    if named in (None, "llama-server"):
        props = get_json(endpoint, "/props")
        if isinstance(props, dict) and "total_slots" in props:
            return ServerKind("llama-server", positive(props["total_slots"]), "GET /props total_slots")
    if named in (None, "ollama"):
        version = get_json(endpoint, "/api/version")
        if isinstance(version, dict) and "version" in version:
            return ServerKind("ollama", OLLAMA_DEFAULT_PARALLEL, "OLLAMA_NUM_PARALLEL's default")
    if named in (None, "lmstudio"):
        listed = get_json(endpoint, "/api/v0/models")
        if isinstance(listed, dict) and isinstance(listed.get("data"), list):
            return ServerKind("lmstudio", LMSTUDIO_DEFAULT_PARALLEL, "Max Concurrent Predictions' default")
    if named is None:
        info = get_json(endpoint, "/info")
        if isinstance(info, dict) and "max_concurrent_requests" in info:
            return ServerKind("tgi", positive(info["max_concurrent_requests"]), "GET /info max_concurrent_requests")
    return ServerKind(named)
