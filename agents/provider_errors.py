"""Reading providers' error bodies: the server's own words, quota errors that no retry can fix, delays in the body.

A leaf module (it imports nothing of ours): the failed-call sorting of agents/call_errors.py, the probe
(personagen/backends/probe.py) and the request pacer (personagen/throttle.py) read bodies the same way.

Providers do not agree on an error's shape. OpenAI: `{"error": {"message", "type", "code", "param"}}`
(https://platform.openai.com/docs/guides/error-codes). LM Studio: `{"error": "text"}`. Google's Gemini OpenAI
endpoint wraps Google's own error in a list: `[{"error": {"code": 429, "message": ..., "status":
"RESOURCE_EXHAUSTED", "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"},
{"@type": "...QuotaFailure", "violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]}]}}]`
(https://ai.google.dev/gemini-api/docs/rate-limits, https://ai.google.dev/gemini-api/docs/troubleshooting; the
RetryInfo and QuotaFailure messages: https://cloud.google.com/apis/design/errors#error_details). A bad Gemini key
is a 400 whose details carry `"reason": "API_KEY_INVALID"`.

Quota errors stop a run at once (retrying cannot help): OpenAI's `insufficient_quota` (a 429: "You exceeded your
current quota, please check your plan and billing details"), and Google's RESOURCE_EXHAUSTED for a per-day quota.
A per-minute RESOURCE_EXHAUSTED is a rate limit: its RetryInfo delay is honoured.
"""

from __future__ import annotations

import json
import re
from typing import Any

DELAY = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")
DAILY = re.compile(r"per ?day|daily", re.IGNORECASE)


def error_object(body: Any) -> Any:
    """The error value of a body: `error` of a dict (or of the first item of a list, as Google sends)."""
    if isinstance(body, list) and body:
        body = body[0]
    if isinstance(body, dict) and "error" in body:
        return body["error"]
    return body


def body_message(body: Any) -> str | None:
    error = error_object(body)
    if isinstance(error, dict):
        message = error.get("message")
        return str(message) if message else None
    return error if isinstance(error, str) and error else None


def text_of(body: Any) -> str:
    try:
        return json.dumps(body)
    except (TypeError, ValueError):
        return str(body)


def quota_exhausted(status: int, body: Any) -> str | None:
    """What to do when the body says the account's quota is spent (not a rate limit): None otherwise."""
    if status != 429:
        return None
    error = error_object(body)
    code = error.get("code") if isinstance(error, dict) else None
    if code == "insufficient_quota":
        return ("the account's quota is spent (insufficient_quota): add credit or raise the limit in the "
                "provider's billing settings, then resume the run")
    text = text_of(body)
    if "RESOURCE_EXHAUSTED" in text and DAILY.search(text):
        return ("the daily request quota is spent (RESOURCE_EXHAUSTED, per day): wait for it to reset, use a "
                "key with a higher tier, or another model; then resume the run")
    return None


def body_delay(body: Any) -> float | None:
    """Seconds a body asks to wait (Google's RetryInfo `retryDelay`, e.g. "37s"), None when it names none."""
    error = error_object(body)
    details = error.get("details") if isinstance(error, dict) else None
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            match = DELAY.match(str(detail.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    return None


def bad_key(status: int, body: Any) -> bool:
    """The server refused the key: 401/403, or Google's 400 API_KEY_INVALID."""
    return status in (401, 403) or (status == 400 and "API_KEY_INVALID" in text_of(body))


def transient(status: int, message: str) -> bool:
    """Worth asking again after a pause: rate limits, gateways, overload; a 500 unless it names a parameter or
    flag (llama-server answers 500 to parameters it refuses, e.g. "tools param requires --jinja flag")."""
    if status in (408, 409, 429, 502, 503, 504, 529):
        return True
    return status >= 500 and not re.search(r"param|flag|--|must be|not supported|unsupported|invalid",
                                           message, re.IGNORECASE)
