"""Rich rendering of `personagen runs`, `personagen inspect` (overview) and `personagen critics`.

Input: the plain data of reader / runs_table / funnel / catalog (a journey: journey_view.py).
Output: text on the terminal. Warnings and errors go to stderr; `print_json` writes plain JSON (no markup) to
stdout for machine use.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from personagen.inspection.catalog import CriticInfo
from personagen.inspection.coverage import Coverage
from personagen.inspection.economics import Economics
from personagen.inspection.funnel import Overview
from personagen.inspection.runs_table import RunRow

STATUS_STYLE = {
    "running": "cyan",
    "finished": "green",
    "crashed": "bold red",
    "failed": "red",
    "interrupted": "yellow",
    "budget": "yellow",
    "short": "yellow",
}


def out() -> Console:
    return Console(highlight=False)


def err() -> Console:
    return Console(stderr=True, highlight=False)


def print_json(value: Any) -> None:
    """Plain JSON on stdout."""
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def warnings(messages: list[str]) -> None:
    console = err()
    for message in messages:
        console.print(f"[yellow]warning:[/] {escape(message)}")


def error(message: str, hint: str | None = None) -> None:
    console = err()
    console.print(f"[bold red]error:[/] [red]{escape(message)}[/]")
    if hint:
        console.print(escape(hint))


def status(value: str) -> str:
    return f"[{STATUS_STYLE.get(value, 'white')}]{escape(value)}[/]"


def runs(rows: list[RunRow], runs_dir: str) -> None:
    if not rows:
        out().print(f"No runs in {escape(runs_dir)}. Start one with [bold]personagen run[/].")
        return
    table = Table(title=f"Runs in {escape(runs_dir)}", title_justify="left")
    for name, justify in (
        ("run", "left"),
        ("started", "left"),
        ("status", "left"),
        ("personas", "right"),
        ("dropped", "right"),
        ("texts", "right"),
        ("models", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        requested = "?" if row.personas_requested is None else str(row.personas_requested)
        table.add_row(
            escape(row.id),
            escape(row.started or "?"),
            status(row.status),
            f"{row.personas_accepted}/{requested}",
            str(row.personas_dropped),
            str(row.texts),
            escape(", ".join(row.models)),
        )
    out().print(table)


def _header(row: RunRow, subtitle: str = "") -> Panel:
    requested = "?" if row.personas_requested is None else row.personas_requested
    body = (
        f"status {status(row.status)}   started {escape(row.started or '?')}   "
        f"personas {row.personas_accepted}/{requested} accepted, {row.personas_dropped} dropped   "
        f"texts {row.texts}\nemotions {escape(', '.join(row.emotions) or '?')}   "
        f"models {escape(', '.join(row.models) or '?')}"
    )
    return Panel(body, title=f"[bold]{escape(row.id)}[/]{escape(subtitle)}", title_align="left")


def _filter_note(flt: Any) -> str:
    parts = [f"{k} {v}" for k, v in (("critic", flt.critic), ("emotion", flt.emotion)) if v]
    return f"  (only {', '.join(parts)})" if parts else ""


def overview(view: Overview) -> None:
    console = out()
    console.print(_header(view.run, _filter_note(view.filter)))
    if view.rejections is not None:
        rejections(view.rejections)
        return
    table = Table(title="Funnel per stage", title_justify="left")
    for name in ("stage", "sampled", "accepted", "resampled", "dropped", "pending"):
        table.add_column(name, justify="left" if name == "stage" else "right")
    for s in view.funnel:
        table.add_row(
            s.stage,
            str(s.sampled),
            f"[green]{s.accepted}[/]",
            f"[yellow]{s.resampled}[/]",
            f"[red]{s.dropped}[/]",
            str(s.pending or ""),
        )
    console.print(table if view.funnel else "[dim]No events yet.[/]")
    _critics_acceptance(console, view)
    _reasons(console, view)
    _agents(console, view)


def _critics_acceptance(console: Console, view: Overview) -> None:
    if not view.critics:
        return
    table = Table(title="Acceptance per critic", title_justify="left")
    for name in ("critic", "stage", "kind", "judged", "passed", "rate", "mean score"):
        table.add_column(
            name, justify="right" if name in ("judged", "passed", "rate", "mean score") else "left"
        )
    for c in view.critics:
        colour = "green" if c.rate >= 0.8 else "yellow" if c.rate >= 0.5 else "red"
        rate = f"[dim]advisory: {c.advised} advised against[/]" if c.advisory else f"[{colour}]{c.rate:.0%}[/]"
        table.add_row(
            escape(c.critic),
            c.stage or "?",
            c.kind or "?",
            str(c.judged),
            str(c.passed),
            rate,
            f"{c.mean_score:.2f}",
        )
    console.print(table)


def _reasons(console: Console, view: Overview) -> None:
    if not view.reasons:
        return
    table = Table(title="Most common rejection reasons", title_justify="left")
    table.add_column("count", justify="right")
    table.add_column("critic")
    table.add_column("reason", overflow="fold")
    advisory = {c.critic for c in view.critics if c.advisory}
    for critic, reason, count in view.reasons:
        table.add_row(str(count), escape(critic) + (" [dim](advisory)[/]" if critic in advisory else ""),
                      escape(reason))
    console.print(table)


def _agents(console: Console, view: Overview) -> None:
    if not view.agents:
        return
    table = Table(title="Model calls per agent", title_justify="left")
    for name in ("agent", "model", "calls", "errors", "tokens in", "tokens out", "reasoning", "time s", "s/call"):
        table.add_column(name, justify="left" if name in ("agent", "model") else "right")
    for a in view.agents:
        table.add_row(
            escape(a.agent),
            escape(a.model or "?"),
            str(a.calls),
            str(a.errors or ""),
            str(a.tokens_in),
            str(a.tokens_out),
            str(a.tokens_reasoning or ""),
            f"{a.latency_s:.1f}",
            f"{a.latency_s / a.calls:.2f}" if a.calls else "",
        )
    table.add_row(
        "[bold]total[/]",
        "",
        str(sum(a.calls for a in view.agents)),
        "",
        str(sum(a.tokens_in for a in view.agents)),
        str(sum(a.tokens_out for a in view.agents)),
        str(sum(a.tokens_reasoning for a in view.agents) or ""),
        f"{sum(a.latency_s for a in view.agents):.1f}",
        "",
    )
    console.print(table)


def rejections(items: list[dict[str, Any]]) -> None:
    if not items:
        out().print("[green]No rejections.[/]")
        return
    table = Table(title="Rejections and drops", title_justify="left")
    for name in ("persona", "stage", "try", "emotion", "by", "score", "reasons"):
        table.add_column(name, overflow="fold" if name == "reasons" else "ellipsis")
    for r in items:
        by = r["critic"] or f"[red]{r['type']}[/]"
        score = "" if r["score"] is None else f"{r['score']:.2f}"
        table.add_row(
            escape(str(r["persona_id"])),
            r["stage"] or "",
            str(r["attempt"] or ""),
            escape(r["emotion"] or ""),
            by,
            score,
            escape("; ".join(r["reasons"])),
        )
    out().print(table)


def critics(rows: list[CriticInfo], messages: list[str]) -> None:
    warnings(messages)
    if not rows:
        out().print("No critics registered.")
        return
    table = Table(title="Registered critics", title_justify="left")
    for name in ("name", "stage", "kind", "origin", "description"):
        table.add_column(name, overflow="fold" if name == "description" else "ellipsis")
    for r in rows:
        origin = r.origin if r.package is None else f"{r.origin} ({r.package})"
        kind = "LLM" if r.kind == "llm" else r.kind
        table.add_row(f"[bold]{escape(r.name)}[/]", r.stage, kind, escape(origin), escape(r.description))
    out().print(table)


def dollars(value: float | None) -> str:
    return "-" if value is None else f"${value:.4f}"


def economics(econ: Economics, row: RunRow) -> None:
    """`inspect RUN --critics`: what each critic cost and caught, and acceptance per stage by attempt."""
    console = out()
    console.print(_header(row, "  (critic economics)"))
    if not econ.critics:
        console.print("[dim]No verdicts yet.[/]")
        return
    table = Table(title="What each critic costs and catches", title_justify="left")
    names = ("critic", "stage", "judged", "rejected", "share", "calls", "tokens in", "tokens out", "cost",
             "rewrites cost", "then accepted", "then dropped", "open")
    for name in names:
        table.add_column(name, justify="left" if name in ("critic", "stage") else "right")
    for c in econ.critics:
        table.add_row(
            escape(c.critic), c.stage or "?", str(c.judged), str(c.rejected), f"{c.share:.0%}", str(c.calls),
            str(c.tokens_in), str(c.tokens_out), dollars(c.cost), dollars(c.rewrite_cost),
            f"[green]{c.rewritten}[/]", f"[red]{c.dropped}[/]",
            str(c.open or ""),
        )
    console.print(table)
    attempts = range(1, max([3, *(r.attempt for rows in econ.attempts.values() for r in rows)]) + 1)
    table = Table(title="Acceptance by attempt (accepted/judged)", title_justify="left")
    table.add_column("stage")
    for attempt in attempts:
        table.add_column(f"attempt {attempt}", justify="right")
    for stage, rows in econ.attempts.items():
        cells = {r.attempt: f"{r.accepted}/{r.candidates} ({r.rate:.0%})" for r in rows}
        table.add_row(stage, *(cells.get(a, "") for a in attempts))
    console.print(table)


def coverage(cov: Coverage) -> None:
    """`inspect RUN --coverage`: texts per emotion x attribute value, entropy per attribute, thin cells."""
    console = out()
    console.print(f"[bold]Coverage of {escape(cov.run)}[/]: {cov.n_records} texts, {escape(cov.note)}")
    if cov.scenario_note:
        console.print(f"[yellow]{escape(cov.scenario_note)}[/]")
    if not cov.n_records:
        console.print("[dim]No texts yet.[/]")
        return
    for attr in cov.attributes:
        title = f"{attr.name.replace('_', ' ')} ({attr.source}), normalised entropy {attr.entropy:.2f}"
        table = Table(title=title, title_justify="left")
        table.add_column("value")
        for emotion in cov.emotions:
            table.add_column(escape(emotion), justify="right")
        table.add_column("total", justify="right")
        for value in attr.values:
            cells = [attr.counts[e][value] for e in cov.emotions]
            shown = [f"[red]{n}[/]" if n < cov.threshold else str(n) for n in cells]
            table.add_row(escape(value), *shown, str(sum(cells)))
        console.print(table)
        if attr.thin:
            listed = ", ".join(f"{escape(e)} x {escape(v)} ({n})" for e, v, n in attr.thin)
            console.print(f"  [red]{len(attr.thin)} thin cells (< {cov.threshold}):[/] {listed}")
