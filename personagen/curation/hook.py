"""Curation at the end of `personagen run`: a finished run is curated before the command returns.

Input: the finished run's folder and the run's note callback (the terminal trace). Output: the curation files,
and notes saying what was set aside. The run has already succeeded: a missing `eval` extra or a failing curation
becomes a note with the command to run later (`export` also curates a run that has no curation), never an error.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

PHASE_NOTES_FROM = 5000  # texts; smaller runs curate in seconds and get only the closing note


def skipped(folder: Path, exc: ImportError) -> str:
    missing = exc.name or "a package"
    return (f"curation skipped: it needs the 'eval' extra (missing {missing}): pip install 'personagen[eval]', "
            f"then `personagen curate {folder.name}`")


def curate_after_run(folder: Path, note: Callable[[str], None], live: Any = None) -> dict[str, Any] | None:
    """Curate the run in `folder`; returns the curation summary, or None when it could not run. `live`: the run's
    live embedding (personagen/curation/live.py), closed here; its embedder (the one session shared with the offline
    emotion critic) embeds whatever it left."""
    if live is not None:
        live.close()
        if live.error is not None:
            note(f"embedding during the run failed ({type(live.error).__name__}: {live.error}); "
                 "the curation embeds the texts now")
        elif getattr(live, "graph_error", None) is not None:
            note(f"finding neighbours during the run failed ({type(live.graph_error).__name__}: "
                 f"{live.graph_error}); the curation finds them now")
    try:
        from personagen.curation.engine import CurationError, CurationOptions, curate_run
    except ImportError as exc:
        note(skipped(folder, exc))
        return None
    options = CurationOptions(embedder=getattr(live, "embedder", None))

    def phases(name: str, total: int) -> Callable[[int], None]:
        if total >= PHASE_NOTES_FROM:
            note(f"curation: {name}, {total} texts")
        return lambda n: None

    try:
        summary = curate_run(folder, options, progress=phases).summary
    except CurationError as exc:
        note(f"curation failed: {exc}; retry with `personagen curate {folder.name}`")
        return None
    except ImportError as exc:  # a pass's optional package (e.g. datasketch) is missing
        note(skipped(folder, exc))
        return None
    except Exception as exc:  # the run itself is complete: say so, never lose it to a traceback
        note(f"curation failed ({type(exc).__name__}: {exc}); the run is complete: retry with "
             f"`personagen curate {folder.name}` (export curates too)")
        return None
    note(f"curation: {summary['removed']} of {summary['records']} texts set aside as near-duplicates "
         f"({folder / 'curation.jsonl'}); export leaves them out (--all keeps them)")
    return summary
