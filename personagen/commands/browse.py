"""`personagen browse RUN`: a keyboard browser of a run's personas and their journeys (Textual).

Thin command: opens the run as `personagen inspect` does and starts personagen.inspection.browser.
Exit codes: 0 on quit, 2 when the run does not exist or Textual (the optional extra `tui`) is not installed.
"""

from __future__ import annotations

from typing import Annotated

import typer

from personagen.commands.options import DEFAULT_RUNS_DIR, RunsDir, clean_errors
from personagen.inspection import render
from personagen.inspection.reader import find_run

MISSING_TEXTUAL = "the browser needs Textual: pip install 'personagen[tui]'"


@clean_errors
def browse_command(
    run_ref: Annotated[str, typer.Argument(metavar="RUN", help="Run id, unique prefix, or path.")],
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
) -> None:
    """Browse a run: personas on the left, the journey of the highlighted one on the right."""
    try:
        from personagen.inspection.browser import RunBrowser
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("textual"):
            raise
        render.error(MISSING_TEXTUAL)
        raise typer.Exit(2) from None
    run = find_run(runs_dir, run_ref)
    RunBrowser(run).run()


def register(app: typer.Typer) -> None:
    """Add `browse` to the application."""
    app.command("browse")(browse_command)
