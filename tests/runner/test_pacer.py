"""The adaptive 429 pacer on a fake clock: pause on Retry-After, cut the rate, space requests, recover."""

from __future__ import annotations

import asyncio
import json
import random

import httpx2
import openai
import pytest

from personagen.throttle import MIN_RATE, Pacer, retry_after


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_retry_after_prefers_milliseconds_and_caps():
    assert retry_after({"retry-after-ms": "250", "retry-after": "1"}) == 0.25
    assert retry_after({"retry-after": "2"}) == 2.0
    assert retry_after({"retry-after": "9999"}) == 600.0
    assert retry_after({}) == 1.0


def test_pacer_is_free_until_a_429_then_paces_and_recovers():
    clock = Clock()
    pacer = Pacer("m", clock=clock, rng=random.Random(0))
    for _ in range(40):  # 40 successes in the last two seconds: ~20 requests/s
        pacer.observe(200, {})
        clock.now += 0.05
    assert pacer.delay() == 0 and pacer.rate is None
    pacer.observe(429, {"retry-after-ms": "500"})
    assert pacer.rate is not None and 10 <= pacer.rate <= 20
    waits = [pacer.delay() for _ in range(5)]
    assert waits[0] >= 0.49  # nobody goes before the Retry-After time
    gaps = [b - a for a, b in zip(waits, waits[1:], strict=False)]
    assert all(0.8 / pacer.rate < g < 1.2 / pacer.rate for g in gaps)  # spaced, with jitter
    pacer.observe(429, {"retry-after-ms": "10"})
    assert pacer.stats["cuts"] == 1  # at most one cut a second
    rate = pacer.rate
    for _ in range(100):
        pacer.observe(200, {})
    assert pacer.rate > rate  # additive increase
    assert pacer.report()["rate_limited"] == 2


GEMINI_429 = [{"error": {"code": 429, "message": "You exceeded your current quota, please check your plan and "
                         "billing details.", "status": "RESOURCE_EXHAUSTED", "details": [
    {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{
        "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
        "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]},
    {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"}]}}]
DAILY_429 = json.loads(json.dumps(GEMINI_429).replace("PerMinute", "PerDay"))
OPENAI_QUOTA = {"error": {"message": "You exceeded your current quota, please check your plan and billing details.",
                          "type": "insufficient_quota", "param": None, "code": "insufficient_quota"}}


def hooked(pacer: Pacer, response: httpx2.Response) -> httpx2.Response:
    asyncio.run(pacer.after_response(response))
    return response


def test_a_delay_in_the_body_pauses_and_reaches_the_sdk_as_retry_after():
    """Gemini's RetryInfo (https://ai.google.dev/gemini-api/docs/rate-limits): no header, the delay in the body."""
    clock = Clock()
    pacer = Pacer("gemini", clock=clock)
    response = hooked(pacer, httpx2.Response(429, json=GEMINI_429))
    assert pacer.pause_until == clock.now + 37 and response.headers["retry-after"] == "37.0"
    assert pacer.rate is not None and pacer.rate < 5 / 60  # below the free tier's 5 a minute, above the floor
    assert pacer.rate >= MIN_RATE and MIN_RATE <= 1 / 60


def test_a_long_retry_after_is_held_by_the_pacer_past_what_the_sdk_honours():
    clock = Clock()
    pacer = Pacer("m", clock=clock)
    response = hooked(pacer, httpx2.Response(429, json={}, headers={"retry-after": "300"}))
    assert response.headers["retry-after"] == "120.0"  # openai-python retries only up to 120 s
    assert pacer.pause_until == clock.now + 300 and pacer.delay() == 300


@pytest.mark.parametrize("body", [OPENAI_QUOTA, DAILY_429])
def test_a_spent_quota_is_not_retried(body):
    """The SDK obeys x-should-retry before anything else; the request goes out once and the error surfaces."""
    sent: list[int] = []

    def handler(request):
        sent.append(1)
        return httpx2.Response(429, json=body, headers={"retry-after": "1"})

    pacer = Pacer("m")
    client = httpx2.AsyncClient(transport=httpx2.MockTransport(handler),
                                event_hooks={"request": [pacer.before_request], "response": [pacer.after_response]})
    sdk = openai.AsyncOpenAI(api_key="k", base_url="http://test/v1", http_client=client, max_retries=6)
    with pytest.raises(openai.RateLimitError):
        asyncio.run(sdk.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}]))
    assert len(sent) == 1 and "quota" in pacer.quota


def test_a_per_minute_limit_is_retried():
    sent: list[int] = []

    def handler(request):
        sent.append(1)
        if len(sent) == 1:
            return httpx2.Response(429, json=json.loads(json.dumps(GEMINI_429).replace('"37s"', '"0.01s"')))
        return httpx2.Response(200, json={"id": "x", "object": "chat.completion", "created": 0, "model": "m",
                                          "choices": [{"index": 0, "finish_reason": "stop", "message": {
                                              "role": "assistant", "content": "hi"}}]})

    pacer = Pacer("m")
    client = httpx2.AsyncClient(transport=httpx2.MockTransport(handler),
                                event_hooks={"request": [pacer.before_request], "response": [pacer.after_response]})
    sdk = openai.AsyncOpenAI(api_key="k", base_url="http://test/v1", http_client=client, max_retries=2)
    asyncio.run(sdk.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}]))
    assert len(sent) == 2 and pacer.quota is None
