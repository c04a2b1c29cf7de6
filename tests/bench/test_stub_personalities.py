"""Stub personalities over HTTP (httpx / the openai SDK only): each server's documented behaviour, one by one."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest

from bench.stub_personalities import strict_violations
from bench.stub_process import fetch_stats, start_stub
from bench.stub_schema import AZURE_STRICT_KEYWORDS

KEY = "sk-test-0123456789abcdef"
VERDICT = {
    "type": "object",
    "properties": {
        "passed": {"type": "boolean"},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "reasons": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["passed", "score", "reasons"],
    "additionalProperties": False,
}
NOTE = {
    "type": "object",
    "properties": {"note": {"type": "string"}},
    "required": ["note"],
    "additionalProperties": False,
}
TOOLS = [
    {"type": "function", "function": {"name": "note", "parameters": NOTE}},
    {"type": "function", "function": {"name": "verdict", "parameters": VERDICT}},
]
NAMED = {"type": "function", "function": {"name": "verdict"}}
ASK = [{"role": "user", "content": "Judge this sentence."}]
# a writer-length prompt: a model left to choose answers it in prose (a short one it answers with a tool call of its
# own accord: stub_personalities.auto_kind)
LONG = [{"role": "user", "content": "Judge this sentence. " + "It was a long day at the station. " * 20}]


@pytest.fixture(scope="module")
def stub() -> Iterator[Callable[..., str]]:
    """stub(personality, **opts) -> base_url; one server per distinct option set, shared by the module."""
    urls: dict[tuple, str] = {}
    with contextlib.ExitStack() as stack:

        def get(personality: str, **opts: Any) -> str:
            key = (personality, tuple(sorted(opts.items())))
            if key not in urls:
                server = start_stub(latency=0.0, personality=personality, **opts)
                urls[key] = stack.enter_context(server)[1]
            return urls[key]

        yield get


def post(url: str, key: str | None = KEY, headers: dict[str, str] | None = None, **body: Any) -> httpx.Response:
    auth = {"Authorization": f"Bearer {key}"} if key else {}
    body.setdefault("messages", ASK)
    return httpx.post(f"{url}/chat/completions", json=body, headers={**auth, **(headers or {})}, timeout=10)


def answer(response: httpx.Response) -> tuple[dict[str, Any], str]:
    assert response.status_code == 200, response.text
    choice = response.json()["choices"][0]
    return choice["message"], choice["finish_reason"]


def fenced_json(content: str) -> Any:
    """The JSON object of a content answer: a prose sentence, then a ```json fence."""
    match = re.search(r"```json\n(.*?)\n```", content, re.S)
    assert match and content.index("```") > 0, content
    return json.loads(match.group(1))


def error_message(response: httpx.Response) -> str:
    return response.json()["error"]["message"]


# --- the strict Structured Outputs checker ---------------------------------------------------------------


def test_strict_violations_follow_the_documented_subset() -> None:
    assert strict_violations(VERDICT) == []
    with_default = {**NOTE, "properties": {"note": {"type": "string", "default": "x"}}}
    assert strict_violations(with_default) == ["In context=('properties', 'note'), 'default' is not permitted."]
    loose = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}, "required": ["a"]}
    assert strict_violations(loose) == [
        "In context=(), 'additionalProperties' is required to be supplied and to be false.",
        "In context=(), 'required' is required to be supplied and to be an array including every key in properties."
        " Missing 'b'.",
    ]
    nested = {**NOTE, "properties": {"note": {"$ref": "#/$defs/N"}}, "$defs": {"N": {**NOTE, "required": []}}}
    assert "Missing 'note'" in strict_violations(nested)[0] and "('$defs', 'N')" in strict_violations(nested)[0]
    assert "'oneOf' is not permitted" in strict_violations({**NOTE, "properties": {"note": {"oneOf": []}}})[0]
    assert "'allOf' is not permitted" in strict_violations({**NOTE, "allOf": []})[0]
    assert strict_violations({"type": "array", "items": {}}) == [
        "schema must be a JSON Schema of 'type: \"object\"', got 'type: \"array\"'."
    ]
    assert strict_violations(VERDICT, AZURE_STRICT_KEYWORDS) == [
        "In context=('properties', 'score'), 'minimum' is not permitted.",
        "In context=('properties', 'score'), 'maximum' is not permitted.",
    ]


# --- openai ---------------------------------------------------------------------------------------------


def test_openai_key_model_and_credentials(stub: Callable[..., str]) -> None:
    url = stub("openai", models="gpt-4o-mini,o4-mini")
    missing = post(url, key=None, model="gpt-4o-mini")
    assert missing.status_code == 401 and error_message(missing).startswith("You didn't provide an API key.")
    assert httpx.get(f"{url}/models").status_code == 401
    models = httpx.get(f"{url}/models", headers={"Authorization": f"Bearer {KEY}"}).json()["data"]
    assert [m["id"] for m in models] == ["gpt-4o-mini", "o4-mini"]
    unknown = post(url, model="gpt-9")
    assert unknown.status_code == 404
    assert unknown.json()["error"] == {
        "message": "The model `gpt-9` does not exist or you do not have access to it.",
        "type": "invalid_request_error",
        "param": None,
        "code": "model_not_found",
    }
    post(url, key="sk-other", model="gpt-4o-mini")
    assert {KEY, "sk-other"} <= set(fetch_stats(url)["credentials"])


def test_openai_json_mode_needs_the_word_json(stub: Callable[..., str]) -> None:
    client = openai.OpenAI(base_url=stub("openai", models="gpt-4o-mini"), api_key=KEY, max_retries=0)
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model="gpt-4o-mini", messages=ASK, response_format={"type": "json_object"})
    assert err.value.body["message"] == (
        "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'."
    )
    asked = [{"role": "user", "content": "Answer in JSON."}]
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=asked, response_format={"type": "json_object"})
    assert isinstance(json.loads(reply.choices[0].message.content), dict)


def test_openai_strict_schemas(stub: Callable[..., str]) -> None:
    url = stub("openai", models="gpt-4o-mini")
    schema = {**NOTE, "properties": {"note": {"type": "string", "default": "none"}}}
    fmt = {"type": "json_schema", "json_schema": {"name": "Note", "strict": True, "schema": schema}}
    refused = post(url, model="gpt-4o-mini", response_format=fmt)
    assert refused.status_code == 400
    assert error_message(refused) == (
        "Invalid schema for response_format 'Note': In context=('properties', 'note'), 'default' is not permitted."
    )
    fmt["json_schema"]["schema"] = VERDICT  # minimum/maximum are in OpenAI's subset
    assert json.loads(answer(post(url, model="gpt-4o-mini", response_format=fmt))[0]["content"])["passed"] is True
    loose_tool = {"type": "function", "function": {"name": "note", "strict": True, "parameters": {**NOTE}}}
    del loose_tool["function"]["parameters"]["additionalProperties"]
    refused = post(url, model="gpt-4o-mini", tools=[loose_tool])
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "tools[0].function.parameters"
    assert error_message(refused) == (
        "Invalid schema for function 'note': In context=(), 'additionalProperties' is required to be supplied and to be"
        " false."
    )
    assert post(url, model="gpt-4o-mini", tools=TOOLS, response_format={"type": "json_schema"}).status_code == 200


def test_openai_reasoning_models(stub: Callable[..., str]) -> None:
    url = stub("openai", models="o4-mini,gpt-5-mini")
    hot = post(url, model="o4-mini", temperature=0.9)
    assert hot.status_code == 400 and error_message(hot) == (
        "Unsupported value: 'temperature' does not support 0.9 with this model."
        " Only the default (1) value is supported."
    )
    assert post(url, model="o4-mini", temperature=1).status_code == 200
    capped = post(url, model="gpt-5-mini", max_tokens=100)
    assert capped.status_code == 400 and error_message(capped) == (
        "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."
    )
    message, finish = answer(post(url, model="o4-mini", max_completion_tokens=300))  # 500 reasoning tokens > 300
    usage = post(url, model="o4-mini", max_completion_tokens=300).json()["usage"]
    assert (finish, message["content"], message.get("tool_calls")) == ("length", "", None)
    assert usage["completion_tokens_details"]["reasoning_tokens"] == 500 and usage["completion_tokens"] == 500
    call = post(url, model="o4-mini", max_completion_tokens=505, tools=TOOLS, tool_choice=NAMED).json()["choices"][0]
    assert call["finish_reason"] == "length"
    with pytest.raises(json.JSONDecodeError):
        json.loads(call["message"]["tool_calls"][0]["function"]["arguments"])  # cut after 5 tokens
    low = post(url, model="o4-mini", max_completion_tokens=5000, reasoning_effort="low", tools=TOOLS, tool_choice=NAMED)
    args = json.loads(answer(low)[0]["tool_calls"][0]["function"]["arguments"])
    assert set(args) == {"passed", "score", "reasons"} and answer(low)[1] == "tool_calls"
    assert low.json()["usage"]["completion_tokens_details"]["reasoning_tokens"] < 500


def test_openai_caps_plain_models(stub: Callable[..., str]) -> None:
    url = stub("openai", models="gpt-4o-mini")
    for cap in ({"max_tokens": 3}, {"max_completion_tokens": 3}):
        message, finish = answer(post(url, model="gpt-4o-mini", **cap))
        assert finish == "length" and len(message["content"]) == 12
    wordy = post(url, model="gpt-4o-mini", reasoning_effort="low")
    assert wordy.status_code == 400 and wordy.json()["error"]["param"] == "reasoning_effort"


# --- azure ----------------------------------------------------------------------------------------------


def test_azure_key_header_subset_and_deployments(stub: Callable[..., str]) -> None:
    url = stub("azure", models="gpt-4o")
    assert answer(post(url, key=None, headers={"api-key": "azure-key-1"}, model="gpt-4o"))[1] == "stop"
    assert answer(post(url, model="gpt-4o"))[1] == "stop"  # Bearer works on the v1 API too
    denied = post(url, key=None, model="gpt-4o")
    assert denied.status_code == 401 and error_message(denied).startswith("Access denied due to invalid subscription")
    fmt = {"type": "json_schema", "json_schema": {"name": "Verdict", "strict": True, "schema": VERDICT}}
    refused = post(url, model="gpt-4o", response_format=fmt)
    assert refused.status_code == 400 and "'minimum' is not permitted" in error_message(refused)
    assert post(url, model="gpt-5").json()["error"]["code"] == "DeploymentNotFound"
    assert "azure-key-1" in fetch_stats(url)["credentials"]


# --- vllm -----------------------------------------------------------------------------------------------


def test_vllm_tool_choice_formats_and_caps(stub: Callable[..., str]) -> None:
    url = stub("vllm", models="qwen")
    for choice, name in ((NAMED, "verdict"), ("required", "note"), ("auto", "note")):
        message, finish = answer(post(url, model="qwen", tools=TOOLS, tool_choice=choice))
        assert finish == "tool_calls" and message["tool_calls"][0]["function"]["name"] == name
    assert json.loads(answer(post(url, model="qwen", response_format={"type": "json_object"}))[0]["content"])
    for cap in ({"max_tokens": 2}, {"max_completion_tokens": 2}):
        assert answer(post(url, model="qwen", **cap))[1] == "length"
    missing = post(url, model="gpt-4o")
    assert missing.status_code == 404 and error_message(missing) == "The model `gpt-4o` does not exist."


# --- ollama ---------------------------------------------------------------------------------------------


def test_ollama_ignores_tool_choice_and_max_completion_tokens(stub: Callable[..., str]) -> None:
    url = stub("ollama", models="llama3.2")
    message, finish = answer(post(url, model="llama3.2", tools=TOOLS, tool_choice=NAMED, messages=LONG))
    assert finish == "stop" and "tool_calls" not in message
    assert set(fenced_json(message["content"])) == {"passed", "score", "reasons"}
    assert message == answer(post(url, model="llama3.2", tools=TOOLS, tool_choice=NAMED, messages=LONG))[0]
    short, finish = answer(post(url, model="llama3.2", tools=TOOLS, tool_choice=NAMED))
    assert finish == "tool_calls" and short["tool_calls"][0]["function"]["name"] == "note"  # not the named one
    assert answer(post(url, model="llama3.2", max_completion_tokens=2))[1] == "stop"
    assert answer(post(url, model="llama3.2", max_tokens=2))[1] == "length"
    fmt = {"type": "json_schema", "json_schema": {"name": "Verdict", "schema": VERDICT}}
    assert json.loads(answer(post(url, model="llama3.2", response_format=fmt))[0]["content"])["passed"] is True
    assert error_message(post(url, model="mistral")) == "model 'mistral' not found"


# --- llama.cpp ------------------------------------------------------------------------------------------


def test_llamacpp_without_jinja_refuses_tools(stub: Callable[..., str]) -> None:
    url = stub("llamacpp-server", models="gemma")
    refused = post(url, model="gemma", tools=TOOLS, tool_choice=NAMED)
    assert refused.status_code == 500
    error = {"code": 500, "message": "tools param requires --jinja flag", "type": "server_error"}
    assert refused.json() == {"error": error}
    assert error_message(post(url, model="gemma", tool_choice="required")) == "tool_choice param requires --jinja flag"
    fmt = {"type": "json_object", "schema": VERDICT}
    assert json.loads(answer(post(url, model="anything", response_format=fmt))[0]["content"])["passed"] is True
    assert answer(post(url, model="gemma", max_completion_tokens=2))[1] == "length"
    assert post(url, model="gemma", response_format={"type": "regex"}).status_code == 500


def test_llamacpp_jinja_reads_an_object_tool_choice_as_auto(stub: Callable[..., str]) -> None:
    url = stub("llamacpp-jinja", models="gemma")
    for choice in (NAMED, "auto"):
        message, finish = answer(post(url, model="gemma", tools=TOOLS, tool_choice=choice, messages=LONG))
        assert finish == "stop" and "tool_calls" not in message and fenced_json(message["content"])
        message, finish = answer(post(url, model="gemma", tools=TOOLS, tool_choice=choice))
        assert finish == "tool_calls" and message["tool_calls"][0]["function"]["name"] == "note"
    message, finish = answer(post(url, model="gemma", tools=TOOLS, tool_choice="required"))
    assert finish == "tool_calls" and message["tool_calls"][0]["function"]["name"] == "note"


# --- lm studio ------------------------------------------------------------------------------------------


def test_lmstudio_formats_and_tool_choice(stub: Callable[..., str]) -> None:
    url = stub("lmstudio", models="qwen2.5-7b-instruct")
    refused = post(url, model="qwen2.5-7b-instruct", response_format={"type": "json_object"})
    assert refused.status_code == 400
    assert refused.json() == {"error": "'response_format.type' must be 'json_schema' or 'text'"}
    message, _ = answer(post(url, model="qwen2.5-7b-instruct", tools=TOOLS, tool_choice=NAMED, messages=LONG))
    assert set(fenced_json(message["content"])) == {"passed", "score", "reasons"}
    assert "tool_calls" in answer(post(url, model="qwen2.5-7b-instruct", tools=TOOLS, tool_choice="required"))[0]
    assert answer(post(url, model="qwen2.5-7b-instruct", max_completion_tokens=2))[1] == "stop"
    assert answer(post(url, model="qwen2.5-7b-instruct", max_tokens=2))[1] == "length"


# --- every personality ----------------------------------------------------------------------------------


def test_generic_takes_any_model_and_counts_params(stub: Callable[..., str]) -> None:
    url = stub("generic")
    assert answer(post(url, model="whatever", temperature=0.2, max_tokens=1))[1] == "stop"  # no caps: as before
    post(url, model="x", tools=TOOLS, tool_choice=NAMED, response_format={"type": "json_object"})
    stats = fetch_stats(url)
    assert stats["credentials"] == [KEY]
    assert stats["params"] == {
        "temperature": 1, "max_tokens": 1, "tool_choice": 1, "tool_choice:function": 1,
        "response_format": 1, "response_format:json_object": 1,
    }


@pytest.mark.parametrize("personality", ["generic", "vllm", "ollama", "llamacpp-jinja", "lmstudio"])
def test_require_key(stub: Callable[..., str], personality: str) -> None:
    url = stub(personality, require_key=KEY)
    assert post(url, key="wrong", model="stub").status_code == 401
    assert post(url, model="stub").status_code == 200
    assert set(fetch_stats(url)["credentials"]) == {"wrong", KEY}
