"""ChatOpenAI for high-throughput OpenAI-compatible endpoints: the same requests, less client CPU per call.

The openai SDK walks every request body through its TypedDict annotations (`_transform`) before sending it:
for a tool-calling request with a few messages that costs ~2.4 ms of CPU per call (cProfile, docs/scaling.md),
the biggest single item on PersonaGen's hot path. LangChain has already built plain JSON-ready dicts for the
messages and tools, so `LeanChatOpenAI` hands them to the SDK as `extra_body`, which it merges into the
request body as they are. The bytes on the wire are the same. `response_format` travels the same way, so a
JSON-mode request takes the SDK's plain `create` path (not `parse`, which raises on a truncated answer: we read
the finish reason ourselves, agents/answers.py).

Every optional field goes the same way (temperature, the cap, `parallel_tool_calls`, ...): the SDK then transforms
nothing but `model`. The SDK's own keyword arguments (`stream`, `timeout`, `extra_headers`, ...) stay.

A plain (non-streaming, chat completions) call also skips two per-call costs of LangChain's generic path
(profiled in docs/benchmarks.md): `inspect.signature(self._agenerate)` in langchain_core's `_agenerate_with_cache`
(our `_agenerate` carries a precomputed `__signature__`), and the default-executor thread hop langchain_openai
takes to build the ChatResult (`_create_chat_result` runs inline: a few microseconds of dict reading).

The output cap goes out as the server reads it (`cap_field`): ChatOpenAI always sends `max_completion_tokens`,
which OpenAI requires for reasoning models; Ollama and llama-server read only `max_tokens`
(personagen/backends/endpoint.py cites their docs).
"""

from __future__ import annotations

import inspect
from typing import Any

import openai
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult
from langchain_openai import ChatOpenAI
from langchain_openai.chat_models.base import (
    _add_gateway_metadata,
    _handle_openai_api_error,
    _handle_openai_bad_request,
)

# the SDK's own arguments of `chat.completions.create` (not body fields): they stay where they are
SDK_ARGUMENTS = ("model", "stream", "stream_options", "timeout", "extra_headers", "extra_query", "extra_body")


def lean_payload(payload: dict[str, Any], cap_field: str = "max_completion_tokens") -> dict[str, Any]:
    """Move the bulky, already-serialised fields into extra_body (merged into the request body verbatim), and
    name the output cap as `cap_field`."""
    if response_format_is_a_type(payload):
        return payload
    cap = payload.pop("max_completion_tokens", None) or payload.pop("max_tokens", None)
    if cap is not None:
        payload[cap_field] = cap
    moved = {key: payload.pop(key) for key in list(payload) if key not in SDK_ARGUMENTS}
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

    async def _agenerate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                         run_manager: AsyncCallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        """langchain_openai's chat-completions path, with the ChatResult built inline (see the module docstring);
        anything else (a pydantic response_format, the Responses API) takes ChatOpenAI's own path."""
        payload = self._get_request_payload(messages, stop=stop, **kwargs)
        if "extra_body" not in payload or "response_format" in payload or self._use_responses_api(payload):
            return await super()._agenerate(messages, stop=stop, run_manager=run_manager, **kwargs)
        raw_response, response = await plain_create(self.async_client, payload)
        generation_info = {"headers": dict(raw_response.headers)} if self.include_response_headers else {}
        _add_gateway_metadata(generation_info, raw_response)
        return self._create_chat_result(response, generation_info)

    _agenerate.__signature__ = inspect.signature(_agenerate)  # read per call by langchain_core


async def plain_create(completions: Any, payload: dict[str, Any]) -> tuple[Any, Any]:
    """(raw response, parsed completion) of `completions.with_raw_response.create(**payload)`, its errors raised as
    ChatOpenAI raises them."""
    raw_response = None
    try:
        raw_response = await completions.with_raw_response.create(**payload)
        return raw_response, raw_response.parse()
    except openai.BadRequestError as e:
        _handle_openai_bad_request(e)
        raise
    except openai.APIError as e:
        _handle_openai_api_error(e)
        raise
    except Exception as e:
        if raw_response is not None and hasattr(raw_response, "http_response"):
            e.response = raw_response.http_response  # type: ignore[attr-defined]
        raise
