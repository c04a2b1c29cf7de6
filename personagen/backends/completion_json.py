"""The answer of a chat-completions call read from its JSON as ChatOpenAI would read the openai SDK's model of it.

`LeanChatOpenAI` (personagen/backends/openai_compat.py) sends a plain call through the client's public `post` and
gets the HTTP response. The SDK would build a ChatCompletion from its JSON (without validation) and langchain_openai
would dump it back to a dict in `_create_chat_result` (~0.16 ms of CPU per call here, bench/profile_calls.py). The
dict read here has the shape of that dump where `_create_chat_result` copies values into the message (the
fingerprint, the usage and its details, each choice's logprobs; the rest it reads with `.get`, where an absent key
and a None are the same), so the message equals ChatOpenAI's (tests/backends/test_openai_compat.py).
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any, get_args

import httpx2
import openai
from langchain_core.outputs import ChatResult
from openai.types import CompletionUsage
from openai.types.chat.chat_completion import ChoiceLogprobs


def completion_of(response: httpx2.Response) -> Any:
    """The answer's JSON as `with_raw_response.create(...).parse()` reads it (also under another content type, if it
    parses; else the text), as a dict shaped like the dump of the ChatCompletion it would build (`sdk_shaped`)."""
    content_type = response.headers.get("content-type", "*").split(";")[0]
    if content_type.endswith("json"):
        data = response.json()
    else:
        try:
            data = response.json()
        except ValueError:
            return response.text
    return sdk_shaped(data) if isinstance(data, dict) else data


def sdk_shaped(data: dict[str, Any]) -> dict[str, Any]:
    """The completion's JSON with the defaults openai's ChatCompletion fills in where `_create_chat_result` copies
    them into the message (the fingerprint, the usage and its details, each choice's logprobs), so the message is
    ChatOpenAI's (tests/backends/test_openai_compat.py compares them); the rest is read by `.get` there."""
    shaped = {"system_fingerprint": None, **data}
    if isinstance(data.get("usage"), dict):
        shaped["usage"] = dumped(CompletionUsage, data["usage"])
    if isinstance(data.get("choices"), list):
        shaped["choices"] = [shaped_choice(c) if isinstance(c, dict) else c for c in data["choices"]]
    return shaped


def dumped(model: type[openai.BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """`model.construct(**data).model_dump()` without building the model (a quarter of the CPU): the absent optional
    fields with their defaults, nested models' dicts the same way; built the slow way for a model whose fields
    have aliases or default factories."""
    plan = field_plan(model)
    if plan is None:
        return model.construct(**data).model_dump(warnings=False)
    defaults, nested = plan
    out = {**defaults, **data}
    for key, inner in nested.items():
        if isinstance(out.get(key), dict):
            out[key] = dumped(inner, out[key])
    return out


@cache
def field_plan(model: type[openai.BaseModel]) -> tuple[dict[str, Any], dict[str, type]] | None:
    """(the value of each field when absent, the model class of each field holding a single model) of `model`, as
    openai's `construct` fills them in (its default, else None); None when `dumped` cannot shape it so (aliases,
    default factories, unions or lists of models, types `construct` converts: float, datetime)."""
    fields = model.model_fields
    if any(f.alias is not None or f.default_factory is not None for f in fields.values()):
        return None
    nested = {}
    for name, f in fields.items():
        direct = [a for a in (f.annotation, *get_args(f.annotation)) if isinstance(a, type)
                  and issubclass(a, openai.BaseModel)]
        if len(direct) > 1 or (not direct and involves(f.annotation, (openai.BaseModel,))) or \
                involves(f.annotation, (float, date)):
            return None
        if direct:
            nested[name] = direct[0]
    return {name: None if f.is_required() else f.default for name, f in fields.items()}, nested


def involves(annotation: Any, kinds: tuple[type, ...]) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, kinds):
        return True
    return any(involves(arg, kinds) for arg in get_args(annotation))


def shaped_choice(choice: dict[str, Any]) -> dict[str, Any]:
    logprobs = choice.get("logprobs")
    if isinstance(logprobs, dict):
        logprobs = dumped(ChoiceLogprobs, logprobs)
    return {**choice, "logprobs": logprobs}


def keep_refusal(result: ChatResult, response: Any) -> None:
    """ChatOpenAI copies the first choice's `refusal` (None when the server sent none) from the ChatCompletion
    into `additional_kwargs`; the same from the JSON."""
    choices = response.get("choices") if isinstance(response, dict) else None
    if result.generations and choices and isinstance(choices[0], dict):
        message = choices[0].get("message")
        refusal = message.get("refusal") if isinstance(message, dict) else None
        result.generations[0].message.additional_kwargs["refusal"] = refusal
