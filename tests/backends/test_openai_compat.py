"""LeanChatOpenAI sends the same request body as ChatOpenAI (it only skips the SDK's transform)."""

from __future__ import annotations

import asyncio
import json

import httpx2
import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, Field

from personagen.backends.openai_compat import LeanChatOpenAI


class Verdict(BaseModel):
    reason: str = Field(description="why")
    plausible: bool


COMPLETION = {"id": "x", "object": "chat.completion", "created": 0, "model": "m",
              "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                  "role": "assistant", "content": None, "tool_calls": [{
                      "id": "c1", "type": "function",
                      "function": {"name": "Verdict", "arguments": '{"reason": "ok", "plausible": true}'}}]}}],
              "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}}


def sent_body(cls: type[ChatOpenAI]) -> tuple[dict, object]:
    seen: list[dict] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(json.loads(request.content))
        return httpx2.Response(200, json=COMPLETION)

    client = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    chat = cls(model="m", base_url="http://test/v1", api_key="k", http_async_client=client, max_retries=0)
    runnable = chat.bind_tools([Verdict], tool_choice="Verdict", parallel_tool_calls=False)
    message = asyncio.run(runnable.ainvoke([SystemMessage("be brief"), HumanMessage("Person: a nurse")]))
    return seen[0], message


def test_lean_request_body_equals_the_standard_one():
    lean, lean_msg = sent_body(LeanChatOpenAI)
    plain, plain_msg = sent_body(ChatOpenAI)
    assert lean == plain
    assert lean["messages"][1]["content"] == "Person: a nurse" and lean["tools"][0]["function"]["name"] == "Verdict"
    assert lean_msg.tool_calls[0]["args"] == plain_msg.tool_calls[0]["args"] == {"reason": "ok", "plausible": True}


def answer_of(cls: type[ChatOpenAI], status: int = 200, **chat_kw) -> tuple[list[dict], object]:
    """(request bodies seen, the message or the exception raised) of one tool call answered with `status`."""
    seen: list[dict] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(json.loads(request.content))
        body = COMPLETION if status == 200 else {"error": {"message": "bad schema", "type": "invalid_request_error"}}
        return httpx2.Response(status, json=body, headers={"x-test": "1"})

    client = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    chat = cls(model="m", base_url="http://test/v1", api_key="k", http_async_client=client, max_retries=0,
               **chat_kw)
    runnable = chat.bind_tools([Verdict], tool_choice="Verdict").bind(temperature=0.3, max_tokens=50, seed=7)
    try:
        return seen, asyncio.run(runnable.ainvoke([HumanMessage("Person: a nurse")]))
    except Exception as exc:  # noqa: BLE001 - compared by type below
        return seen, exc


def test_every_optional_field_reaches_the_body_unchanged():
    (lean,), _ = answer_of(LeanChatOpenAI)
    (plain,), _ = answer_of(ChatOpenAI)
    assert lean == plain and lean["temperature"] == 0.3 and lean["seed"] == 7
    assert lean["max_completion_tokens"] == 50


def test_answers_headers_and_errors_are_chatopenais():
    _, lean = answer_of(LeanChatOpenAI, include_response_headers=True)
    _, plain = answer_of(ChatOpenAI, include_response_headers=True)
    assert lean.tool_calls == plain.tool_calls and lean.usage_metadata == plain.usage_metadata
    assert lean.response_metadata == plain.response_metadata and lean.response_metadata["headers"]["x-test"] == "1"
    _, lean_error = answer_of(LeanChatOpenAI, status=400)
    _, plain_error = answer_of(ChatOpenAI, status=400)
    assert type(lean_error) is type(plain_error) and str(lean_error) == str(plain_error)


def invoke(cls: type[ChatOpenAI], config: dict | None = None) -> object:
    client = httpx2.AsyncClient(transport=httpx2.MockTransport(lambda r: httpx2.Response(200, json=COMPLETION)))
    chat = cls(model="m", base_url="http://test/v1", api_key="k", http_async_client=client, max_retries=0)
    runnable = chat.bind_tools([Verdict], tool_choice="Verdict")
    return asyncio.run(runnable.ainvoke([HumanMessage("Person: a nurse")], config))


def test_an_unobserved_call_returns_chatopenais_message():
    lean, plain = invoke(LeanChatOpenAI), invoke(ChatOpenAI)
    assert lean.model_dump(exclude={"id"}) == plain.model_dump(exclude={"id"})
    assert lean.id.startswith("lc_run-") and plain.id.startswith("lc_run-")


def test_an_observed_call_takes_langchains_path():
    from langchain_core.callbacks import BaseCallbackHandler

    class Seen(BaseCallbackHandler):
        starts = 0

        def on_chat_model_start(self, *args, **kwargs):
            Seen.starts += 1

    message = invoke(LeanChatOpenAI, {"callbacks": [Seen()]})
    assert Seen.starts == 1 and message.tool_calls[0]["args"] == {"reason": "ok", "plausible": True}


def test_a_configured_llm_cache_takes_langchains_path():
    from langchain_core.caches import InMemoryCache
    from langchain_core.globals import set_llm_cache

    cache = InMemoryCache()
    set_llm_cache(cache)
    try:
        invoke(LeanChatOpenAI)
    finally:
        set_llm_cache(None)
    assert cache._cache  # the answer went through the cache


THINKING = {**COMPLETION, "choices": [{"index": 0, "finish_reason": "stop", "message": {
    "role": "assistant", "content": '{"reason": "ok", "plausible": true}', "reasoning_content": "Let me think."}}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 700, "total_tokens": 705,
              "completion_tokens_details": {"reasoning_tokens": 690}}}


def reply_with(completion: dict, **chat_kw) -> tuple[list[dict], object]:
    """(bodies sent, message) of one plain call answered with `completion`."""
    seen: list[dict] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(json.loads(request.content))
        return httpx2.Response(200, json=completion)

    client = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    chat = LeanChatOpenAI(model="m", base_url="http://test/v1", api_key="k", http_async_client=client,
                          max_retries=0, **chat_kw)
    return seen, asyncio.run(chat.ainvoke([HumanMessage("Person: a nurse")], parallel_tool_calls=False))


def test_without_the_protected_names_every_call_takes_chatopenais_public_path(monkeypatch):
    """LEAN is False when a protected name of langchain_openai/langchain_core is missing (a renamed helper): the
    same request goes out through ChatOpenAI's own ainvoke/_agenerate, and the answer reads the same."""
    from personagen.backends import openai_compat

    lean_bodies, lean_msg = answer_of(LeanChatOpenAI)
    monkeypatch.setattr(openai_compat, "LEAN", False)
    monkeypatch.setattr(openai_compat, "_gen_info_and_msg_metadata", None)  # would raise if the lean path ran
    public_bodies, public_msg = answer_of(LeanChatOpenAI)
    assert public_bodies == lean_bodies
    assert public_msg.tool_calls == lean_msg.tool_calls and public_msg.usage_metadata == lean_msg.usage_metadata


def test_reasoning_content_is_kept_on_both_paths(monkeypatch):
    """ChatOpenAI drops reasoning_content; the override keeps it, lean path or not, and the reasoning tokens of the
    usage arrive as output_token_details (ChatOpenAI's public usage metadata)."""
    from personagen.backends import openai_compat

    _, lean = reply_with(THINKING)
    monkeypatch.setattr(openai_compat, "LEAN", False)
    _, public = reply_with(THINKING)
    for message in (lean, public):
        assert message.additional_kwargs["reasoning_content"] == "Let me think."
        assert message.usage_metadata["output_token_details"]["reasoning"] == 690
    _, plain_chatopenai = (None, asyncio.run(ChatOpenAI(
        model="m", base_url="http://test/v1", api_key="k", max_retries=0,
        http_async_client=httpx2.AsyncClient(transport=httpx2.MockTransport(
            lambda r: httpx2.Response(200, json=THINKING)))).ainvoke([HumanMessage("x")])))
    assert "reasoning_content" not in plain_chatopenai.additional_kwargs  # why the override exists


def test_disabled_params_leave_the_body_also_when_passed_per_call():
    """o1/o3/o4-mini refuse parallel_tool_calls (personagen/backends/endpoint.py); agents pass it per call."""
    (sent,), _ = reply_with(COMPLETION, disabled_params={"parallel_tool_calls": None})
    (kept,), _ = reply_with(COMPLETION)
    assert "parallel_tool_calls" not in sent and kept["parallel_tool_calls"] is False


SHAPES = {  # answers whose message ChatOpenAI fills from openai's ChatCompletion defaults
    "refusal_logprobs": {**COMPLETION, "choices": [{"index": 0, "finish_reason": "stop", "logprobs": {"content": []},
                                                    "message": {"role": "assistant", "content": None,
                                                                "refusal": "I can't help with that"}}]},
    "usage_details": {**COMPLETION, "system_fingerprint": "fp", "service_tier": "default",
                      "usage": {**COMPLETION["usage"], "prompt_tokens_details": {"cached_tokens": 2}, "cost": 0.1}},
    "no_usage_two_choices": {"id": "x", "model": "m", "choices": [
        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hi", "reasoning": "r"}},
        {"index": 1, "finish_reason": "length", "message": {"role": "assistant", "content": "x"}}]},
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_lean_answer_is_chatopenais_message_whatever_the_server_sent(shape):
    """The lean path reads the JSON without building openai's ChatCompletion: the message still equals ChatOpenAI's
    (the defaults that model fills in: refusal, logprobs, usage details, fingerprint)."""
    def message(cls: type[ChatOpenAI]) -> object:
        client = httpx2.AsyncClient(transport=httpx2.MockTransport(lambda r: httpx2.Response(200, json=SHAPES[shape])))
        chat = cls(model="m", base_url="http://test/v1", api_key="k", http_async_client=client, max_retries=0)
        return asyncio.run(chat.ainvoke([HumanMessage("Person: a nurse")]))

    lean, plain = message(LeanChatOpenAI), message(ChatOpenAI)
    assert lean.model_dump(exclude={"id", "additional_kwargs"}) == plain.model_dump(exclude={"id", "additional_kwargs"})
    assert lean.additional_kwargs.get("refusal") == plain.additional_kwargs.get("refusal")


@pytest.mark.parametrize(("content_type", "body"), [("text/plain", json.dumps(COMPLETION)),
                                                    ("text/html", "<html>gateway</html>")])
def test_a_body_under_another_content_type_reads_as_chatopenai_reads_it(content_type, body):
    """JSON under a non-JSON content type parses; an HTML page raises ChatOpenAI's own error."""
    def outcome(cls: type[ChatOpenAI]) -> object:
        client = httpx2.AsyncClient(transport=httpx2.MockTransport(
            lambda r: httpx2.Response(200, content=body.encode(), headers={"content-type": content_type})))
        chat = cls(model="m", base_url="http://test/v1", api_key="k", http_async_client=client, max_retries=0)
        try:
            return asyncio.run(chat.ainvoke([HumanMessage("x")])).model_dump(exclude={"id"})
        except Exception as exc:  # noqa: BLE001 - compared below
            return type(exc), str(exc)

    assert outcome(LeanChatOpenAI) == outcome(ChatOpenAI)
