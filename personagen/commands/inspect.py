"""`personagen runs`, `personagen inspect` and `personagen critics`: looking back at what the agents decided.

Thin commands: they parse options, call personagen.inspection, and hand the result to its render module.
Exit codes: 0 on success, 2 when the run, persona, critic or emotion named does not exist.
"""

from __future__ import annotations

from typing import Annotated

import typer

from personagen.commands.options import DEFAULT_RUNS_DIR, RunsDir, clean_errors
from personagen.inspection import journey_view, render
from personagen.inspection.catalog import critic_catalog
from personagen.inspection.coverage import run_coverage
from personagen.inspection.economics import economics
from personagen.inspection.events import EventFilter, critic_of
from personagen.inspection.funnel import overview
from personagen.inspection.journey import PersonaNotFound, journey
from personagen.inspection.reader import Run, find_run, list_runs
from personagen.inspection.runs_table import run_row

AsJson = Annotated[bool, typer.Option("--json", help="Plain JSON on stdout, for machines.")]


def runs_command(runs_dir: RunsDir = DEFAULT_RUNS_DIR, as_json: AsJson = False) -> None:
    """List the runs: id, start, status, personas accepted/requested, texts, models."""
    found = list_runs(runs_dir)
    rows = [run_row(run) for run in found]
    render.warnings([w for run in found for w in run.warnings])
    if as_json:
        render.print_json([row.to_json() for row in rows])
    else:
        render.runs(rows, str(runs_dir))


def _check_filter(run: Run, flt: EventFilter) -> None:
    """Exit 2 when --critic or --emotion names something the run never had."""
    if flt.critic is not None:
        known = set(run.config.critics) | {c for e in run.events if (c := critic_of(e))}
        if known and flt.critic not in known:
            render.error(
                f"critic '{flt.critic}' did not run in {run.id}", f"Critics: {', '.join(sorted(known))}"
            )
            raise typer.Exit(2)
    if flt.emotion is not None:
        known = set(run.config.emotions) | {str(r.get("emotion")) for r in run.records}
        if known and flt.emotion not in known:
            render.error(
                f"emotion '{flt.emotion}' is not in {run.id}", f"Emotions: {', '.join(sorted(known))}"
            )
            raise typer.Exit(2)


@clean_errors
def inspect_command(
    run_ref: Annotated[str, typer.Argument(metavar="RUN", help="Run id, unique prefix, or path.")],
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
    persona: Annotated[
        str | None, typer.Option("--persona", "-p", help="Show this persona's journey.")
    ] = None,
    prompts: Annotated[
        bool, typer.Option("--prompts", help="With --persona: exact prompts, raw answers.")
    ] = False,
    rejected: Annotated[bool, typer.Option("--rejected", help="Only rejected or dropped items.")] = False,
    critic: Annotated[str | None, typer.Option("--critic", help="Only this critic's verdicts.")] = None,
    emotion: Annotated[str | None, typer.Option("--emotion", help="Only texts for this emotion.")] = None,
    critics: Annotated[
        bool, typer.Option("--critics", help="What each critic costs and catches; acceptance by attempt.")
    ] = False,
    coverage: Annotated[
        bool, typer.Option("--coverage", help="Texts per emotion x scenario attribute and demographic band.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """What the agents decided in a run: funnel, critics, reasons, tokens; or one persona's journey."""
    run = find_run(runs_dir, run_ref)
    flt = EventFilter(rejected=rejected, critic=critic, emotion=emotion)
    _check_filter(run, flt)
    if critics:
        _economics(run, as_json)
        return
    if coverage:
        _coverage(run, as_json)
        return
    if persona is None:
        view = overview(run, flt)
        render.warnings(run.warnings)
        render.print_json(view.to_json()) if as_json else render.overview(view)
        return
    try:
        path = journey(run, persona, flt, prompts=prompts)
    except PersonaNotFound as exc:
        render.warnings(run.warnings)
        render.error(f"{exc} {run.id}", f"Personas: {', '.join(exc.existing) or 'none yet'}")
        raise typer.Exit(2) from None
    render.warnings(run.warnings)
    render.print_json(path.to_json()) if as_json else journey_view.print_journey(path)


def _economics(run: Run, as_json: bool) -> None:
    """`inspect RUN --critics`."""
    econ = economics(run.events)
    render.warnings(run.warnings)
    render.print_json({"run": run.id, **econ.to_json()}) if as_json else render.economics(econ, run_row(run))


def _coverage(run: Run, as_json: bool) -> None:
    """`inspect RUN --coverage`."""
    cov = run_coverage(run.path, run.id)
    render.warnings(run.warnings)
    render.print_json(cov.to_json()) if as_json else render.coverage(cov)


def critics_command(
    load: Annotated[
        list[str] | None,
        typer.Option("--load", help="Also import this module or .py file first (to check a local critic)."),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """List every registered critic: name, stage, kind, description, origin (built-in, plug-in, local)."""
    rows, problems = critic_catalog(load or [])
    if as_json:
        render.warnings(problems)
        render.print_json({"critics": [r.to_json() for r in rows], "warnings": problems})
    else:
        render.critics(rows, problems)


def register(app: typer.Typer) -> None:
    """Add `runs`, `inspect` and `critics` to the application."""
    app.command("runs")(runs_command)
    app.command("inspect")(inspect_command)
    app.command("critics")(critics_command)
