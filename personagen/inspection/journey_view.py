"""Rich rendering of one persona's journey (`personagen inspect RUN --persona ID`, and the browser's right pane)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from personagen.agents.events import DropEvent, ErrorEvent, LlmCallEvent, RetryEvent, VerdictEvent
from personagen.inspection.journey import Journey, Step
from personagen.inspection.render import out


def persona_panel(j: Journey) -> Panel:
    """Who the persona is, its status and attempts, background and scenario."""
    p = j.persona
    if p is None:
        return Panel(
            "[cyan]not finished yet[/] (still running, or the run stopped before it finished)",
            title=f"[bold]{escape(j.persona_id)}[/] in {escape(j.run_id)}",
            title_align="left",
        )
    base, socio, scen = p.get("base") or {}, p.get("socio") or {}, p.get("scenario") or {}
    lines = [
        f"status [{'green' if p.get('status') == 'accepted' else 'red'}]{escape(str(p.get('status')))}[/]"
        f"   attempts {escape(json.dumps(p.get('attempts') or {}))}   seed {p.get('seed')}",
        escape(
            f"{base.get('age')}-year-old {base.get('gender')} {base.get('occupation')}, {base.get('mbti')}"
        ),
    ]
    if socio:
        lines.append(escape(", ".join(f"{k}: {v}" for k, v in socio.items() if k != "provenance")))
    if scen:
        lines.append(escape(scen.get("description") or ", ".join(f"{k}: {v}" for k, v in scen.items())))
    if p.get("drop_reason"):
        lines.append(f"[red]dropped: {escape(str(p['drop_reason']))}[/]")
    return Panel(
        "\n".join(lines), title=f"[bold]{escape(j.persona_id)}[/] in {escape(j.run_id)}", title_align="left"
    )


def step_line(s: Step) -> Text:
    """One step of the journey on one line: time, stage and try, agent, verdict or summary."""
    line = Text(f"{s.n:>3} +{s.t:7.2f}s ", style="dim")
    where = f"{s.stage or '-'}#{s.attempt}" if s.attempt is not None else (s.stage or "-")
    line.append(f"{where:<14}", style="magenta")
    line.append(f"{s.agent:<24} ", style="bold")
    if s.emotion:
        slot = "" if s.slot is None else f"#{s.slot}"
        line.append(f"[{s.emotion}{slot}] ", style="cyan")
    if isinstance(s.event, VerdictEvent):
        mark, style = ("✔ passed", "green") if s.passed else ("✘ rejected", "red")
        score = f" {s.score:.2f}" if isinstance(s.score, int | float) else ""
        line.append(f"{mark}{score}", style=style)
        if s.reasons:
            line.append(" — " + "; ".join(s.reasons))
    elif isinstance(s.event, RetryEvent | DropEvent | ErrorEvent):
        line.append(s.summary, style="yellow" if isinstance(s.event, RetryEvent) else "red")
    else:
        line.append(f"{s.type}: ", style="blue")
        line.append(s.summary)
    return line


def call_details(s: Step) -> list[Any]:
    """A model call's model, tokens and latency; with --prompts the exact messages and the raw answer."""
    parts: list[Any] = [
        Text(
            f"      {s.model or '?'} · {s.tokens_in or 0} in / {s.tokens_out or 0} out tokens"
            + (f" ({s.tokens_reasoning} reasoning)" if s.tokens_reasoning else "")
            + f" · {s.latency_s or 0:.2f}s",
            style="dim",
        )
    ]
    if s.input and s.prompt is None:
        parts.append(Text(f"      in: {s.input}", style="dim"))
    for message in s.prompt or []:
        parts.append(
            Panel(
                Text(str(message.get("content", ""))),
                title=str(message.get("role", "?")),
                title_align="left",
                border_style="blue",
                padding=(0, 1),
            )
        )
    if s.prompt is not None:
        parts.append(
            Panel(
                Text(str(s.raw or "")),
                title="raw answer",
                title_align="left",
                border_style="green",
                padding=(0, 1),
            )
        )
    return parts


def print_journey(j: Journey) -> None:
    """The persona panel, its steps (with model calls in detail) and its accepted texts."""
    console = out()
    console.print(persona_panel(j))
    if not j.steps:
        console.print("[dim]No events match.[/]")
    for s in j.steps:
        console.print(step_line(s))
        if isinstance(s.event, LlmCallEvent):
            console.print(Group(*call_details(s)))
    if j.records:
        table = Table(title="Accepted texts", title_justify="left")
        table.add_column("record")
        table.add_column("emotion", style="cyan")
        table.add_column("text", overflow="fold")
        for r in j.records:
            table.add_row(escape(str(r.get("id"))), escape(str(r.get("emotion"))), escape(str(r.get("text"))))
        console.print(table)
