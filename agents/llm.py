"""One structured model call, measured: the only way agents and critics talk to a model.

Input: a `ModelHandle` (a chat model plus how it does structured output), chat messages and a pydantic schema.
Output: an `Answer` holding the parsed object and what an event needs (prompt, raw answer, tokens, latency).
A model answer that does not parse raises `ModelAnswerError`; the caller's critic loop decides what follows.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from pydantic import BaseModel, ValidationError

T = TypeVar("T", bound=BaseModel)


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
    _runnables: dict[type, Any] = field(default_factory=dict, repr=False)
    _semaphore: asyncio.Semaphore | None = field(default=None, repr=False)

    def structured(self, schema: type[BaseModel]) -> Any:
        """The runnable that answers in `schema`, built once per handle and schema.

        Function calling binds the schema as the one forced tool and is parsed here (`parse_answer`): the same
        request as `with_structured_output`, without its parser chain, which cost more CPU than our whole graph.
        Other methods go through `with_structured_output(include_raw=True)`.
        """
        runnable = self._runnables.get(schema)
        if runnable is None:
            if self.method == "function_calling":
                runnable = self.chat.bind_tools([schema], tool_choice=schema.__name__, parallel_tool_calls=False)
            else:
                runnable = self.chat.with_structured_output(schema, method=self.method, include_raw=True)
            self._runnables[schema] = runnable
        return runnable

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


class ModelCallError(Exception):
    """The model could not be reached or refused the call (after the client's own retries)."""


class ModelAnswerError(Exception):
    """The model answered, but not with what the schema asks for."""

    def __init__(self, message: str, *, prompt: list[dict[str, str]], raw: str, model: str,
                 tokens_in: int = 0, tokens_out: int = 0, latency_s: float = 0.0) -> None:
        super().__init__(message)
        self.prompt, self.raw, self.model = prompt, raw, model
        self.tokens_in, self.tokens_out, self.latency_s = tokens_in, tokens_out, latency_s


def messages_as_dicts(messages: list[BaseMessage]) -> list[dict[str, str]]:
    """The prompt as plain role/content pairs, for events."""
    return [{"role": m.type, "content": str(m.content)} for m in messages]


def raw_text(message: AIMessage | None) -> str:
    """The model's raw answer: tool-call arguments if any, else the text content."""
    if message is None:
        return ""
    if message.tool_calls:
        return json.dumps(message.tool_calls[0].get("args", {}), ensure_ascii=False)
    invalid = getattr(message, "invalid_tool_calls", None)
    if invalid:
        return str(invalid[0].get("args", ""))
    return str(message.content)


def usage(message: AIMessage | None) -> tuple[int, int]:
    meta = getattr(message, "usage_metadata", None) or {}
    return int(meta.get("input_tokens", 0)), int(meta.get("output_tokens", 0))


def parse_answer(result: AIMessage | dict[str, Any], schema: type[T]) -> tuple[AIMessage | None, T | None, Any]:
    """(raw message, parsed object or None, parsing error) from either kind of structured runnable."""
    if isinstance(result, dict):  # with_structured_output(include_raw=True)
        return result.get("raw"), result.get("parsed"), result.get("parsing_error")
    calls = [c for c in result.tool_calls if c.get("name") == schema.__name__] or result.tool_calls
    if not calls:
        return result, None, "the model called no tool"
    try:
        return result, schema.model_validate(calls[0].get("args") or {}), None
    except ValidationError as exc:
        return result, None, exc


async def ask(handle: ModelHandle, messages: list[BaseMessage], schema: type[T]) -> Answer[T]:
    """Send `messages` to the model and parse the answer into `schema`."""
    prompt = messages_as_dicts(messages)
    async with handle.semaphore:
        start = time.perf_counter()
        try:
            result = await handle.structured(schema).ainvoke(messages)
        except Exception as exc:  # transport, auth, rate limit after retries, server errors
            raise ModelCallError(f"model '{handle.name}' ({handle.backend}): {type(exc).__name__}: {exc}") from exc
        latency = time.perf_counter() - start
    raw_msg, parsed, error = parse_answer(result, schema)
    raw = raw_text(raw_msg)
    tokens_in, tokens_out = usage(raw_msg)
    if not isinstance(parsed, schema):
        error = error or "no structured answer"
        raise ModelAnswerError(
            f"{handle.name} answered something that does not fit {schema.__name__}: {str(error)[:300]}",
            prompt=prompt, raw=raw, model=handle.name,
            tokens_in=tokens_in, tokens_out=tokens_out, latency_s=latency,
        )
    return Answer(parsed, raw, prompt, handle.name, tokens_in, tokens_out, latency)
