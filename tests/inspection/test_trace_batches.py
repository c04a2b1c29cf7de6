"""The live trace prints its lines in batches, in order, none lost: at once without an event loop, within FLUSH_S on
one, and whatever is left when the trace closes or a note is printed."""

from __future__ import annotations

import asyncio
import io

from rich.console import Console

from personagen import trace
from personagen.agents.events import Event, parse_event
from personagen.trace import TerminalTrace


def retry(i: int) -> Event:
    return parse_event({"ts": 0.0, "persona_id": f"p{i:06d}", "agent": "base_critics", "type": "retry",
                        "stage": "base", "attempt": 1, "data": {"stage": "base", "reason": "r"}})


def traced(run) -> str:
    out = io.StringIO()
    with TerminalTrace(Console(file=out, width=100, color_system=None), 3) as t:
        run(t)
    return out.getvalue()


def test_without_an_event_loop_each_line_shows_at_once():
    seen = []
    traced(lambda t: [t.event(retry(i)) or seen.append(list(t.pending)) for i in range(3)])
    assert seen == [[], [], []]


def test_on_an_event_loop_lines_wait_for_the_batch_then_show_in_order(monkeypatch):
    monkeypatch.setattr(trace, "FLUSH_S", 0.01)

    async def run(t: TerminalTrace) -> None:
        for i in range(5):
            t.event(retry(i))
        assert len(t.pending) == 5
        await asyncio.sleep(0.05)
        assert t.pending == []
        t.event(retry(5))
        t.note("budget")  # a note comes after the lines before it

    text = traced(lambda t: asyncio.run(run(t)))
    ids = [line.split()[0] for line in text.splitlines() if line.startswith("p0")]
    assert ids == [f"p{i:06d}" for i in range(6)] and text.index("p000005") < text.index("note: budget")


def test_lines_still_pending_show_when_the_trace_closes():
    async def run(t: TerminalTrace) -> None:
        t.event(retry(7))
        t.persona({"id": "p000007", "status": "accepted"}, [{"emotion": "joy", "text": "a good day"}])

    text = traced(lambda t: asyncio.run(run(t)))
    assert "p000007" in text and "a good day" in text


def refresh_threads() -> int:
    import threading

    return sum(type(t).__name__ == "_RefreshThread" for t in threading.enumerate())


def test_a_live_bar_refreshes_only_where_it_shows():
    """`-q --json` (a quiet console) and a file or pipe show no live bar: no thread rebuilds it 10 times a second;
    a terminal does. Trace lines print either way."""
    before = refresh_threads()
    out = io.StringIO()
    for console, live in ((Console(file=out, quiet=True), False), (Console(file=out, width=100), False),
                          (Console(file=io.StringIO(), force_terminal=True), True)):
        with TerminalTrace(console, 3) as t:
            assert refresh_threads() - before == int(live)
            t.event(retry(1))
    assert out.getvalue().count("p000001") == 1  # the file console printed its line; the quiet one nothing
