"""`personagen export`: the dataset of a run as JSONL, CSV or Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from personagen.commands.options import DEFAULT_RUNS_DIR, RunsDir, UsageError, clean_errors
from personagen.export import ExportError, export_run
from personagen.runfiles import find_run_dir


@clean_errors
def export(
    run: Annotated[str, typer.Argument(help="Run id, unique prefix, or path.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl, csv or parquet.")] = "jsonl",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output file (default: RUN/dataset.FORMAT).")] = None,
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
) -> None:
    """Export a run's accepted texts with persona, background and scenario as flat rows."""
    folder = find_run_dir(runs_dir, run)
    out = out or folder / f"dataset.{fmt}"
    try:
        n = export_run(folder, fmt, out)
    except ExportError as exc:
        raise UsageError(str(exc)) from None
    Console(stderr=True).print(f"wrote {n} rows to {out}")


def register(app: typer.Typer) -> None:
    app.command("export")(export)
