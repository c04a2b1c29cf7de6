"""Whose failure a failed model call is: the candidate's (this prompt or this answer) or the endpoint's (every call).

`call_failure` sorts an exception raised by the chat model (after the openai client's own retries of 429, 5xx,
timeouts and connection errors) into one of two:

- **A candidate failure** (`CandidateFailure`: its kind below): the prompt or the answer is the problem, the next
  prompt may pass. The caller raises it as a ModelAnswerError, so the stage's critic loop rewrites or drops the
  candidate exactly as for an unparseable answer, and the kind is recorded in the `llm_call` event.
- **An endpoint failure** (`EndpointFailure`: what happened and the fix): the server, the key, the model or the
  account is the problem, so every other call would fail the same way. The run stops at once with the fix.

Candidate failures, by kind, from the providers' own documentation:
- content_filter: Azure OpenAI refuses a prompt its content filter flags with HTTP 400, error code
  `content_filter`, and ends a filtered answer with finish_reason `content_filter` in a 200
  (https://learn.microsoft.com/en-us/azure/ai-services/openai/concepts/content-filter, "Scenario details");
- invalid_prompt: OpenAI reasoning models answer HTTP 400 `invalid_prompt`, "your prompt was flagged as
  potentially violating our usage policy" (the message links
  https://platform.openai.com/docs/guides/reasoning#advice-on-prompting);
- context_length: the prompt does not fit the context: OpenAI `context_length_exceeded`, llama-server
  `exceed_context_size_error`, vLLM "maximum context length" (all HTTP 400);
- tool_use_failed: Groq answers HTTP 400 `tool_use_failed` when the model's tool call does not parse (with its
  `failed_generation`; e.g. https://github.com/groq/groq-typescript/issues/28);
- moderation: OpenRouter answers HTTP 403 with `error.metadata.flagged_input` for input a moderation flagged;
- provider_error: OpenRouter sends an error met while the model was answering in a 200 body (`{"error": {...}}`)
  or as finish_reason `error` (https://openrouter.ai/docs/api-reference/errors).

Anything else (401/403 credentials, 404 unknown model or wrong URL, 402 or `insufficient_quota`, a 5xx or a lost
connection past the retries, any other refusal) is the endpoint's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import openai

from personagen.agents.provider_errors import quota_exhausted

CANDIDATE_CODES = {"content_filter": "content_filter", "invalid_prompt": "invalid_prompt",
                   "context_length_exceeded": "context_length", "exceed_context_size_error": "context_length",
                   "tool_use_failed": "tool_use_failed"}
CONTEXT_MESSAGE = re.compile(r"maximum context length|context (length|window|size)|prompt is too long", re.I)
FINISH_KINDS = {"content_filter": "content_filter", "error": "provider_error"}  # a 200 that ended this way
QUOTA_CODES = ("insufficient_quota", "billing_hard_limit_reached")  # OpenAI: no credit left

#: what each candidate failure means, for messages and `personagen inspect`
CANDIDATE_MEANING = {
    "content_filter": "the server's content filter refused this prompt or answer",
    "invalid_prompt": "the model refused this prompt as potentially violating its usage policy",
    "context_length": "this prompt does not fit the model's context window",
    "tool_use_failed": "the server could not read the model's tool call",
    "moderation": "the provider's moderation flagged this prompt",
    "provider_error": "the provider reported an error while the model was answering",
}


@dataclass(frozen=True)
class CandidateFailure:
    kind: str
    detail: str


@dataclass(frozen=True)
class EndpointFailure:
    what: str
    fix: str


def error_body(exc: BaseException) -> dict[str, Any]:
    """The `error` object of a server's error answer (the SDK's `body` is that object, or holds it), else {}."""
    body = getattr(exc, "body", None)
    if isinstance(body, list) and body and isinstance(body[0], dict):  # Gemini wraps its error in a list
        body = body[0]
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    return body if isinstance(body, dict) else {}


def error_code(exc: BaseException) -> str:
    """The error's code (or, without one, its type/status), as text."""
    body = error_body(exc)
    for value in (getattr(exc, "code", None), body.get("code"), body.get("type"), body.get("status")):
        if value:
            return str(value)
    return ""


def body_error(exc: BaseException) -> dict[str, Any] | None:
    """The error object of a 200 whose body held an error instead of choices (OpenRouter); langchain-openai raises
    `ValueError(response["error"])` for such a body (ChatOpenAI._create_chat_result)."""
    if type(exc) is ValueError and exc.args and isinstance(exc.args[0], dict):
        return exc.args[0]
    return None


def call_failure(exc: BaseException) -> CandidateFailure | EndpointFailure:
    """Sort a failed call's exception (see the module docstring)."""
    if (inner := body_error(exc)) is not None:
        return CandidateFailure("provider_error", f"error in a 200 answer: {inner.get('message') or inner}")
    if isinstance(exc, openai.APIStatusError):
        return status_failure(exc)
    if isinstance(exc, openai.APITimeoutError):
        return EndpointFailure(f"the server did not answer in time, also after retries ({exc})",
                               "check that the server is running at that URL and not overloaded (raise `timeout` "
                               "or `max_retries` in [models.default], or lower --concurrency), then continue with "
                               "--resume")
    if isinstance(exc, openai.APIConnectionError):
        return EndpointFailure(f"lost the connection to the server, also after retries ({type(exc).__name__}: {exc})",
                               "check that the server is running at that URL, then continue with --resume")
    return EndpointFailure(f"{type(exc).__name__}: {exc}", "see `personagen doctor` for what the server accepts")


def status_failure(exc: openai.APIStatusError) -> CandidateFailure | EndpointFailure:
    """Sort an HTTP error answer by its status and error code."""
    status, code, body = exc.status_code, error_code(exc), error_body(exc)
    message = str(body.get("message") or exc.message)
    if status == 400 and code in CANDIDATE_CODES:
        return CandidateFailure(CANDIDATE_CODES[code], f"HTTP 400 {code}: {message}")
    if status == 400 and CONTEXT_MESSAGE.search(message):
        return CandidateFailure("context_length", f"HTTP 400: {message}")
    if status == 403 and isinstance(body.get("metadata"), dict) and "flagged_input" in body["metadata"]:
        return CandidateFailure("moderation", f"HTTP 403: {message}")
    what = f"HTTP {status}{' ' + code if code else ''}: {message}"
    if spent := quota_exhausted(status, exc.body):  # OpenAI's insufficient_quota, Gemini's per-day quota
        return EndpointFailure(what, spent)
    refused_key = status == 400 and "API_KEY_INVALID" in str(exc.body)  # Gemini's bad key is a 400
    return EndpointFailure(what, endpoint_fix(401 if refused_key else status, code))


def endpoint_fix(status: int, code: str) -> str:
    """What to change when the endpoint refuses every call."""
    if status == 401:
        return ("the server refused the key: check the variable that holds it (OPENAI_API_KEY for OpenAI, else the "
                "model's api_key_env or PERSONAGEN_API_KEY)")
    if status == 402 or code in QUOTA_CODES:
        return "the account has no credit or quota left: add credit or raise the quota, then continue with --resume"
    if status == 403:
        return "the key may not use this model or endpoint: check the key's permissions and the model name"
    if status == 404:
        return ("the server does not serve this model at this URL: check --model and --base-url "
                "(`personagen doctor` lists the models it serves)")
    if status == 429:
        return "the server kept refusing for rate limits after the retries: lower --concurrency, then --resume"
    if status >= 500:
        return "the server kept failing after the retries: check its logs, then continue with --resume"
    return "the server refuses the request itself: `personagen doctor` shows what it accepts"
