"""`personagen export`: the dataset of a run as JSONL, CSV, Parquet or a Hugging Face folder with a card."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from personagen.commands.curate import progress_bars
from personagen.commands.options import DEFAULT_RUNS_DIR, RunsDir, UsageError, clean_errors
from personagen.export import ExportError, curate_now, export_run
from personagen.runformat.folder import RunFolder

Opt = typer.Option


@clean_errors
def export(
    run: Annotated[str, typer.Argument(help="Run id, unique prefix, or path.")],
    fmt: Annotated[str, Opt("--format", "-f", help="jsonl, csv, parquet, or hf (a Hugging Face folder: "
                            "parquet with an emotion ClassLabel and a README.md dataset card).")] = "jsonl",
    out: Annotated[Path | None, Opt("--out", "-o", help="Output file, or folder for hf "
                                    "(default: RUN/dataset.FORMAT, RUN/hf/).")] = None,
    everything: Annotated[bool, Opt("--all", help="Every accepted text, near-duplicates included "
                                    "(default: the curated view, see `personagen curate`).")] = False,
    license_id: Annotated[str, Opt("--license", help="License id for the hf card's header (e.g. cc-by-4.0); "
                                   "check the terms of the models that wrote the texts.")] = "other",
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
) -> None:
    """Export a run's accepted texts with persona, background and scenario as flat rows."""
    folder = RunFolder.locate(runs_dir, run).path
    out = out or (folder / "hf" if fmt == "hf" else folder / f"dataset.{fmt}")
    console = Console(stderr=True)

    def curate_with_progress(path: Path) -> None:
        console.print(f"curating {path.name} first (no curation yet, or records added since)")
        try:
            from personagen.curation.engine import CurationError, curate_run
        except ImportError:
            return curate_now(path)  # raises the ExportError that says what to install
        try:
            with progress_bars(console) as phases:
                curate_run(path, progress=phases)
        except (CurationError, ImportError) as exc:
            raise ExportError(f"{exc}; or pass --all to export every text") from None

    try:
        result = export_run(folder, fmt, out, curated=not everything, license_id=license_id,
                            curate=curate_with_progress)
    except ExportError as exc:
        raise UsageError(str(exc)) from None
    left_out = (f" ({result.left_out} near-duplicates left out, listed in {folder / 'curation.jsonl'}; "
                "--all keeps them)") if result.left_out else ""
    console.print(f"wrote {result.rows} rows to {result.out}{left_out}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("export")(export)
