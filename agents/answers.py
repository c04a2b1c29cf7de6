"""Reading a model's answer into a schema: a tool call, or JSON in the content, tolerantly.

Servers differ in how they return structured output: a forced tool call (OpenAI, vLLM), JSON content
(json_schema / json_object modes), or, when a server ignores a forced `tool_choice` (Ollama's OpenAI endpoint,
llama-server and LM Studio with an object `tool_choice`), plain content with the JSON somewhere in it: bare, in a
fenced block, or with prose around it. `read_answer` accepts all of these and says which path it took, so a run
can count how often the content fallback was needed. An answer cut at the output cap (finish reason `length`)
is an error of its own kind: the fix is a larger cap, not another mode.

Thinking models put their reasoning in a separate field (`reasoning_content`, `reasoning`: never parsed) or in the
content as `<think>...</think>` (DeepSeek-R1, Qwen3 and QwQ on Ollama, llama-server or vLLM without a reasoning
parser); the block is stripped before the JSON is looked for, also when a chat template opened it in the prompt
(only `</think>` in the answer) or the cap cut it (no `</think>`). A JSON-mode answer that merely echoes the
schema it was shown (`{"type": "object", "properties": ...}`) is not an answer, even when its `description`
happens to fit a field.

Input: the AIMessage from the model and the pydantic schema. Output: a `Reading` (parsed object or error).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from langchain_core.messages import AIMessage
from pydantic import BaseModel, ValidationError

T = TypeVar("T", bound=BaseModel)

FENCED = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)
THINK_BLOCK = re.compile(r"<(think|thinking|reasoning)>.*?</\1>", re.DOTALL | re.IGNORECASE)
THINK_CLOSE = re.compile(r"^.*</(?:think|thinking|reasoning)>", re.DOTALL | re.IGNORECASE)  # opened in the prompt
THINK_OPEN = re.compile(r"<(?:think|thinking|reasoning)>.*$", re.DOTALL | re.IGNORECASE)  # cut at the cap

#: error kinds of an unusable answer, each with the fix a user can apply
TRUNCATED, NO_TOOL_CALL, NO_JSON, INVALID = "truncated", "no_tool_call", "no_json", "invalid"


@dataclass
class Reading(Generic[T]):
    """What an answer held: the parsed object, or the error and its kind; `via` says where the JSON was found
    ("tool_call", "content", or "content_fallback" when a tool call was asked for but content came back)."""

    parsed: T | None
    via: str | None = None
    error: str | None = None
    kind: str | None = None


def finish_reason(message: AIMessage | None) -> str | None:
    return (getattr(message, "response_metadata", None) or {}).get("finish_reason")


def json_objects(text: str) -> list[dict[str, Any]]:
    """The JSON objects in a text, best candidates first: the whole text, fenced blocks, then any object in it."""
    found: list[dict[str, Any]] = []
    candidates = [text.strip(), *(m.strip() for m in FENCED.findall(text))]
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            found.append(value)
    decoder = json.JSONDecoder()
    for start in (m.start() for m in re.finditer(r"\{", text)):
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            continue
        if isinstance(value, dict):
            found.append(value)
    return found


def strip_reasoning(text: str) -> str:
    """The text without the model's reasoning blocks (see the module docstring)."""
    if "</" not in text and "<" not in text:
        return text
    return THINK_OPEN.sub("", THINK_CLOSE.sub("", THINK_BLOCK.sub("", text)))


SCHEMA_TYPES = {"object", "array", "string", "integer", "number", "boolean", "null"}
SCHEMA_WORDS = SCHEMA_TYPES | {"type", "title", "description", "properties", "required", "additionalProperties",
                               "items", "enum", "const", "minItems", "maxItems", "minLength", "maxLength", "minimum",
                               "maximum", "$defs", "$ref", "anyOf", "default", "format", "pattern", "strict", "name"}


def echoes_a_schema(obj: dict[str, Any], schema: type[BaseModel]) -> bool:
    """A JSON schema (or one of its property schemas) rather than an instance of `schema`: a JSON-schema `type`
    and nothing but schema keywords (unless `schema` itself has a field named `type`)."""
    kind = obj.get("type")
    return isinstance(kind, str) and kind in SCHEMA_TYPES and set(obj) <= SCHEMA_WORDS and \
        "type" not in schema.model_fields


def validate_first(objects: list[dict[str, Any]], schema: type[T]) -> tuple[T | None, str | None]:
    """The first object that validates against `schema` (also one level down: {"Schema": {...}}); an echo of the
    schema is skipped with its error."""
    error = None
    for obj in objects:
        for candidate in (obj, *(v for v in obj.values() if isinstance(v, dict))):
            if echoes_a_schema(candidate, schema):
                error = error or "the answer repeats the JSON schema instead of filling it in"
                continue
            try:
                return schema.model_validate(candidate), None
            except ValidationError as exc:
                error = error or str(exc)
    return None, error


def from_tool_calls(message: AIMessage, schema: type[T]) -> Reading[T] | None:
    """The reading of the answer's tool call, or None when it has none."""
    calls = [c for c in message.tool_calls if c.get("name") == schema.__name__] or message.tool_calls
    if calls:
        try:
            return Reading(schema.model_validate(calls[0].get("args") or {}), "tool_call")
        except ValidationError as exc:
            return Reading(None, error=str(exc), kind=INVALID)
    invalid = getattr(message, "invalid_tool_calls", None)
    if invalid:
        return Reading(None, error=f"the tool call's arguments are not JSON: {invalid[0].get('error') or ''}",
                       kind=INVALID)
    return None


def read_answer(message: AIMessage, schema: type[T], *, expects_tool: bool) -> Reading[T]:
    """The answer read into `schema`: from its tool call, else from JSON in its content."""
    truncated = finish_reason(message) == "length"
    reading = from_tool_calls(message, schema)
    if reading is not None and (reading.parsed is not None or not truncated):
        return reading
    content = strip_reasoning(text_of(message.content))
    parsed, error = validate_first(json_objects(content), schema) if content else (None, None)
    if parsed is not None:
        return Reading(parsed, "content_fallback" if expects_tool else "content")
    if truncated:
        return Reading(None, error="the answer was cut off at the output cap (finish reason 'length')",
                       kind=TRUNCATED)
    if error:
        return Reading(None, error=error, kind=INVALID)
    if expects_tool:
        return Reading(None, error="the model called no tool and its content holds no JSON object", kind=NO_TOOL_CALL)
    return Reading(None, error="the answer holds no JSON object", kind=NO_JSON)


def text_of(content: Any) -> str:
    """The text of a message content (a string or a list of content parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return "" if content is None else str(content)


def raw_text(message: AIMessage | None) -> str:
    """The model's raw answer: tool-call arguments if any, else the text content."""
    if message is None:
        return ""
    if message.tool_calls:
        return json.dumps(message.tool_calls[0].get("args", {}), ensure_ascii=False)
    invalid = getattr(message, "invalid_tool_calls", None)
    if invalid:
        return str(invalid[0].get("args", ""))
    return strip_reasoning(text_of(message.content))


def usage(message: AIMessage | None) -> tuple[int, int]:
    meta = getattr(message, "usage_metadata", None) or {}
    return int(meta.get("input_tokens", 0)), int(meta.get("output_tokens", 0))


def cached_tokens(message: AIMessage | None) -> int:
    """Prompt tokens served from the provider's prompt cache: `usage.prompt_tokens_details.cached_tokens`, which
    langchain-openai reports as `usage_metadata.input_token_details.cache_read` (priced: personagen/pricing.py)."""
    meta = getattr(message, "usage_metadata", None) or {}
    return int((meta.get("input_token_details") or {}).get("cache_read") or 0)


def reasoning_tokens(message: AIMessage | None) -> int:
    """The reasoning tokens the server reported (`usage.completion_tokens_details.reasoning_tokens`, which
    langchain_openai keeps as `usage_metadata.output_token_details.reasoning`); 0 when it reported none."""
    meta = getattr(message, "usage_metadata", None) or {}
    return int((meta.get("output_token_details") or {}).get("reasoning") or 0)


def shows_reasoning(message: AIMessage | None) -> bool:
    """Whether the answer carried reasoning: reasoning tokens in its usage, a separate field (`reasoning_content`:
    DeepSeek, vLLM, llama-server, SGLang; `reasoning`: OpenRouter, Groq, Ollama; kept by
    personagen/backends/openai_compat.py) or `<think>` blocks in its content."""
    if message is None:
        return False
    extra = message.additional_kwargs or {}
    if reasoning_tokens(message) or extra.get("reasoning_content") or extra.get("reasoning"):
        return True
    content = text_of(message.content)
    return strip_reasoning(content) != content
