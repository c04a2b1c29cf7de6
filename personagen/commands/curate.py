"""`personagen curate`: find near-duplicates across a whole run and set them aside (docs/curation.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from personagen.commands.options import DEFAULT_RUNS_DIR, RunsDir, UsageError, clean_errors, fail
from personagen.curation import COSINE, JACCARD, NEIGHBOURS
from personagen.runformat.folder import RunFolder

Opt = typer.Option


@contextmanager
def progress_bars(console: Console, enabled: bool = True) -> Iterator[Any]:
    """A `Phases` callback (engine.Phases) drawing one rich progress bar per phase on `console`."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=not enabled, transient=True) as bars:
        def start(name: str, total: int) -> Any:
            task = bars.add_task(name, total=total)
            return lambda n: bars.advance(task, n)

        yield start


@clean_errors
def curate(
    run: Annotated[str, typer.Argument(help="Run id, unique prefix, or path.")],
    threshold: Annotated[float, Opt("--threshold", help="Cosine similarity (MiniLM) at or above which two "
                                    "texts are near-duplicates.")] = COSINE,
    jaccard: Annotated[float, Opt("--jaccard", help="Word-trigram Jaccard similarity at or above which two "
                                  "texts are near-duplicates.")] = JACCARD,
    neighbours: Annotated[int, Opt("--neighbours", help="Nearest neighbours linked per text.")] = NEIGHBOURS,
    semantic: Annotated[bool, Opt("--semantic/--no-semantic", help="The embedding pass (exact and lexical "
                                  "passes always run).")] = True,
    cache: Annotated[bool, Opt("--cache/--no-cache", help="Keep the run's embeddings in RUN/curation-cache/.")] = True,
    embedding_model: Annotated[Path | None, Opt("--embedding-model", help="An ONNX sentence-embedding model folder "
                                                "(model.onnx + tokenizer.json), e.g. a multilingual one for a "
                                                "Japanese run (default: MiniLM, English).")] = None,
    show: Annotated[int, Opt("--show", help="Removed texts to show beside the ones they duplicate.")] = 5,
    as_json: Annotated[bool, Opt("--json", help="Print curation.json to stdout instead of tables.")] = False,
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
) -> None:
    """Set aside near-duplicate texts across the whole run (one kept per group); export uses the curated view."""
    from personagen.curation.engine import CurationError, CurationOptions, curate_run

    folder = RunFolder.locate(runs_dir, run).path
    console = Console(stderr=True)
    options = CurationOptions(cosine=threshold, jaccard=jaccard, neighbours=neighbours, semantic=semantic,
                              cache=cache, model_dir=embedding_model)
    try:
        with progress_bars(console, enabled=not as_json) as phases:
            result = curate_run(folder, options, phases)
    except (CurationError, ImportError) as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        fail(f"cannot curate {folder}: {exc}", 1)
    if as_json:
        typer.echo(json.dumps(result.summary, indent=2, ensure_ascii=False))
        return
    for warning in result.summary.get("warnings", []):
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    console.print(summary_table(folder.name, result.summary))
    if result.removals and show > 0:
        console.print(examples_table([r.as_row() for r in result.removals], show))
    console.print(f"wrote {folder / 'curation.json'} and curation.jsonl; `personagen export` leaves the "
                  f"{result.summary['removed']} set-aside texts out (--all keeps them)", highlight=False)


def summary_table(run_id: str, summary: dict[str, Any]) -> Table:
    settings = summary["settings"]
    table = Table(title=f"curation of {run_id}", title_justify="left")
    table.add_column("what")
    table.add_column("value", justify="right")
    by_match = ", ".join(f"{n} {kind}" for kind, n in summary["by_match"].items()) or "none"
    rows = [("texts", summary["records"]), ("kept", summary["kept"]), ("set aside", f"{summary['removed']} "
            f"({by_match})"), ("duplicate groups / largest", f"{summary['groups']} / {summary['largest_group']}"),
            ("set aside with another emotion label", summary["label_conflicts"]),
            ("thresholds", f"cosine {settings['cosine_threshold']}, jaccard {settings['jaccard_threshold']}"),
            ("embedding model", settings["embedding_model"] or settings["note"]),
            ("time", f"{summary['timings_s'].get('total', 0):.1f} s")]
    for name, value in rows:
        table.add_row(name, escape(str(value)))
    return table


def examples_table(rows: list[dict[str, Any]], limit: int) -> Table:
    """The most similar removals first."""
    def key(row: dict[str, Any]) -> tuple[float, float]:
        return (-(row.get("similarity") or 0.0), -row.get("jaccard", 0.0))

    table = Table(title="set aside (most similar first)", title_justify="left")
    for column in ("text set aside", "kept text", "match", "cosine"):
        table.add_column(column)
    for row in sorted(rows, key=key)[:limit]:
        table.add_row(escape(f"{row['text']} [{row['emotion']}]"),
                      escape(f"{row['duplicate_text']} [{row['duplicate_emotion']}]"), row["match"],
                      "-" if row.get("similarity") is None else f"{row['similarity']:.3f}")
    return table


def register(app: typer.Typer) -> None:
    app.command("curate")(curate)
