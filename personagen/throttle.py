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

A server that never answers 429 never sees the pacer act: it costs one clock read per request.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from typing import Any

MIN_RATE = 0.5  # requests per second
WINDOW_S = 2.0  # how far back successful answers are counted to estimate the server's rate
CUT_EVERY_S = 1.0
MAX_PAUSE_S = 60.0


def retry_after(headers: Any) -> float:
    """Seconds the server asks to wait (retry-after-ms, else Retry-After), 1.0 if it says nothing."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return min(MAX_PAUSE_S, max(0.0, float(value) / scale))
            except ValueError:
                continue
    return 1.0


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
        self.observe(response.status_code, response.headers)

    def observe(self, status: int, headers: Any) -> None:
        """Learn from one answer: a 429 cuts the rate and pauses, a success raises the rate."""
        now = self.clock()
        while self.oks and self.oks[0] < now - WINDOW_S:
            self.oks.popleft()
        if status == 429:
            self.stats["rate_limited"] += 1
            self.pause_until = max(self.pause_until, now + retry_after(headers))
            if now - self.last_cut >= CUT_EVERY_S:
                self.cut(now, retry_after(headers))
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
