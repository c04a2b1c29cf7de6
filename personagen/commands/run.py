"""`personagen run`: generate a dataset into a new run folder, with a live trace."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from personagen.commands.options import (
    DEFAULT_RUNS_DIR, BaseUrl, ConfigFile, Model, ModelPath, RunsDir, backend_values, clean_errors, fail,
)
from personagen.pipeline import execute
from personagen.settings import load_settings
from personagen.trace import TerminalTrace, summary_table

Opt = typer.Option


@clean_errors
def run(
    personas: Annotated[int | None, Opt("--personas", "-n", help="How many personas (default 10).")] = None,
    emotions: Annotated[str | None, Opt("--emotions", "-e", help="Preset (default, ekman6, plutchik8, personagen) "
                                        "or a comma list.")] = None,
    texts_per_emotion: Annotated[int | None, Opt("--texts-per-emotion", "-k", help="Texts per emotion and persona.")] = None,
    locale: Annotated[str | None, Opt(help="Demographic tables: us or jp.")] = None,
    language: Annotated[str | None, Opt(help="Language of the texts: en or ja.")] = None,
    seed: Annotated[int | None, Opt(help="Run seed; each persona's seed derives from it.")] = None,
    concurrency: Annotated[int | None, Opt(help="Persona threads in flight.")] = None,
    method: Annotated[str | None, Opt(help="personagen, or baseline (emotion-only prompt, no persona).")] = None,
    stages: Annotated[str | None, Opt(help="Persona stages: base, base+socio or full.")] = None,
    critic: Annotated[list[str] | None, Opt("--critic", help="Enable only these critics (repeatable).")] = None,
    no_critic: Annotated[list[str] | None, Opt("--no-critic", help="Disable a critic (repeatable).")] = None,
    run_id: Annotated[str | None, Opt("--run-id", help="Name of the run folder (default: time + random).")] = None,
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
    base_url: BaseUrl = None,
    model: Model = None,
    config: ConfigFile = None,
    model_path: ModelPath = None,
    quiet: Annotated[bool, Opt("--quiet", "-q", help="No live trace; only the result.")] = False,
    as_json: Annotated[bool, Opt("--json", help="Print the summary as JSON on stdout.")] = False,
) -> None:
    """Generate emotion-labelled texts from layered personas into runs/<run-id>/."""
    run_values = {"personas": personas, "emotions": emotions, "texts_per_emotion": texts_per_emotion,
                  "locale": locale, "language": language, "seed": seed, "concurrency": concurrency,
                  "method": method, "stages": stages}
    settings = load_settings(config, run=run_values, models=backend_values(base_url, model, model_path),
                             critics={"enable": critic or None, "disable": no_critic or None})
    console = Console(stderr=True, quiet=quiet and as_json)
    with TerminalTrace(console, settings.run.personas, trace=not quiet) as trace:
        result = execute(settings, runs_dir, run_id, observer=trace)
    summary = result.summary
    if as_json:
        print(json.dumps({"run": str(result.folder), **summary}))
    else:
        Console().print(summary_table(str(result.folder), summary))
    if summary["status"] != "finished":
        fail(f"run {summary['status']}: {summary['message']} (partial results kept in {result.folder})", 1)


def register(app: typer.Typer) -> None:
    app.command("run")(run)
