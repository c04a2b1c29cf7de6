"""One structured model call, measured: the only way agents and critics talk to a model.

Input: a `ModelHandle` (a chat model plus how it does structured output), chat messages and a pydantic schema.
Output: an `Answer` holding the parsed object and what an event needs (prompt, raw answer, tokens, latency).
A model answer that does not parse raises `ModelAnswerError` (with the kind of failure, see agents/answers.py),
and so does an error about this one prompt or answer (a content filter, a context overflow: agents/call_errors.py);
the caller's critic loop decides what follows. An error about the endpoint (key, model, quota, a server gone)
raises `ModelCallError`, which stops the run.

Structured output modes (each server supports a different subset: personagen/backends/probe.py finds out which):
- `function_calling`: the schema is the one tool and `tool_choice` names it;
- `json_schema`: `response_format` json_schema, strict;
- `json_mode`: `response_format` json_object, with the schema and the word JSON in the prompt (OpenAI requires the
  word; https://platform.openai.com/docs/guides/structured-outputs#json-mode).
The schema sent is always the strict subset (agents/strict_schema.py); pydantic validates the answer in full.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Generic, TypeVar

import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import BaseModel

from personagen.agents.answers import (
    TRUNCATED,
    cached_tokens,
    finish_reason,
    raw_text,
    read_answer,
    reasoning_tokens,
    usage,
)
from personagen.agents.call_errors import CANDIDATE_MEANING, FINISH_KINDS, CandidateFailure, call_failure
from personagen.agents.strict_schema import cached_schema, strict_json_schema
from personagen.errors import RunFailure

T = TypeVar("T", bound=BaseModel)
METHODS = ("function_calling", "json_schema", "json_mode")
JSON_MODE_INSTRUCTION = "Answer with one JSON object, nothing else, that matches this JSON schema:\n"


@dataclass(eq=False)
class ModelHandle:
    """A chat model as agents see it: its name, the LangChain model and its structured-output method.

    `limit` bounds the calls in flight to this backend (per-backend concurrency).
    """

    name: str
    chat: BaseChatModel
    method: str = "function_calling"
    backend: str = "openai"
    limit: int = 64
    strict_tools: bool = False  # mark the tool `strict` (OpenAI and Azure document it; others may not)
    constraints: bool = True  # keep per-type schema constraints (maxItems, ...); Azure refuses them
    # a cost meter (personagen/cost_cap.py): `await meter.reserve(handle, messages, schema)` before each call
    # returns a ticket whose `settle(answer or exception)` is called when the call ends
    meter: Any = field(default=None, repr=False)
    _fields: dict[type, dict[str, Any]] = field(default_factory=dict, repr=False)
    _semaphore: asyncio.Semaphore | None = field(default=None, repr=False)

    def fields(self, schema: type[BaseModel]) -> dict[str, Any]:
        """The request fields that ask for `schema`, built once per handle and schema; passed to the chat model's
        own `ainvoke` (a `bind()` wrapper per call would merge configs once more). The answer is parsed by
        `read_answer`, not by LangChain's parser chains, which cost more CPU than our whole graph."""
        fields = self._fields.get(schema)
        if fields is None:
            fields = self._fields[schema] = request_fields(self, schema)
        return fields

    @property
    def semaphore(self) -> asyncio.Semaphore:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.limit)
        return self._semaphore


async def close_handle(handle: ModelHandle) -> None:
    """Close the chat model's own async HTTP pool, if it has one (at the end of the loop that used it)."""
    client = getattr(handle.chat, "http_async_client", None)
    if client is not None and hasattr(client, "aclose"):
        await client.aclose()


@dataclass
class Answer(Generic[T]):
    """A parsed model answer and its measurements."""

    parsed: T
    raw: str
    prompt: list[dict[str, str]]
    model: str
    tokens_in: int
    tokens_out: int
    latency_s: float
    via: str | None = None  # where the JSON was found: tool_call, content, content_fallback
    tokens_cached: int = 0  # of tokens_in, served from the provider's prompt cache
    reasoning_tokens: int = 0  # of tokens_out, spent on reasoning (as the server reports it; 0 when it does not)


class ModelCallError(RunFailure):
    """The model could not be reached or refused the call (after the client's own retries)."""


class ModelAnswerError(RunFailure):
    """The model answered, but not with what the schema asks for; `kind` says how (agents/answers.py)."""

    def __init__(self, message: str, *, prompt: list[dict[str, str]], raw: str, model: str, kind: str = "invalid",
                 tokens_in: int = 0, tokens_out: int = 0, latency_s: float = 0.0, tokens_cached: int = 0,
                 reasoning_tokens: int = 0) -> None:
        super().__init__(message)
        self.prompt, self.raw, self.model, self.kind = prompt, raw, model, kind
        self.tokens_in, self.tokens_out, self.latency_s = tokens_in, tokens_out, latency_s
        self.tokens_cached, self.reasoning_tokens = tokens_cached, reasoning_tokens


def schema_of(handle: ModelHandle, schema: type[BaseModel]) -> dict[str, Any]:
    return strict_json_schema(schema, constraints=handle.constraints)


def request_fields(handle: ModelHandle, schema: type[BaseModel]) -> dict[str, Any]:
    """The request fields that ask for `schema` in the handle's structured-output mode."""
    if handle.method == "function_calling":
        function = {"name": schema.__name__, "description": (schema.__doc__ or schema.__name__).strip(),
                    "parameters": schema_of(handle, schema)}
        if handle.strict_tools:
            function["strict"] = True
        return {"tools": [{"type": "function", "function": function}], "parallel_tool_calls": False,
                "tool_choice": {"type": "function", "function": {"name": schema.__name__}}}
    if handle.method == "json_schema":
        return {"response_format": {"type": "json_schema", "json_schema": {
            "name": schema.__name__, "schema": schema_of(handle, schema), "strict": True}}}
    fmt: dict[str, Any] = {"type": "json_object"}
    if handle.backend == "local":  # llama-cpp-python makes the schema a grammar (its extension of json_object)
        fmt["schema"] = schema_of(handle, schema)
    return {"response_format": fmt}


@cache
def schema_json(schema: type[BaseModel], constraints: bool) -> str:
    """The strict schema as the text a json_mode prompt shows, built once per schema."""
    return json.dumps(cached_schema(schema, constraints), ensure_ascii=False)


def prepared(handle: ModelHandle, messages: list[BaseMessage], schema: type[BaseModel]) -> list[BaseMessage]:
    """The messages as sent: in json_mode the last user turn ends with the schema (and so the word JSON)."""
    if handle.method != "json_mode":
        return messages
    schema_text = schema_json(schema, handle.constraints)
    last = messages[-1]
    if isinstance(last, HumanMessage):
        return [*messages[:-1], HumanMessage(f"{last.content}\n\n{JSON_MODE_INSTRUCTION}{schema_text}")]
    return [*messages, HumanMessage(JSON_MODE_INSTRUCTION + schema_text)]


def messages_as_dicts(messages: list[BaseMessage]) -> list[dict[str, str]]:
    """The prompt as plain role/content pairs, for events."""
    return [{"role": m.type, "content": str(m.content)} for m in messages]


def failed_call(handle: ModelHandle, exc: Exception, prompt: list[dict[str, str]],
                latency: float) -> ModelAnswerError | ModelCallError:
    """A failed call as this candidate's failure (ModelAnswerError: the loop rewrites or drops it) or the
    endpoint's (ModelCallError: the run stops, with the fix); agents/call_errors.py sorts them."""
    failure = call_failure(exc)
    if isinstance(failure, CandidateFailure):
        return ModelAnswerError(f"{handle.name}: {CANDIDATE_MEANING[failure.kind]} ({failure.detail})",
                                prompt=prompt, raw="", model=handle.name, kind=failure.kind, latency_s=latency)
    return ModelCallError(f"model '{handle.name}' ({handle.backend}): {failure.what}. Fix: {failure.fix}")


def interpret(handle: ModelHandle, result: AIMessage, schema: type[T], prompt: list[dict[str, str]],
              latency: float) -> Answer[T]:
    """The answer read into `schema`, or ModelAnswerError saying what was wrong with it."""
    raw = raw_text(result)
    tokens_in, tokens_out = usage(result)
    stopped = FINISH_KINDS.get(finish_reason(result) or "")
    if stopped is not None:  # a 200 that a content filter or the provider cut off: this candidate's failure
        raise ModelAnswerError(f"{handle.name}: {CANDIDATE_MEANING[stopped]} (finish reason "
                               f"'{finish_reason(result)}')", prompt=prompt, raw=raw, model=handle.name,
                               kind=stopped, tokens_in=tokens_in, tokens_out=tokens_out, latency_s=latency,
                               tokens_cached=cached_tokens(result), reasoning_tokens=reasoning_tokens(result))
    reading = read_answer(result, schema, expects_tool=handle.method == "function_calling")
    if reading.parsed is None:
        raise ModelAnswerError(
            f"{handle.name} answered something that does not fit {schema.__name__}: {reading.error}",
            prompt=prompt, raw=raw, model=handle.name, kind=reading.kind or "invalid",
            tokens_in=tokens_in, tokens_out=tokens_out, latency_s=latency, tokens_cached=cached_tokens(result),
            reasoning_tokens=reasoning_tokens(result),
        )
    return Answer(reading.parsed, raw, prompt, handle.name, tokens_in, tokens_out, latency, reading.via,
                  cached_tokens(result), reasoning_tokens(result))


def truncated(handle: ModelHandle, exc: openai.LengthFinishReasonError, prompt: list[dict[str, str]],
              latency: float) -> ModelAnswerError:
    """The SDK's own 'cut off at the cap' error as a failed answer (a candidate to rewrite, not a run abort)."""
    meta = getattr(exc.completion, "usage", None)
    return ModelAnswerError(
        f"{handle.name}: the answer was cut off at the output cap (finish reason 'length'); raise max_tokens",
        prompt=prompt, raw="", model=handle.name, kind=TRUNCATED, latency_s=latency,
        tokens_in=getattr(meta, "prompt_tokens", 0) or 0, tokens_out=getattr(meta, "completion_tokens", 0) or 0,
        tokens_cached=getattr(getattr(meta, "prompt_tokens_details", None), "cached_tokens", 0) or 0,
        reasoning_tokens=getattr(getattr(meta, "completion_tokens_details", None), "reasoning_tokens", 0) or 0)


def settle(ticket: Any, outcome: Any) -> None:
    """Tell the handle's cost meter how a reserved call ended (its answer, or the exception)."""
    if ticket is not None:
        ticket.settle(outcome)


async def ask(handle: ModelHandle, messages: list[BaseMessage], schema: type[T]) -> Answer[T]:
    """Send `messages` to the model and read the answer into `schema`."""
    messages = prepared(handle, messages, schema)
    prompt = messages_as_dicts(messages)
    async with handle.semaphore:
        ticket = await handle.meter.reserve(handle, messages, schema) if handle.meter else None
        start = time.perf_counter()
        try:
            result = await handle.chat.ainvoke(messages, **handle.fields(schema))
        except openai.LengthFinishReasonError as exc:
            settle(ticket, exc)
            raise truncated(handle, exc, prompt, time.perf_counter() - start) from None
        except Exception as exc:  # after the client's retries: sorted by whose failure it is
            settle(ticket, exc)
            raise failed_call(handle, exc, prompt, time.perf_counter() - start) from exc
        settle(ticket, result)
        latency = time.perf_counter() - start
    return interpret(handle, result, schema, prompt, latency)


def ask_sync(handle: ModelHandle, messages: list[BaseMessage], schema: type[T]) -> Answer[T]:
    """`ask` without an event loop (the capability probe, before the run starts). Server errors are raised as
    the SDK's own exceptions, so the probe can read their status and message."""
    messages = prepared(handle, messages, schema)
    prompt = messages_as_dicts(messages)
    start = time.perf_counter()
    try:
        result = handle.chat.invoke(messages, **handle.fields(schema))
    except openai.LengthFinishReasonError as exc:
        raise truncated(handle, exc, prompt, time.perf_counter() - start) from None
    return interpret(handle, result, schema, prompt, time.perf_counter() - start)
