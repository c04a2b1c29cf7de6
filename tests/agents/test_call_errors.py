"""Failed calls are sorted by whose failure they are (agents/call_errors.py), on the real client path
(LeanChatOpenAI, the openai SDK) against the stub answering as each provider documents: an error about one prompt
or answer fails that candidate (ModelAnswerError, with its kind); an error about the endpoint stops the run
(ModelCallError, with the fix)."""

from __future__ import annotations

import asyncio

import pytest
from langchain_core.messages import HumanMessage
from pydantic import BaseModel

from bench.stub_process import fetch_stats, start_stub
from personagen.agents.llm import ModelAnswerError, ModelCallError, ModelHandle, ask, close_handle
from personagen.backends.model_set import async_client
from personagen.backends.openai_compat import LeanChatOpenAI


class Note(BaseModel):
    """A short note."""

    text: str


def handle(url: str, key: str = "sk-test") -> ModelHandle:
    chat = LeanChatOpenAI(model="stub", base_url=url, api_key=key, max_retries=0, temperature=0.7,
                          http_async_client=async_client(4, 5.0))
    return ModelHandle("stub", chat, "function_calling", "openai")


def call(url: str, key: str = "sk-test", prompt: str = "Write a note about the rain.") -> Note:
    async def once():
        h = handle(url, key)
        try:
            return (await ask(h, [HumanMessage(prompt)], Note)).parsed
        finally:
            await close_handle(h)

    return asyncio.run(once())


@pytest.mark.parametrize(("fault", "kind"), [
    ("filter", "content_filter"), ("filtered_answer", "content_filter"), ("error_in_200", "provider_error"),
    ("context_length", "context_length"), ("invalid_prompt", "invalid_prompt"),
    ("tool_use_failed", "tool_use_failed"),
])
def test_a_fault_about_one_prompt_fails_that_candidate(fault, kind):
    with start_stub(latency=0.0, faults=f"{fault}=1.0") as (_, url):
        with pytest.raises(ModelAnswerError) as caught:
            call(url)
        assert fetch_stats(url)["faults"] == {fault: 1}
    assert caught.value.kind == kind and caught.value.prompt[0]["content"] == "Write a note about the rain."


def test_the_filter_refuses_the_same_prompts_every_time():
    prompts = [f"Write a note about day {i}." for i in range(60)]
    with start_stub(latency=0.0, filter_rate=0.3) as (_, url):
        def refused() -> set[str]:
            out = set()
            for p in prompts:
                try:
                    call(url, prompt=p)
                except ModelAnswerError:
                    out.add(p)
            return out

        first, second = refused(), refused()
    assert first == second and 5 <= len(first) <= 35


def test_a_refused_key_stops_with_the_fix():
    with start_stub(latency=0.0, personality="openai", models="stub", require_key="sk-right") as (_, url):
        with pytest.raises(ModelCallError) as caught:
            call(url, key="sk-wrong")
    message = str(caught.value)
    assert "HTTP 401" in message and "Fix:" in message and "OPENAI_API_KEY" in message
    assert "sk-wrong" not in message


def test_an_unknown_model_stops_with_the_fix():
    with start_stub(latency=0.0, personality="openai", models="gpt-4o-mini") as (_, url):
        with pytest.raises(ModelCallError) as caught:
            call(url)
    assert "HTTP 404" in str(caught.value) and "--model" in str(caught.value)


def test_a_server_gone_stops_with_the_fix():
    with start_stub(latency=0.0) as (proc, url):
        proc.kill()
        proc.wait()
        with pytest.raises(ModelCallError) as caught:
            call(url)
    message = str(caught.value)  # a refused connection or a timeout, depending on the HTTP client
    assert ("lost the connection" in message or "did not answer" in message) and "--resume" in message


GEMINI_DAILY = [{"error": {"code": 429, "message": "You exceeded your current quota, please check your plan and "
                           "billing details.", "status": "RESOURCE_EXHAUSTED", "details": [
    {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{
        "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
        "quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]}]}}]


@pytest.mark.parametrize(("body", "says"), [
    (GEMINI_DAILY, "daily request quota is spent (RESOURCE_EXHAUSTED, per day)"),  # ai.google.dev rate-limits
    ({"error": {"message": "You exceeded your current quota", "type": "insufficient_quota",
                "code": "insufficient_quota"}}, "quota is spent (insufficient_quota)"),
])
def test_a_spent_quota_stops_with_its_own_fix_not_the_rate_limit_one(body, says):
    import httpx2
    import openai

    from personagen.agents.call_errors import EndpointFailure, call_failure

    response = httpx2.Response(429, json=body, request=httpx2.Request("POST", "https://example.test/v1/chat"))
    failure = call_failure(openai.RateLimitError("quota", response=response, body=body))
    assert isinstance(failure, EndpointFailure) and says in failure.fix and "lower --concurrency" not in failure.fix
