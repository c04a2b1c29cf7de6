"""`personagen merge`: join the shard runs of one dataset (`personagen run --shard I/N`) into one run folder."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from personagen.commands.options import DEFAULT_RUNS_DIR, RunsDir, clean_errors
from personagen.merging import merge_runs


@clean_errors
def merge(
    runs: Annotated[list[str], typer.Argument(help="The shard runs (ids in --runs-dir), in any order.")],
    run_id: Annotated[str | None, typer.Option("--run-id", help="Name of the merged run folder.")] = None,
    partial: Annotated[bool, typer.Option("--partial", help="Allow missing shards.")] = False,
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
) -> None:
    """Merge shard runs with the same seed and settings into one run (the single-machine dataset)."""
    folder = merge_runs(runs_dir, runs, run_id, partial)
    Console().print(f"merged {len(runs)} runs into {folder}")


def register(app: typer.Typer) -> None:
    app.command("merge")(merge)
