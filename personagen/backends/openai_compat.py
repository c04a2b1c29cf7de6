"""ChatOpenAI for high-throughput OpenAI-compatible endpoints: the same requests, less client CPU per call.

The openai SDK walks every request body through its TypedDict annotations (`_transform`) before sending it:
for a tool-calling request with a few messages that costs ~2.4 ms of CPU per call (cProfile, docs/scaling.md),
the biggest single item on PersonaGen's hot path. LangChain has already built plain JSON-ready dicts for the
messages and tools, so `LeanChatOpenAI` hands them to the SDK as `extra_body`, which it merges into the
request body as they are. The bytes on the wire are the same. `response_format` travels the same way, so a
JSON-mode request takes the SDK's plain `create` path (not `parse`, which raises on a truncated answer: we read
the finish reason ourselves, agents/answers.py).

Every optional field goes the same way (temperature, the cap, `parallel_tool_calls`, ...). Even so `create` walks
its ~40 parameters through the transform (~0.19 ms per call), so a plain call skips `create` too: the same body
and request options go through the client's public `post` (`plain_create`), and the answer's JSON is read as a
dict shaped like the ChatCompletion's dump that `_create_chat_result` would make (`sdk_shaped`; building and
dumping that model cost ~0.16 ms per call), so the message is ChatOpenAI's. The SDK's own keyword arguments
(`stream`, `timeout`, `extra_headers`, ...) stay request options.

A plain (non-streaming, chat completions) call also skips two per-call costs of LangChain's generic path
(profiled in docs/benchmarks.md): `inspect.signature(self._agenerate)` in langchain_core's `_agenerate_with_cache`
(our `_agenerate` carries a precomputed `__signature__`), and the default-executor thread hop langchain_openai
takes to build the ChatResult (`_create_chat_result` runs inline: a few microseconds of dict reading).

And when nothing would see a call (no callback handler after LangChain's own configuration, which is where LangSmith
tracing, verbose output and configure hooks come in; no LLM cache; no rate limiter; no streaming; plain-text
messages), `ainvoke` goes straight to `_agenerate` and finishes the message as `_agenerate_with_cache` does
(response metadata, message id): it skips building the tracing payloads, the run managers and the task that
`agenerate` gathers, ~0.2 ms of CPU per call measured here (docs/benchmarks.md). Anything observed takes
ChatOpenAI's own `ainvoke`.

Public names only, or a guarded fallback. The speed path uses protected names of langchain_openai and
langchain_core (`_get_request_payload`, `_create_chat_result`, `_use_responses_api`, the stream checks, and the
module helpers imported below). Each is looked up once at import: if any is missing (renamed in a minor release),
`LEAN` is False and every call takes ChatOpenAI's own public path (`ainvoke`, `_agenerate`), which sends the same
request (tests/backends/test_openai_compat.py runs both). The output cap goes out under the name the server reads
(`cap_field`: ChatOpenAI always says `max_completion_tokens`; Ollama reads only `max_tokens`): renamed in
`_get_request_payload`; were that method renamed upstream, the cap would go out under ChatOpenAI's name (a server
that ignores it answers uncapped, nothing breaks). The organisation/project headers are cleared on the public
attributes of the openai clients (personagen/backends/model_set.py).

Reasoning. ChatOpenAI's public path drops non-OpenAI response fields (its docstring says so), among them
`reasoning_content` (DeepSeek, vLLM, llama-server, SGLang) and `reasoning` (OpenRouter, Groq, Ollama). The one
documented override, `_create_chat_result` (what langchain-deepseek's ChatDeepSeek overrides for the same field),
copies them into `additional_kwargs`; without it (a renamed method) reasoning is still seen through the usage's
reasoning tokens, `<think>` blocks and model names (personagen/backends/probe.py), and the answer is parsed as
before (the fields are never parsed).
"""

from __future__ import annotations

import inspect
import uuid
from typing import Any

import httpx2
import openai
from langchain_core.caches import BaseCache
from langchain_core.callbacks import AsyncCallbackManager, AsyncCallbackManagerForLLMRun
from langchain_core.globals import get_llm_cache
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatResult
from langchain_core.runnables import RunnableConfig, ensure_config
from langchain_openai import ChatOpenAI

from personagen.backends.completion_json import completion_of, keep_refusal

try:  # protected helpers of langchain_core / langchain_openai 1.x; without any of them: ChatOpenAI's own path
    from langchain_core.language_models.chat_models import _gen_info_and_msg_metadata
    from langchain_core.utils.utils import LC_ID_PREFIX
    from langchain_openai.chat_models.base import (
        _add_gateway_metadata,
        _handle_openai_api_error,
        _handle_openai_bad_request,
    )
except ImportError:  # pragma: no cover - depends on the installed versions; tests simulate it with LEAN = False
    _gen_info_and_msg_metadata = _add_gateway_metadata = _handle_openai_api_error = None  # type: ignore[assignment]
    _handle_openai_bad_request = LC_ID_PREFIX = None  # type: ignore[assignment]

#: ChatOpenAI's protected methods the speed path calls (looked up, not assumed)
LEAN_METHODS = ("_get_request_payload", "_create_chat_result", "_use_responses_api", "_should_stream",
                "_should_use_protocol_streaming")
LEAN = _gen_info_and_msg_metadata is not None and all(hasattr(ChatOpenAI, name) for name in LEAN_METHODS)
#: reasoning fields of OpenAI-compatible servers that ChatOpenAI does not keep
REASONING_FIELDS = ("reasoning_content", "reasoning")

# the SDK's own arguments of `chat.completions.create` (not body fields): they stay where they are
SDK_ARGUMENTS = ("model", "stream", "stream_options", "timeout", "extra_headers", "extra_query", "extra_body")


def lean_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Move the bulky, already-serialised fields into extra_body (merged into the request body verbatim)."""
    if response_format_is_a_type(payload):
        return payload
    moved = {key: payload.pop(key) for key in list(payload) if key not in SDK_ARGUMENTS}
    payload["extra_body"] = {**moved, **(payload.get("extra_body") or {})}
    payload["messages"] = []  # required by the SDK's signature; replaced by extra_body's messages
    return payload


def response_format_is_a_type(payload: dict[str, Any]) -> bool:
    """A pydantic class as response_format needs the SDK's own `parse` path."""
    return isinstance(payload.get("response_format"), type)


class LeanChatOpenAI(ChatOpenAI):
    """ChatOpenAI whose requests skip the SDK's per-call body transform (see the module docstring)."""

    cap_field: str = "max_completion_tokens"  # the name the server reads the output cap by

    def _get_request_payload(self, input_: LanguageModelInput, *, stop: list[str] | None = None,
                             **kwargs: Any) -> dict:
        """ChatOpenAI's payload, without the fields `disabled_params` names with None (ChatOpenAI's own field;
        it applies it in `bind_tools` only, and agents pass the tool fields per call), lean when it can be."""
        payload = super()._get_request_payload(input_, stop=stop, **kwargs)
        for name, value in (self.disabled_params or {}).items():
            if value is None:
                payload.pop(name, None)
        if self.cap_field != "max_completion_tokens" and "max_completion_tokens" in payload:
            payload[self.cap_field] = payload.pop("max_completion_tokens")
        if LEAN and "messages" in payload and not payload.get("stream"):
            return lean_payload(payload)
        return payload

    def _create_chat_result(self, response: Any, generation_info: dict | None = None) -> ChatResult:
        """ChatOpenAI's result, with the reasoning fields it drops kept in `additional_kwargs` (see the module
        docstring)."""
        result = super()._create_chat_result(response, generation_info)
        choices = response.get("choices") if isinstance(response, dict) else getattr(response, "choices", None)
        for generation, choice in zip(result.generations, choices or [], strict=False):
            message = choice.get("message") if isinstance(choice, dict) else getattr(choice, "message", None)
            extra = message if isinstance(message, dict) else (getattr(message, "model_extra", None) or {})
            for name in REASONING_FIELDS:
                if isinstance(extra.get(name), str) and extra[name]:
                    generation.message.additional_kwargs[name] = extra[name]
        return result

    async def _agenerate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                         run_manager: AsyncCallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        """langchain_openai's chat-completions path, with the ChatResult built inline (see the module docstring);
        anything else (a pydantic response_format, the Responses API) takes ChatOpenAI's own path."""
        if not LEAN:
            return await super()._agenerate(messages, stop=stop, run_manager=run_manager, **kwargs)
        payload = self._get_request_payload(messages, stop=stop, **kwargs)
        if "extra_body" not in payload or "response_format" in payload or self._use_responses_api(payload):
            return await super()._agenerate(messages, stop=stop, run_manager=run_manager, **kwargs)
        raw_response, response = await plain_create(self.root_async_client, payload)
        generation_info = {"headers": dict(raw_response.headers)} if self.include_response_headers else {}
        _add_gateway_metadata(generation_info, raw_response)
        result = self._create_chat_result(response, generation_info)
        keep_refusal(result, response)
        return result

    _agenerate.__signature__ = inspect.signature(_agenerate)  # read per call by langchain_core

    async def ainvoke(self, input: LanguageModelInput, config: RunnableConfig | None = None, *,
                      stop: list[str] | None = None, **kwargs: Any) -> AIMessage:
        """ChatOpenAI's `ainvoke`, without LangChain's tracing and caching machinery when nothing would see the
        call (see the module docstring)."""
        config = ensure_config(config)
        if not self._unobserved(input, config, kwargs):
            return await super().ainvoke(input, config, stop=stop, **kwargs)
        kwargs.pop("ls_structured_output_format", None)
        kwargs.pop("structured_output_format", None)
        return finished_message(await self._agenerate(input, stop=stop, **kwargs))

    def _unobserved(self, input: LanguageModelInput, config: RunnableConfig, kwargs: dict[str, Any]) -> bool:
        """True when no callback, cache, rate limiter or stream would take part in this call."""
        if not LEAN:
            return False
        if not isinstance(input, list) or not all(isinstance(m, BaseMessage) and isinstance(m.content, str)
                                                  for m in input):
            return False
        cached = isinstance(self.cache, BaseCache) or (self.cache is None and get_llm_cache() is not None)
        if cached or self.rate_limiter is not None or self.output_version == "v1":
            return False
        if self._should_stream(async_api=True, **kwargs) or \
                self._should_use_protocol_streaming(async_api=True, **kwargs):
            return False
        manager = AsyncCallbackManager.configure(config.get("callbacks"), self.callbacks, self.verbose,
                                                 config.get("tags"), self.tags, config.get("metadata"), self.metadata)
        return not manager.handlers


def finished_message(result: ChatResult) -> AIMessage:
    """The answer as langchain_core's `_agenerate_with_cache` and `ainvoke` return it: response metadata merged from
    the generation and the result, an `lc_run-...` id when the server gave none."""
    generation = result.generations[0]
    message = generation.message
    if message.id is None:
        message.id = f"{LC_ID_PREFIX}-{uuid.uuid4()}-0"
    message.response_metadata = _gen_info_and_msg_metadata(generation)  # type: ignore[misc]
    if len(result.generations) == 1 and result.llm_output is not None:
        message.response_metadata = {**result.llm_output, **message.response_metadata}
    return message  # type: ignore[return-value]


CHAT_PATH = "/chat/completions"
#: the request options `chat.completions.create` sets (openai's make_request_options), when this SDK knows them
SECURITY = {"security": {"bearer_auth": True}} if "security" in openai.RequestOptions.__annotations__ else {}


def request_of(payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(body, request options) of `chat.completions.create(**payload)` for a lean payload, as the SDK builds them:
    its own fields (model, stream, messages: plain values, which its transform leaves as they are) in its order,
    the rest as `extra_json`, merged into the body by the client (so the same bytes go out)."""
    body = {key: payload[key] for key in ("model", "stream", "stream_options", "messages") if key in payload}
    options: dict[str, Any] = {"extra_json": payload["extra_body"], **SECURITY}
    for key, option in (("extra_headers", "headers"), ("extra_query", "params"), ("timeout", "timeout")):
        if payload.get(key) is not None or (key == "timeout" and key in payload):
            options[option] = payload[key]
    return body, options


async def plain_create(client: openai.AsyncOpenAI, payload: dict[str, Any]) -> tuple[Any, Any]:
    """(HTTP response, parsed completion) of `chat.completions.create(**payload)` for a lean payload, sent through
    the client's public `post` (openai's README, "Undocumented endpoints"; the SDK's retries, auth and errors
    are the same): `create` first walks its ~40 parameters through the TypedDict transform, ~0.19 ms of CPU per
    call here (bench/profile_calls.py), for a body whose fields are all in `extra_body` already. Errors are raised as
    ChatOpenAI raises them."""
    raw_response = None
    body, options = request_of(payload)
    try:
        raw_response = await client.post(CHAT_PATH, cast_to=httpx2.Response, body=body,
                                         options=options)  # type: ignore[arg-type]
        return raw_response, completion_of(raw_response)
    except openai.BadRequestError as e:
        _handle_openai_bad_request(e)  # type: ignore[misc]
        raise
    except openai.APIError as e:
        _handle_openai_api_error(e)  # type: ignore[misc]
        raise
    except Exception as e:
        if raw_response is not None:
            e.response = raw_response  # type: ignore[attr-defined]
        raise
