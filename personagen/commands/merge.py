"""`personagen merge`: join the shard runs of one dataset (`personagen run --shard I/N`) into one run folder."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from personagen.commands.options import DEFAULT_RUNS_DIR, RunsDir, UsageError, clean_errors
from personagen.merging import merge_runs
from personagen.runformat.folder import RunFolder


@clean_errors
def merge(
    runs: Annotated[list[str], typer.Argument(help="The shard runs in --runs-dir (ids or prefixes), any order.")],
    run_id: Annotated[str | None, typer.Option("--run-id", help="Name of the merged run folder.")] = None,
    partial: Annotated[bool, typer.Option("--partial", help="Allow missing shards.")] = False,
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
) -> None:
    """Merge shard runs with the same seed and settings into one run (the single-machine dataset)."""
    shards = [RunFolder.locate(runs_dir, ref).path for ref in runs]  # ids, unique prefixes or paths
    outside = [str(f) for f in shards if f.parent.resolve() != runs_dir.resolve()]
    if outside:
        raise UsageError(f"merge reads its shards from --runs-dir {runs_dir}; not there: {', '.join(outside)}")
    folder = merge_runs(runs_dir, [f.name for f in shards], run_id, partial)
    Console().print(f"merged {len(runs)} runs into {folder}")


def register(app: typer.Typer) -> None:
    app.command("merge")(merge)
