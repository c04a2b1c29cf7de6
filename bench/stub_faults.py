"""Faults about one prompt or answer, as real providers send them, for the stub server (stdlib only).

    python bench/stub_server.py --filter-rate 0.02                     # Azure's prompt filter on 2% of prompts
    python bench/stub_server.py --faults filter=0.02,context_length=0.01,error_in_200=0.01

Each fault hits a share of chat requests chosen by a hash of the request's last user message (salted with the
fault's name), not by a random draw: the same prompt always gets the same answer, as a real content filter
refuses the same prompt every time, while a rewritten prompt (another attempt's examples, the critics'
feedback) is a new draw. Faults are checked in the order of FAULTS; the first that hits answers.

The shapes, each from its provider's documentation:
- filter: Azure OpenAI refuses a prompt its content filter flags with HTTP 400, error code `content_filter`, an
  `innererror` `ResponsibleAIPolicyViolation` and the `content_filter_result` per category
  (https://learn.microsoft.com/en-us/azure/ai-services/openai/concepts/content-filter, "Scenario details");
- filtered_answer: the same filter on the answer: HTTP 200, no content, finish_reason `content_filter`
  (same page: "non-streaming completions ... finish_reason value is set to content_filter");
- error_in_200: OpenRouter reports an error met while the model was answering in a 200 body, with the shape of
  its error responses, `{"error": {"code", "message", "metadata"}}`
  (https://openrouter.ai/docs/api-reference/errors: "the returned HTTP response status will be 200 and any
  error occurred while the LLM is producing the output will be emitted in the response body");
- context_length: OpenAI's HTTP 400 `context_length_exceeded` ("This model's maximum context length is ...");
- invalid_prompt: OpenAI reasoning models' HTTP 400 `invalid_prompt` (the message links
  https://platform.openai.com/docs/guides/reasoning#advice-on-prompting);
- tool_use_failed: Groq's HTTP 400 `tool_use_failed` with `failed_generation`
  (as reported in https://github.com/groq/groq-typescript/issues/28).
`after=N` holds the faults above back for the first N chat requests (a run that goes bad later). And one fault
about the endpoint, for runs that must stop at once: `revoked=N` answers every chat request after the first N with
OpenAI's HTTP 401 `invalid_api_key` (a key revoked mid-run).
"""

from __future__ import annotations

import argparse
import hashlib
from collections import Counter
from typing import Any

FAULTS = ("filter", "filtered_answer", "error_in_200", "context_length", "invalid_prompt", "tool_use_failed")
REVOKED = "revoked"  # revoked=N: the key stops working after N chat requests (an endpoint fault, not a prompt's)
AFTER = "after"  # after=N: the prompt faults start after the first N chat requests (a run that goes bad later)
AZURE_FILTER_MESSAGE = (
    "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please "
    "modify your prompt and retry. To learn more about our content filtering policies please read our "
    "documentation: https://go.microsoft.com/fwlink/?linkid=2198766"
)
CATEGORIES = ("hate", "self_harm", "sexual", "violence")


def add_fault_args(parser: argparse.ArgumentParser) -> None:
    """The stub's fault flags (stub_process.parse_args)."""
    parser.add_argument("--filter-rate", type=float, default=0.0,
                        help="share of prompts Azure's content filter refuses (HTTP 400 content_filter)")
    parser.add_argument("--faults", default="", help=f"KIND=SHARE,... with KIND one of {', '.join(FAULTS)}")


def parse_faults(spec: str, filter_rate: float = 0.0) -> dict[str, float]:
    """{fault: share} from "filter=0.02,context_length=0.01" (and --filter-rate); ValueError for a bad entry."""
    rates = {"filter": filter_rate} if filter_rate else {}
    for entry in filter(None, (e.strip() for e in spec.split(","))):
        name, _, share = entry.partition("=")
        if name not in (*FAULTS, REVOKED, AFTER):
            raise ValueError(f"--faults: unknown fault {name!r} (known: {', '.join(FAULTS)}, {REVOKED}, {AFTER})")
        rates[name] = float(share)
    return rates


def last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else repr(content)
    return ""


def hits(name: str, text: str, share: float) -> bool:
    """Whether fault `name` hits this prompt: a fixed function of the prompt, true for about `share` of them."""
    digest = hashlib.sha256(f"{name}\n{text}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


class Draws:
    """Draws that depend on the request, not on when it arrived: the n-th time a request (its digest) is asked for
    knob `name` gets a fixed draw of (seed, name, n). A concurrent client gets the same misbehaviour in any arrival
    order, and a request asked again (a retry) draws anew."""

    def __init__(self, seed: int) -> None:
        self.seed, self.asked = seed, Counter()

    def hit(self, name: str, digest: str, share: float) -> bool:
        self.asked[name, digest] += 1
        return hits(f"{name}/{self.seed}/{self.asked[name, digest]}", digest, share)


def error(message: str, code: str, kind: str = "invalid_request_error", **extra: Any) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code, **extra}}


def azure_filter_body() -> dict[str, Any]:
    result = {c: {"filtered": c == "violence", "severity": "medium" if c == "violence" else "safe"}
              for c in CATEGORIES}
    return {"error": {"message": AZURE_FILTER_MESSAGE, "type": None, "param": "prompt", "code": "content_filter",
                      "status": 400, "innererror": {"code": "ResponsibleAIPolicyViolation",
                                                    "content_filter_result": result}}}


def filtered_answer(payload: dict[str, Any]) -> dict[str, Any]:
    """A normal completion with its answer withheld by the filter."""
    choice = payload["choices"][0]
    choice["message"] = {"role": "assistant", "content": None}
    choice["finish_reason"] = "content_filter"
    choice["content_filter_results"] = {c: {"filtered": c == "violence", "severity": "medium" if c == "violence"
                                            else "safe"} for c in CATEGORIES}
    payload["usage"]["completion_tokens"] = 0
    payload["usage"]["total_tokens"] = payload["usage"]["prompt_tokens"]
    return payload


def fault_answer(name: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """(status, body) of fault `name`; `payload` is the answer the stub would have given."""
    if name == REVOKED:
        return 401, revoked_key_body()
    if name == "filter":
        return 400, azure_filter_body()
    if name == "filtered_answer":
        return 200, filtered_answer(payload)
    if name == "error_in_200":
        return 200, {"error": {"code": 502, "message": "Provider returned error",
                               "metadata": {"provider_name": "stub", "raw": "upstream model crashed"}}}
    if name == "context_length":
        tokens = payload["usage"]["prompt_tokens"]
        return 400, error(f"This model's maximum context length is {tokens - 1} tokens. However, your messages "
                          f"resulted in {tokens} tokens. Please reduce the length of the messages.",
                          "context_length_exceeded")
    if name == "invalid_prompt":
        return 400, error("Invalid prompt: your prompt was flagged as potentially violating our usage policy. "
                          "Please try again with a different prompt: "
                          "https://platform.openai.com/docs/guides/reasoning#advice-on-prompting", "invalid_prompt")
    return 400, error("Failed to call a function. Please adjust your prompt. See 'failed_generation' for more "
                      "details.", "tool_use_failed", failed_generation="<function=Texts>{\"texts\": [")


def revoked_key_body() -> dict[str, Any]:
    """OpenAI's answer to a key that no longer works: HTTP 401 `invalid_api_key`
    (https://platform.openai.com/docs/guides/error-codes, "401 - Incorrect API key provided")."""
    return error("Incorrect API key provided: sk-stub***. You can find your API key at "
                 "https://platform.openai.com/account/api-keys.", "invalid_api_key")


class Faults:
    """The faults a stub was started with; `pick` chooses the one (if any) a request gets."""

    def __init__(self, rates: dict[str, float]) -> None:
        self.rates = {name: rates[name] for name in FAULTS if rates.get(name)}
        self.revoked_after = int(rates[REVOKED]) if REVOKED in rates else None
        self.after = int(rates.get(AFTER, 0))
        self.requests = 0

    def pick(self, body: dict[str, Any]) -> str | None:
        self.requests += 1
        if self.revoked_after is not None and self.requests > self.revoked_after:
            return REVOKED
        if not self.rates or self.requests <= self.after:
            return None
        text = last_user_text(body)
        return next((name for name, share in self.rates.items() if hits(name, text, share)), None)
