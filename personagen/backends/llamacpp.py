"""ChatOpenAI for llama-cpp-python's server: its quirks handled here, so agents never see them.

Quirks (measured on llama-cpp-python 0.3.36 with --chat_format gemma):
- the gemma chat format drops system messages: they are folded into the first user turn;
- ``max_completion_tokens`` (what ChatOpenAI sends) is ignored: ``max_tokens`` is sent via ``extra_body``;
- ``response_format`` of type ``json_schema`` is an HTTP 500; a schema is enforced as a grammar through
  function calling (``tool_choice`` naming the function) or ``{"type": "json_object", "schema": ...}``.

Input: base_url/model and the sampling settings (no defaults of its own). Output: a BaseChatModel whose
``with_structured_output`` (with ``method=STRUCTURED_METHOD``, also the default here) returns parsed pydantic
objects.
"""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_json_schema
from langchain_openai import ChatOpenAI
from pydantic import BaseModel

from personagen.agents.answers import text_of

StructuredMethod = Literal["function_calling", "json_mode", "json_schema"]

#: The structured-output method that works reliably against the llama.cpp server.
STRUCTURED_METHOD: StructuredMethod = "function_calling"


def fold_system_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Move every system/developer message into the first user turn (the gemma format drops them).

    The system text comes first, separated from the user text by a blank line. Without any user turn
    the system text becomes the user turn.
    """
    system = [text_of(m.get("content")).strip() for m in messages if m.get("role") in ("system", "developer")]
    rest = [dict(m) for m in messages if m.get("role") not in ("system", "developer")]
    system_text = "\n\n".join(s for s in system if s)
    if not system_text:
        return rest
    for message in rest:
        if message.get("role") == "user":
            message["content"] = f"{system_text}\n\n{text_of(message.get('content'))}".strip()
            return rest
    return [{"role": "user", "content": system_text}, *rest]


def move_max_tokens_to_extra_body(payload: dict[str, Any]) -> dict[str, Any]:
    """Send the token limit as ``max_tokens`` in the body (the server ignores ``max_completion_tokens``)."""
    limit = payload.pop("max_completion_tokens", None)
    limit = payload.pop("max_tokens", limit)
    if limit is not None:
        payload["extra_body"] = {**(payload.get("extra_body") or {}), "max_tokens": limit}
    return payload


class LlamaCppChatOpenAI(ChatOpenAI):
    """ChatOpenAI whose requests suit llama-cpp-python's server (see the module docstring)."""

    def _get_request_payload(
        self, input_: LanguageModelInput, *, stop: list[str] | None = None, **kwargs: Any
    ) -> dict:
        payload = super()._get_request_payload(input_, stop=stop, **kwargs)
        if "messages" in payload:
            payload["messages"] = fold_system_messages(payload["messages"])
        return move_max_tokens_to_extra_body(payload)

    def with_structured_output(  # type: ignore[override]
        self,
        schema: Any = None,
        *,
        method: StructuredMethod = STRUCTURED_METHOD,
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable:
        """Structured output; ``json_schema`` (an HTTP 500 on this server) becomes a json_object grammar."""
        if method == "function_calling" or schema is None:
            return super().with_structured_output(
                schema, method=method if schema is not None else "json_mode", include_raw=include_raw,
                strict=strict, **kwargs,
            )  # fmt: skip
        return _json_object_structured(self, schema, include_raw=include_raw, **kwargs)


def _json_object_structured(llm: ChatOpenAI, schema: Any, *, include_raw: bool, **kwargs: Any) -> Runnable:
    """``response_format={"type": "json_object", "schema": ...}``: the server makes the schema a grammar."""
    is_pydantic = isinstance(schema, type) and issubclass(schema, BaseModel)
    json_schema = schema.model_json_schema() if is_pydantic else convert_to_json_schema(schema)
    bound = llm.bind(
        response_format={"type": "json_object", "schema": json_schema},
        ls_structured_output_format={"kwargs": {"method": "json_mode"}, "schema": schema},
        **kwargs,
    )
    parser: Runnable = PydanticOutputParser(pydantic_object=schema) if is_pydantic else JsonOutputParser()
    if not include_raw:
        return bound | parser
    parse = RunnablePassthrough.assign(parsed=lambda d: parser.invoke(d["raw"]), parsing_error=lambda _: None)
    fallback = RunnablePassthrough.assign(parsed=lambda _: None)
    return RunnableMap(raw=bound) | parse.with_fallbacks([fallback], exception_key="parsing_error")


def make_llamacpp_chat(
    base_url: str,
    model_name: str,
    *,
    temperature: float,
    max_tokens: int | None,
    seed: int | None = None,
    api_key: str | None = None,
    timeout: float = 300.0,
    max_retries: int = 1,
) -> BaseChatModel:
    """A chat model for a llama.cpp server; use ``with_structured_output(Schema, method=STRUCTURED_METHOD)``.

    ``api_key`` is the server's key (``LocalModelServer.api_key``); any string works for a server without one.
    ``temperature`` and ``max_tokens`` (None: the server's own cap) are required: their defaults belong to the
    run's model settings (personagen.backends.model_set), not to this adapter.
    """
    return LlamaCppChatOpenAI(
        base_url=base_url,
        model=model_name,
        api_key=api_key or "not-needed",
        temperature=temperature,
        max_tokens=max_tokens,
        seed=seed,
        timeout=timeout,
        max_retries=max_retries,
    )
