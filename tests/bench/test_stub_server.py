"""The stub server through real clients: ChatOpenAI structured output, raw HTTP and the misbehaviour knobs."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import httpx
import openai
import pytest
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, Field

from bench.stub_process import fetch_stats
from bench.stub_server import start_stub


class Critique(BaseModel):
    """What a critic returns."""

    passed: bool = Field(description="accepted?")
    score: float = Field(ge=0, le=1, description="confidence")
    reasons: list[str] = Field(min_length=1, max_length=3, description="why")


class Expression(BaseModel):
    """A nested structured answer."""

    emotion: str = Field(description="target emotion")
    text: str = Field(max_length=200, description="first-person text")
    critique: Critique | None = Field(description="self check")


@pytest.fixture(scope="module")
def stub() -> Iterator[str]:
    with start_stub(latency=0.0) as (_proc, base_url):
        yield base_url


def chat(base_url: str, **kw) -> ChatOpenAI:
    return ChatOpenAI(base_url=base_url, api_key="stub", model="stub", timeout=10, **kw)


@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
def test_structured_output_parses(stub: str, method: str) -> None:
    model = chat(stub, max_retries=0).with_structured_output(Expression, method=method, include_raw=True)
    result = model.invoke("Write a joyful sentence.")
    assert result["parsing_error"] is None
    assert isinstance(result["parsed"], Expression)
    assert result["parsed"].critique is not None and result["parsed"].critique.passed is True
    usage = result["raw"].usage_metadata
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0


def test_answers_are_deterministic_per_messages(stub: str) -> None:
    model = chat(stub).with_structured_output(Expression, method="function_calling")
    first, again = model.invoke("persona 1"), model.invoke("persona 1")
    assert first == again
    assert model.invoke("persona 2") != first
    assert chat(stub).invoke("hi").content == chat(stub).invoke("hi").content


def test_plain_text_stream_and_json_object_schema(stub: str) -> None:
    assert chat(stub).invoke("hello").content.strip()
    assert "".join(c.content for c in chat(stub).stream("hello")) == chat(stub).invoke("hello").content
    client = openai.OpenAI(base_url=stub, api_key="stub", max_retries=0)
    fmt = {"type": "json_object", "schema": Critique.model_json_schema()}
    reply = client.chat.completions.create(
        model="stub", messages=[{"role": "user", "content": "x"}], response_format=fmt
    )
    Critique.model_validate_json(reply.choices[0].message.content)


def test_models_stats_and_keep_alive(stub: str) -> None:
    with httpx.Client(base_url=stub, timeout=10) as client:
        assert client.get("/models").json()["data"][0]["id"] == "stub"
        before = client.get("/stats").json()
        for i in range(20):
            body = {"model": "stub", "messages": [{"role": "user", "content": f"q{i}"}]}
            assert client.post("/chat/completions", json=body).status_code == 200
        after = client.get("/stats").json()
        assert client.get("/nope").status_code == 404
    assert after["requests"] - before["requests"] == 20
    assert after["connections"] - before["connections"] <= 1  # one keep-alive connection for all of them


def test_concurrent_load_is_not_serialised() -> None:
    async def burst(base_url: str, n: int) -> float:
        async with httpx.AsyncClient(
            base_url=base_url, timeout=10, limits=httpx.Limits(max_connections=n)
        ) as client:
            t0 = time.perf_counter()
            body = {"model": "stub", "messages": [{"role": "user", "content": "x"}]}
            replies = await asyncio.gather(*(client.post("/chat/completions", json=body) for _ in range(n)))
            assert all(r.status_code == 200 for r in replies)
            return time.perf_counter() - t0

    with start_stub(latency=0.2) as (_proc, base_url):
        asyncio.run(burst(base_url, 100))  # no clock: the server's own count of requests in flight tells
        assert fetch_stats(base_url)["max_in_flight"] > 50


def test_error_rate_gives_500() -> None:
    with start_stub(latency=0.0, error_rate=1.0) as (_proc, base_url):
        client = openai.OpenAI(base_url=base_url, api_key="stub", max_retries=0)
        with pytest.raises(openai.InternalServerError):
            client.chat.completions.create(model="stub", messages=[{"role": "user", "content": "x"}])
        assert fetch_stats(base_url)["status"] == {"500": 1}


def test_rate_limit_gives_429_with_retry_after() -> None:
    with start_stub(latency=0.0, rate_limit=2, burst=2) as (_proc, base_url):
        body = {"model": "stub", "messages": [{"role": "user", "content": "x"}]}
        with httpx.Client(base_url=base_url, timeout=10) as client:
            codes = [client.post("/chat/completions", json=body) for _ in range(4)]
        assert [r.status_code for r in codes[:2]] == [200, 200]
        limited = codes[-1]
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1 and int(limited.headers["retry-after-ms"]) > 0
        assert limited.json()["error"]["type"] == "rate_limit_exceeded"


def test_malformed_rate_breaks_tool_arguments() -> None:
    with start_stub(latency=0.0, malformed_rate=1.0) as (_proc, base_url):
        model = chat(base_url, max_retries=0).with_structured_output(
            Critique, include_raw=True, method="function_calling"
        )
        result = model.invoke("judge this")
        assert result["parsed"] is None
        raw_args = result["raw"].invalid_tool_calls[0]["args"]
        with pytest.raises(json.JSONDecodeError):
            json.loads(raw_args)


def test_malformed_answers_do_not_depend_on_arrival_order() -> None:
    """The same requests in two orders (as concurrency reorders them) get the same malformed answers; a request
    asked again draws anew."""
    prompts = [f"judge text {i}" for i in range(12)]

    def malformed(order: list[str]) -> dict[str, list[bool]]:
        seen: dict[str, list[bool]] = {p: [] for p in prompts}
        with start_stub(latency=0.0, malformed_rate=0.5, seed=3) as (_proc, base_url):
            client = openai.OpenAI(base_url=base_url, api_key="stub", max_retries=0)
            for prompt in order:
                answer = client.chat.completions.create(model="stub", messages=[{"role": "user", "content": prompt}],
                                                        response_format={"type": "json_object"})
                seen[prompt].append(answer.choices[0].message.content.endswith(',"'))  # cut short: stub_replies._dump
        return seen

    forward = malformed(prompts + prompts)
    assert forward == malformed(list(reversed(prompts)) * 2)
    firsts = [draws[0] for draws in forward.values()]
    assert any(firsts) and not all(firsts) and any(a != b for a, b in forward.values())


def test_errors_and_hangs_do_not_depend_on_arrival_order() -> None:
    """--error-rate and --timeout-rate are drawn per request with the seed, like the malformed answers: the same
    requests in two orders get the same 500s and hangs; a request asked again (a retry) draws anew."""
    prompts = [f"write text {i}" for i in range(12)]

    def outcomes(order: list[str], seed: int = 3) -> dict[str, list[str]]:
        seen: dict[str, list[str]] = {p: [] for p in prompts}
        with start_stub(latency=0.0, error_rate=0.4, timeout_rate=0.25, hang=30, seed=seed) as (_proc, base_url):
            client = openai.OpenAI(base_url=base_url, api_key="stub", max_retries=0, timeout=0.3)
            for prompt in order:
                try:
                    client.chat.completions.create(model="stub", messages=[{"role": "user", "content": prompt}])
                    seen[prompt].append("ok")
                except openai.InternalServerError:
                    seen[prompt].append("500")
                except openai.APITimeoutError:
                    seen[prompt].append("hung")
            stats = fetch_stats(base_url)
        assert stats["hung"] == sum(o.count("hung") for o in seen.values())
        return seen

    forward = outcomes(prompts + prompts)
    assert forward == outcomes(list(reversed(prompts)) * 2)
    firsts = {draws[0] for draws in forward.values()}
    assert firsts == {"ok", "500", "hung"} and any(a != b for a, b in forward.values())
    assert outcomes(prompts + prompts, seed=4) != forward  # the seed chooses them


def test_timeout_rate_hangs_past_client_timeout() -> None:
    with start_stub(latency=0.0, timeout_rate=1.0, hang=30) as (_proc, base_url):
        client = openai.OpenAI(base_url=base_url, api_key="stub", max_retries=0, timeout=0.5)
        with pytest.raises(openai.APITimeoutError):  # the stub answers only after 30 s: the client gave up first
            client.chat.completions.create(model="stub", messages=[{"role": "user", "content": "x"}])
        assert fetch_stats(base_url)["hung"] == 1


def test_start_stub_stops_the_child() -> None:
    with start_stub(latency=0.0) as (proc, _base_url):
        assert proc.poll() is None
    assert proc.poll() is not None
