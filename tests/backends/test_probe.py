"""The probe cannot be fooled and tolerates trouble (personagen/backends/probe.py): forcing counts only when the
server honours it, the largest real schema must parse, 429/5xx are asked again, a slow mode is skipped, only an
unreachable server is "cannot reach", quota and key errors stop with their fix, thinking models get their cap.

The servers here are httpx mock transports answering as the cited servers do (bench/stub_personalities.py and
agents/provider_errors.py cite the docs); no network."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx2
import pytest

from bench.stub_replies import completion_payload, ramble
from personagen.backends import probe as probe_module
from personagen.backends.endpoint import BackendUnavailable, Endpoint
from personagen.backends.model_set import make_chat, make_handle
from personagen.backends.probe import probe
from personagen.backends.probe_schemas import largest_schema
from personagen.settings import ConfigError, ModelSettings

Handler = Callable[[dict], httpx2.Response]


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch):
    monkeypatch.setattr(probe_module, "BACKOFF_S", (0.0, 0.0, 0.0))
    monkeypatch.setattr(probe_module.time, "sleep", lambda s: None)


def run_probe(handler: Handler, model: str = "m", s: ModelSettings | None = None, timeout: float = 5.0,
              url: str = "http://server.test/v1"):
    """The probe against a mock server; also returns the request bodies it saw."""
    seen: list[dict] = []

    def transport(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        seen.append(body)
        return handler(body)

    s = s or ModelSettings()
    endpoint = Endpoint("openai-compatible", url, "k")

    def handle_for(mode, adjust):
        chat = make_chat(endpoint, model, s, adjust, timeout=timeout, max_retries=0,
                         http_client=httpx2.Client(transport=httpx2.MockTransport(transport)))
        return make_handle(endpoint, model, s, mode, chat)

    modes = probe_module.METHODS if s.structured_output in (None, "auto") else (s.structured_output,)  # pinned
    return probe(handle_for, url, model, modes, timeout=timeout, large=largest_schema(2)), seen


def answer(body: dict, kind: str | None = None) -> httpx2.Response:
    return httpx2.Response(200, json=completion_payload(body, kind=kind)[0])


def test_forcing_counts_only_when_the_forced_tool_is_called():
    """A server that ignores tool_choice, whose model calls the first (fitting) tool of its own accord: function
    calling is refused, json_schema chosen. A server that honours it: function calling chosen, and the forced
    tool was the second of two."""
    ignoring, _ = run_probe(lambda body: answer(body, "auto_call" if body.get("tools") else None))
    assert ignoring.chosen == "json_schema"
    assert "called ReportApples, not the forced ProbeAnswer" in ignoring.results[0].detail
    honouring, seen = run_probe(answer)
    assert honouring.chosen == "function_calling"
    assert [t["function"]["name"] for t in seen[0]["tools"]] == ["ReportApples", "ProbeAnswer"]
    assert seen[0]["tool_choice"]["function"]["name"] == "ProbeAnswer"


def test_the_largest_real_schema_must_parse_too():
    """A server that answers the toy schema but refuses the real one in every mode: no mode is chosen."""
    def handler(body):
        if "family_structure" in json.dumps(body):  # a field of the largest schema (Enrichment)
            return httpx2.Response(400, json={"error": {"message": "schema too complex", "type": "invalid_request"}})
        return answer(body)

    report, seen = run_probe(handler)
    assert report.chosen is None
    assert all("HTTP 400: schema too complex" in r.detail for r in report.results)
    assert any("family_structure" in json.dumps(body) for body in seen)


def test_rate_limits_and_server_errors_are_asked_again():
    statuses = iter([429, 503, 502])

    def handler(body):
        status = next(statuses, 200)
        if status != 200:
            return httpx2.Response(status, json={"error": {"message": "busy", "type": "server_error"}},
                                   headers={"retry-after": "1"})
        return answer(body)

    report, seen = run_probe(handler)
    assert report.chosen == "function_calling" and len(seen) == 5  # 3 refused, then the two questions


def test_a_mode_that_does_not_answer_in_time_is_skipped_as_too_slow_and_the_next_is_tried():
    def handler(body):
        if body.get("tools"):
            raise httpx2.ReadTimeout("timed out")
        return answer(body)

    report, _ = run_probe(handler, timeout=3.0)
    assert report.chosen == "json_schema"
    assert report.results[0].detail.startswith("too slow (no answer in 3 s")


def test_only_an_unreachable_server_is_cannot_reach():
    def handler(body):
        raise httpx2.ConnectError("connection refused")

    with pytest.raises(BackendUnavailable, match="cannot reach the model server"):
        run_probe(handler)


def test_a_spent_quota_stops_at_once_with_the_fix():
    """OpenAI's insufficient_quota (https://platform.openai.com/docs/guides/error-codes) is a 429, not a rate limit."""
    seen: list[int] = []

    def handler(body):
        seen.append(1)
        return httpx2.Response(429, json={"error": {"message": "You exceeded your current quota, please check your "
                                                    "plan and billing details.", "type": "insufficient_quota",
                                                    "param": None, "code": "insufficient_quota"}})

    with pytest.raises(BackendUnavailable, match="quota is spent"):
        run_probe(handler)
    assert len(seen) == 1


def test_a_bad_gemini_key_is_a_key_error_not_a_jinja_hint():
    """Gemini's OpenAI endpoint: 400 with a list-wrapped Google error whose reason is API_KEY_INVALID
    (https://ai.google.dev/gemini-api/docs/troubleshooting)."""
    body = [{"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
                       "status": "INVALID_ARGUMENT", "details": [{
                           "@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                           "domain": "googleapis.com"}]}}]
    with pytest.raises(ConfigError, match="refused our credentials .*API key not valid") as err:
        run_probe(lambda b: httpx2.Response(400, json=body))
    assert "jinja" not in str(err.value)


def thinking_server(reasoning: int) -> Handler:
    """Answers as a thinking model served by vLLM with a reasoning parser: `reasoning` tokens in
    reasoning_content before each answer, counted against max_tokens (the cap)."""
    def handler(body):
        payload, _ = completion_payload(body)
        cap = body.get("max_tokens") or body.get("max_completion_tokens")
        message = payload["choices"][0]["message"]
        message["reasoning_content"] = "Let me think. " * 4
        payload["usage"]["completion_tokens"] += reasoning
        payload["usage"]["completion_tokens_details"] = {"reasoning_tokens": reasoning}
        if cap is not None and cap < reasoning + 50:
            message.update(content="", tool_calls=None)
            message.pop("tool_calls")
            payload["choices"][0]["finish_reason"] = "length"
        return httpx2.Response(200, json=payload)

    return handler


def test_a_thinking_model_unknown_by_name_gets_a_cap_that_holds_its_reasoning():
    report, seen = run_probe(thinking_server(700), model="my-finetune")
    assert report.chosen == "function_calling" and report.adjust == {"thinking": True}
    assert seen[0]["max_tokens"] == 600 and seen[-1]["max_tokens"] == 8000


def test_a_thinking_model_known_by_name_starts_with_the_large_cap():
    report, seen = run_probe(thinking_server(700), model="Qwen/Qwen3-8B")
    assert report.chosen == "function_calling" and "thinking" not in report.adjust
    assert all(body["max_tokens"] == 8000 for body in seen)


def test_short_reasoning_marks_the_model_as_thinking_without_asking_again():
    report, seen = run_probe(thinking_server(100), model="my-finetune")
    assert report.adjust == {"thinking": True} and len(seen) == 2


def rambling_server(hidden_reasoning: int = 0) -> Handler:
    """A model that writes on past the cap: each answer repeats its first value until max_tokens cuts it, visible
    in the content or the tool call, finish_reason "length" (OpenAI's chat object: "length" when the maximum number
    of tokens in the request was reached, https://platform.openai.com/docs/api-reference/chat/object; llama-server
    likewise when n_predict is reached). No reasoning field and no reasoning tokens: llama-server reports them only
    for a model whose template thinks (`--reasoning-format`, tools/server/README.md). `hidden_reasoning`: instead,
    a model whose reasoning is neither shown nor counted in the usage spends that many tokens of the cap first
    (OpenAI's o-series show no reasoning text, https://platform.openai.com/docs/guides/reasoning)."""
    def handler(body):
        payload, _ = completion_payload(body)
        ramble(payload, body.get("max_tokens") or body.get("max_completion_tokens"), hidden_reasoning or None)
        payload["usage"].pop("completion_tokens_details", None)  # reasoning not reported
        return httpx2.Response(200, json=payload)

    return handler


def test_a_model_writing_past_the_cap_is_not_a_thinking_model():
    """Every answer cut at 600 with visible output and no reasoning: no mode gets a larger cap, each is judged on
    its cut answer (one question per mode), and the report says so with the fix."""
    report, seen = run_probe(rambling_server(), model="gemma-3-270m")
    assert "thinking" not in report.adjust and report.chosen is None
    assert [body["max_tokens"] for body in seen] == [600, 600, 600]
    assert all("cut off at the output cap" in r.detail for r in report.results)
    assert "run past the output cap of 600 tokens" in report.line() and "raise max_tokens" in report.line()
    assert "raise max_tokens" in str(probe_module.no_mode_error(report))


def test_a_cap_spent_on_hidden_reasoning_still_marks_a_thinking_model():
    """Cut with nothing visible, no reasoning shown or counted: the cap went on hidden reasoning; asked again with
    the large cap, the answer parses. In json_schema the openai SDK raises LengthFinishReasonError on the cut
    answer; it is read the same way."""
    for pinned in (None, "json_schema"):
        report, seen = run_probe(rambling_server(hidden_reasoning=700), model="my-proxy-model",
                                 s=ModelSettings(structured_output=pinned))
        assert report.adjust == {"thinking": True} and report.finding is None
        assert seen[0]["max_tokens"] == 600 and seen[-1]["max_tokens"] == 8000


def test_a_cut_json_schema_answer_with_reasoning_marks_a_thinking_model():
    """vLLM's reasoning_content on an answer the SDK refuses to parse (json_schema, finish_reason "length")."""
    report, seen = run_probe(thinking_server(700), model="my-finetune",
                             s=ModelSettings(structured_output="json_schema"))
    assert report.chosen == "json_schema" and report.adjust == {"thinking": True}
    assert seen[0]["max_tokens"] == 600 and seen[-1]["max_tokens"] == 8000
