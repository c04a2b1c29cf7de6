"""The live terminal view of a run: a progress bar and a compact trace of each agent's decisions.

All rendering of run events lives here; it consumes the typed event models (agents/events.py) the run's sink hands
on, the same that go to events.jsonl (validated once, when they were made).

Trace lines are printed in batches, at most `FLUSH_S` after the first line of a batch (a timer on the run's event
loop), in the order they happened: each `console.print` under a live progress bar redraws the bar, and one print per
line cost ~0.4 ms of CPU per line (~0.8 ms per model call), one per batch ~0.06 ms per line (docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from personagen.agents.events import (
    DropEvent,
    ErrorEvent,
    Event,
    LlmCallEvent,
    OutputEvent,
    RetryEvent,
    SampleEvent,
    ScenarioData,
    SocioData,
    VerdictEvent,
)
from personagen.personas.models import Stage

WIDTH = 90
FLUSH_S = 0.2  # the longest a trace line waits before it is shown


def short(text: Any, width: int = WIDTH) -> str:
    text = " ".join(str(text).split())
    return escape(text if len(text) <= width else text[: width - 1] + "…")


def describe_event(event: Event) -> str | None:
    """One trace line for an event, or None for events too fine-grained to show live."""
    data, who = event.data, f"[dim]{event.persona_id or '-'}[/]"
    if isinstance(event, SampleEvent):
        fields = f"{data.age} {data.gender}, {data.occupation}, {data.mbti}"
        return f"{who} [cyan]sampled[/]  {short(fields)} [dim](try {event.attempt})[/]"
    if isinstance(event, VerdictEvent):
        return verdict_line(who, event)
    if isinstance(event, OutputEvent) and isinstance(data, SocioData | ScenarioData):
        text = data.description if isinstance(data, ScenarioData) else f"{data.education}; {data.residence}"
        return f"{who} [blue]{event.agent}[/] {short(text, 70)}"
    if isinstance(event, RetryEvent):
        return f"{who} [yellow]↻ {data.stage}[/] rewrite/resample"
    if isinstance(event, DropEvent):
        return f"{who} [red]dropped {data.stage}[/]: {short('; '.join(data.reasons), 70)}"
    if isinstance(event, ErrorEvent):
        return f"{who} [bold red]error[/] {event.agent}: {short(data.message, 80)}"
    return None


def verdict_line(who: str, event: VerdictEvent) -> str | None:
    """A critic's verdict; passed verdicts on texts are left out (too many)."""
    verdict, name = event.data, event.data.critic
    if verdict.passed:
        return None if verdict.stage == Stage.EXPRESSION else f"{who} [green]✓ {name}[/] {verdict.score:.2f}"
    if verdict.advisory:
        return f"{who} [yellow]~ {name}[/] [dim](advisory)[/] {short('; '.join(verdict.reasons), 60)}"
    return f"{who} [red]✗ {name}[/] {short('; '.join(verdict.reasons), 70)}"


def shows_live(console: Console) -> bool:
    """Whether a live progress bar would show on `console`: not when it is quiet (`-q --json`), nor on a file or pipe
    (rich draws a transient bar only on a terminal or in Jupyter), where its refresh thread would build the bar 10
    times a second for nothing (~1 ms each)."""
    return not console.quiet and (console.is_terminal or console.is_jupyter)


class TerminalTrace:
    """Observer that draws the run on a rich console (stderr when stdout is reserved for --json)."""

    def __init__(self, console: Console, total: int, *, trace: bool = True) -> None:
        self.console, self.trace = console, trace
        self.progress = Progress(TextColumn("[bold]personas"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[texts]} texts, {task.fields[dropped]} dropped"),
                                 TextColumn("{task.fields[cost]}"), TimeElapsedColumn(), console=console,
                                 transient=True, disable=not shows_live(console))
        self.task = self.progress.add_task("run", total=total, texts=0, dropped=0, cost="")
        self.texts = self.dropped = 0
        self.cost: float | None = None  # USD of the priced model calls seen (events carry their cost)
        self.pending: list[str] = []

    def __enter__(self) -> TerminalTrace:
        self.progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.flush()
        self.progress.stop()

    def show(self, line: str) -> None:
        """Queue a trace line; the first of a batch schedules the batch's print (now, without an event loop)."""
        self.pending.append(line)
        if len(self.pending) > 1:
            return
        try:
            asyncio.get_running_loop().call_later(FLUSH_S, self.flush)
        except RuntimeError:
            self.flush()

    def flush(self) -> None:
        """Print the queued trace lines, as one block."""
        if self.pending:
            block, self.pending = "\n".join(self.pending), []
            self.progress.console.print(block, highlight=False)

    def note(self, text: str) -> None:
        self.flush()
        self.console.print(f"[yellow]note:[/] {escape(text)}")

    def planned(self, todo: int) -> None:
        """The personas this process will run (fewer than requested for a shard or a resume)."""
        self.progress.update(self.task, total=todo)

    def event(self, e: Event) -> None:
        if isinstance(e, LlmCallEvent) and e.cost is not None:
            self.cost = (self.cost or 0.0) + e.cost
        if self.trace and (line := describe_event(e)):
            self.show(line)

    def persona(self, row: dict[str, Any], records: list[dict[str, Any]]) -> None:
        self.texts += len(records)
        self.dropped += row["status"] == "dropped"
        cost = "" if self.cost is None else f"${self.cost:.4f}" + (f" (${self.cost / self.texts:.5f}/text)"
                                                                  if self.texts else "")
        self.progress.update(self.task, advance=1, texts=self.texts, dropped=self.dropped, cost=cost)
        if self.trace and records:
            for r in records[:2]:
                self.show(f"[dim]{row['id']}[/] [magenta]{r['emotion']}[/] {short(r['text'], 80)}")


def summary_table(folder: str, s: dict[str, Any]) -> Table:
    """The end-of-run table: outcome, counts, acceptance per critic, calls and tokens."""
    colour = {"finished": "green", "failed": "red", "interrupted": "yellow", "short": "yellow"}.get(s["status"],
                                                                                                  "white")
    table = Table(title=f"run {folder}: [{colour}]{s['status']}[/]", show_header=True, title_justify="left")
    table.add_column("what")
    table.add_column("value", justify="right")
    p, t = s["personas"], s["texts"]
    table.add_row("personas accepted / requested", f"{p['accepted']} / {p['requested']} ({p['dropped']} dropped)")
    kept = f", {t['kept']} kept after curation" if "kept" in t else ""
    table.add_row("texts accepted", f"{t['accepted']} ({t['dropped']} dropped{kept})")
    if t.get("lost_to_errors"):  # slots lost to failed model calls, not to critics (status short above the limit)
        kinds = ", ".join(f"{k} {n}" for k, n in (s.get("model_errors") or {}).items())
        table.add_row("text slots lost to model errors",
                      f"{t['lost_to_errors']} of {t['requested']} ({s['error_share']:.1%}; failed answers: {kinds})")
    if q := s.get("quota"):  # a --texts run
        kept = ", ".join(f"{e} {c['counted']}/{c['quota']}" for e, c in q["per_emotion"].items())
        table.add_row(f"texts kept / quota ({q['rounds']} rounds)", kept)
    for name, c in s["critics"].items():
        table.add_row(f"critic {name}", critic_outcome(c))
    table.add_row("model calls / tokens", f"{s['calls']} / {s['tokens']}")
    if s.get("tokens_reasoning"):  # of the output tokens, spent on reasoning (as the servers reported it)
        by_agent = ", ".join(f"{name} {int(a['tokens_reasoning'])}" for name, a in s["agents"].items()
                             if a.get("tokens_reasoning"))
        table.add_row("of which reasoning tokens", f"{s['tokens_reasoning']} ({by_agent})")
    table.add_row("calls, tokens per text", f"{s['calls_per_text']}, {s['tokens_per_text']}")
    for what, value in cost_rows(s):
        table.add_row(what, value)
    table.add_row("wall time", f"{s['wall_s']:.1f} s")
    return table


def critic_outcome(c: dict[str, Any]) -> str:
    """One critic's verdicts in summary.json's counts. An advisory critic's failed verdicts are advice, not
    rejections: its share is of the texts it advised against, and it rejected nothing. (A summary.json written
    before `advisory` was recorded: a critic that advised and rejected nothing.)"""
    advised = c.get("advised_against") or 0
    if c.get("advisory", advised and not c["rejected"]):
        return f"advisory: {advised} of {advised + c['passed']} advised against, none rejected"
    also = f", {advised} advised against" if advised else ""
    return f"{c['passed']} passed, {c['rejected']} rejected{also} ({c['acceptance']:.0%})"


def cost_rows(s: dict[str, Any]) -> list[tuple[str, str]]:
    """The summary table's cost lines: total and per kept text, by agent, and the cap (docs/costs.md)."""
    if s.get("cost") is None:
        unpriced = ", ".join(a for a, p in (s.get("prices") or {}).items() if p is None)
        return [("cost", f"not priced ({unpriced}): set price_in_per_mtok / price_out_per_mtok (docs/costs.md)")]
    per_text = f"${s['cost_per_text']:.5f}" if s.get("cost_per_text") is not None else "-"
    rows = [("cost (USD), per kept text", f"${s['cost']:.4f}, {per_text}")]
    by_agent = [(name, a["cost"]) for name, a in s["agents"].items() if a.get("cost")]
    if by_agent:
        by_agent.sort(key=lambda item: -item[1])
        rows.append(("cost by agent", ", ".join(f"{name} ${cost:.4f}" for name, cost in by_agent)))
    if cap := s.get("cost_cap"):
        rows.append(("cost cap", f"${cap['spent']:.4f} of ${cap['max_cost']:g} counted (probes ${cap['probes']:.4f})"))
    if batch := s.get("batch"):  # batch mode (docs/batch.md)
        rows.append(("batch mode", batch_line(batch, s.get("prices") or {})))
    return rows


def batch_line(b: dict[str, Any], prices: dict[str, Any]) -> str:
    """Batches and requests of this process, answers read back from the run folder, the discount counted."""
    off = sorted({p["batch_discount"] for p in prices.values() if p and "batch price" in p.get("source", "")})
    price = f"batch price, {', '.join(f'{d:.0%}' for d in off)} off" if off else "no batch discount known"
    left = f", {len(b['in_flight'])} left running" if b.get("in_flight") else ""
    return (f"{b['batches']} batches, {b['requests']} requests ({b['requests_per_batch']} per batch), "
            f"{b['reused']} answers read back{left}; {price}")
