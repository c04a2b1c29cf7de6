"""The adaptive 429 pacer on a fake clock: pause on Retry-After, cut the rate, space requests, recover."""

from __future__ import annotations

import random

from personagen.throttle import Pacer, retry_after


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_retry_after_prefers_milliseconds_and_caps():
    assert retry_after({"retry-after-ms": "250", "retry-after": "1"}) == 0.25
    assert retry_after({"retry-after": "2"}) == 2.0
    assert retry_after({"retry-after": "9999"}) == 60.0
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
