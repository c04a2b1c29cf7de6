"""ChatOpenAI for high-throughput OpenAI-compatible endpoints: the same requests, less client CPU per call.

The openai SDK walks every request body through its TypedDict annotations (`_transform`) before sending it:
for a tool-calling request with a few messages that costs ~2.4 ms of CPU per call (cProfile, docs/scaling.md),
the biggest single item on PersonaGen's hot path. LangChain has already built plain JSON-ready dicts for the
messages and tools, so `LeanChatOpenAI` hands them to the SDK as `extra_body`, which it merges into the
request body as they are. The bytes on the wire are the same. `response_format` travels the same way, so a
JSON-mode request takes the SDK's plain `create` path (not `parse`, which raises on a truncated answer: we read
the finish reason ourselves, agents/answers.py).

The output cap goes out as the server reads it (`cap_field`): ChatOpenAI always sends `max_completion_tokens`,
which OpenAI requires for reasoning models; Ollama and llama-server read only `max_tokens`
(personagen/backends/endpoint.py cites their docs).
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import LanguageModelInput
from langchain_openai import ChatOpenAI

PASSED_THROUGH = ("messages", "tools", "tool_choice", "response_format")


def lean_payload(payload: dict[str, Any], cap_field: str = "max_completion_tokens") -> dict[str, Any]:
    """Move the bulky, already-serialised fields into extra_body (merged into the request body verbatim), and
    name the output cap as `cap_field`."""
    if response_format_is_a_type(payload):
        return payload
    cap = payload.pop("max_completion_tokens", None) or payload.pop("max_tokens", None)
    if cap is not None:
        payload[cap_field] = cap
    moved = {key: payload.pop(key) for key in PASSED_THROUGH if key in payload}
    payload["extra_body"] = {**moved, **(payload.get("extra_body") or {})}
    payload["messages"] = []  # required by the SDK's signature; replaced by extra_body's messages
    return payload


def response_format_is_a_type(payload: dict[str, Any]) -> bool:
    """A pydantic class as response_format needs the SDK's own `parse` path."""
    return isinstance(payload.get("response_format"), type)


class LeanChatOpenAI(ChatOpenAI):
    """ChatOpenAI whose requests skip the SDK's per-call body transform (see the module docstring)."""

    cap_field: str = "max_completion_tokens"

    def _get_request_payload(self, input_: LanguageModelInput, *, stop: list[str] | None = None,
                             **kwargs: Any) -> dict:
        payload = super()._get_request_payload(input_, stop=stop, **kwargs)
        if "messages" in payload and not payload.get("stream"):
            return lean_payload(payload, self.cap_field)
        return payload
