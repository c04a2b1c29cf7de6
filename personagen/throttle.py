"""Adaptive pacing per model backend: survive a server that answers HTTP 429 (rate limited).

The openai client already retries 429, 5xx, timeouts and connection errors (`max_retries`, exponential
back-off with jitter), but on a 429 it sleeps exactly the server's `retry-after-ms`/`Retry-After`, so every
request that was turned away comes back at the same instant, is turned away again, and after `max_retries`
rounds the run fails. The `Pacer` fixes that from the HTTP layer (httpx event hooks on each backend's own client, so it
sees every attempt, retries included):

- on a 429 it pauses every request to that backend until the Retry-After time has passed, and switches to
  paced mode at a rate a little below the rate of successful answers just measured (multiplicative decrease,
  at most once a second);
- in paced mode each request waits for its own slot (`1/rate` apart, with a little jitter), so retries spread
  out instead of arriving together;
- every success raises the rate again by ~5% a second (additive increase), so a transient limit costs little;
  when the 429s came before any success (nothing to measure), it starts low and doubles every second until
  the next 429 (slow start).

Rate limits as providers send them:
- the delay may be in the body, not in a header: Google's Gemini endpoint sends a `google.rpc.RetryInfo`
  `retryDelay` (agents/provider_errors.py); the pacer reads it and hands it to the SDK as
  `Retry-After`, so the SDK's own retry waits as long;
- openai-python honours a Retry-After of up to two minutes and does not retry at all beyond that
  (`MAX_RETRY_AFTER_DELAY = 2 * 60` in openai/_constants.py, `_should_retry` in openai/_base_client.py): a longer
  one is handed to the SDK as two minutes while the pacer holds every request, the SDK's retry included, for the
  whole time (at most MAX_PAUSE_S);
- a spent quota (OpenAI's `insufficient_quota`, Google's per-day RESOURCE_EXHAUSTED) is not a rate limit: the
  pacer tells the SDK not to retry (`x-should-retry: false`, which the SDK obeys before anything else) and the
  error reaches the run at once;
- the rate floor is one request a minute, below the free tiers (Gemini's: 5-15 requests a minute,
  https://ai.google.dev/gemini-api/docs/rate-limits).

A server that never answers 429 never sees the pacer act: it costs one clock read per request.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import deque
from typing import Any

from personagen.agents.provider_errors import body_delay, quota_exhausted

MIN_RATE = 1.0 / 60  # requests per second: one a minute
WINDOW_S = 2.0  # how far back successful answers are counted to estimate the server's rate
CUT_EVERY_S = 1.0
MAX_PAUSE_S = 600.0  # the longest pause the pacer holds requests for
SDK_MAX_RETRY_AFTER_S = 120.0  # openai-python's MAX_RETRY_AFTER_DELAY


def retry_after(headers: Any, body: Any = None) -> float:
    """Seconds the server asks to wait (retry-after-ms, else Retry-After, else a RetryInfo in the body), 1.0 if it
    says nothing; at most MAX_PAUSE_S."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return min(MAX_PAUSE_S, max(0.0, float(value) / scale))
            except ValueError:
                continue
    delay = body_delay(body)
    return min(MAX_PAUSE_S, delay) if delay is not None else 1.0


async def read_body(response: Any) -> Any:
    """The JSON body of a (429) response, read in the hook (httpx keeps it for the SDK); None if not JSON."""
    try:
        await response.aread()
        return json.loads(response.content or b"null")
    except (ValueError, RuntimeError):
        return None


class Pacer:
    """AIMD request pacing for one backend, driven by its HTTP answers."""

    def __init__(self, name: str, clock=time.monotonic, rng: random.Random | None = None) -> None:
        self.name, self.clock, self.rng = name, clock, rng or random.Random()
        self.rate: float | None = None  # None: not paced
        self.pause_until = 0.0
        self.next_slot = 0.0
        self.last_cut = float("-inf")
        self.oks: deque[float] = deque()
        self.first_ok: float | None = None
        self.slow_start = False
        self.stats = {"rate_limited": 0, "paced_requests": 0, "cuts": 0, "min_rate": None}
        self.quota: str | None = None  # what to do about a spent quota, once one was seen

    def delay(self) -> float:
        """How long the next request must wait (and reserve its slot)."""
        now = self.clock()
        start = max(now, self.pause_until)
        if self.rate is None:
            return start - now
        slot = max(start, self.next_slot)
        self.next_slot = slot + (1.0 / self.rate) * (0.9 + 0.2 * self.rng.random())
        return slot - now

    async def before_request(self, request: Any) -> None:
        wait = self.delay()
        if wait > 0:
            self.stats["paced_requests"] += 1
            await asyncio.sleep(wait)

    async def after_response(self, response: Any) -> None:
        if response.status_code != 429:
            self.observe(response.status_code, response.headers)
            return
        body = await read_body(response)
        self.quota = quota_exhausted(429, body)
        if self.quota:  # no retry can help: the SDK raises the error at once
            response.headers["x-should-retry"] = "false"
            return
        wait = retry_after(response.headers, body)
        if wait > 1.0 or body_delay(body) is not None:  # the SDK waits as long (at most as long as it honours)
            response.headers["retry-after"] = str(round(min(wait, SDK_MAX_RETRY_AFTER_S), 3))
            response.headers.pop("retry-after-ms", None)
        self.observe(429, response.headers, wait)

    def observe(self, status: int, headers: Any, wait: float | None = None) -> None:
        """Learn from one answer: a 429 cuts the rate and pauses (`wait`, else its headers' delay), a success raises
        the rate."""
        now = self.clock()
        while self.oks and self.oks[0] < now - WINDOW_S:
            self.oks.popleft()
        if status == 429:
            wait = retry_after(headers) if wait is None else wait
            self.stats["rate_limited"] += 1
            self.pause_until = max(self.pause_until, now + wait)
            if now - self.last_cut >= CUT_EVERY_S:
                self.cut(now, wait)
        elif status < 400:
            self.first_ok = now if self.first_ok is None else self.first_ok
            self.oks.append(now)
            if self.rate is not None:
                # slow start doubles the rate each second; afterwards +5% a second (at least +1/s)
                self.rate += 1.0 if self.slow_start else max(1.0, 0.05 * self.rate) / self.rate

    def cut(self, now: float, wait: float) -> None:
        """Multiplicative decrease to 80% of the measured success rate.

        With nothing measured yet, it starts from one request per Retry-After interval (a token bucket asks
        for about 1/rate) and slow-starts from there.
        """
        span = min(WINDOW_S, max(0.25, now - self.first_ok)) if self.first_ok is not None else WINDOW_S
        measured = len(self.oks) / span
        self.slow_start = not measured
        base = measured or 1.0 / max(wait, 0.01)
        if self.rate is not None and measured:
            base = min(self.rate, measured)
        self.rate = max(MIN_RATE, 0.8 * base)
        self.next_slot = self.pause_until
        self.last_cut = now
        self.stats["cuts"] += 1
        self.stats["min_rate"] = round(min(self.rate, self.stats["min_rate"] or self.rate), 2)

    def report(self) -> dict[str, Any]:
        return {**self.stats, "rate": round(self.rate, 2) if self.rate else None}


def attach_pacers(handles: dict[str, Any]) -> dict[str, Pacer]:
    """One Pacer per distinct HTTP client of the model handles, hooked in through the client's event hooks.

    Handles whose chat model has no async HTTP client with event hooks (the embedded server, test fakes) are
    left alone. Returns the pacers by model name, for the summary.
    """
    pacers: dict[str, Pacer] = {}
    seen: set[int] = set()
    for handle in handles.values():
        client = getattr(getattr(handle, "chat", None), "http_async_client", None)
        hooks = getattr(client, "event_hooks", None)
        if client is None or not isinstance(hooks, dict) or id(client) in seen:
            continue
        seen.add(id(client))
        key = handle.name if handle.name not in pacers else f"{handle.name}#{len(pacers)}"
        pacer = pacers[key] = Pacer(key)
        client.event_hooks = {"request": [*hooks.get("request", []), pacer.before_request],
                              "response": [*hooks.get("response", []), pacer.after_response]}
    return pacers
