"""PersonaGen from Python: `run` / `arun` make a dataset as `personagen run` does, `load` opens a run.

    import personagen
    run = personagen.run(personas=20, emotions="joy,anger", base_url="http://localhost:8000/v1")
    run.to_pandas()

Keyword names are the long options of `personagen run` with underscores; a run that does not finish raises
`RunEnded` (its `.run` is the handle, its `.exit_code` the CLI's), Ctrl-C stops the run cleanly and raises
KeyboardInterrupt. Both work inside a running event loop (a Jupyter cell). Docs: docs/python-api.md.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterable
from typing import Any

from personagen.api.handle import Run, RunEnded, load

PathLike = str | os.PathLike[str]


def run(*, personas: int | None = None, texts: int | None = None, emotions: str | Iterable[str] | None = None,
        texts_per_emotion: int | None = None, drafts: int | None = None, locale: str | None = None,
        language: str | None = None,
        seed: int | None = None, concurrency: int | None = None, method: str | None = None,
        stages: str | None = None, critic: str | Iterable[str] | None = None,
        no_critic: str | Iterable[str] | None = None, run_id: str | None = None, runs_dir: PathLike | None = None,
        base_url: str | None = None, model: str | None = None, config: PathLike | None = None,
        model_path: PathLike | None = None, resume: str | PathLike | Run | None = None, shard: str | None = None,
        max_tokens: int | None = None, max_cost: float | None = None, curate: bool | None = None,
        batch: bool = False, quiet: bool = False) -> Run:
    """Make a dataset (or, with `resume`, finish a stopped run) and return its `Run`.

    The options are those of `personagen run` (None: the config file's value, else the default; `batch`: the
    provider's Batch API, docs/batch.md); `critic` and
    `no_critic` take one name or several; `runs_dir` defaults to $PERSONAGEN_RUNS_DIR, else ./runs. `quiet`
    hides the progress display (a live one in a notebook, a bar on stderr in a terminal).
    Raises the CLI's errors for bad options (nothing is written), `RunEnded` when the run does not finish,
    KeyboardInterrupt after a Ctrl-C has stopped it (status interrupted, resumable).
    """
    options = dict(locals())
    quiet = options.pop("quiet")
    from personagen.api.making import execute_waiting, request

    return execute_waiting(request(options), quiet)


async def arun(**options: Any) -> Run:
    """`run`, awaited: the run goes on while the event loop serves others; cancelling the task stops it
    (status interrupted, resumable) and raises CancelledError. Same keywords as `run`."""
    from personagen.api.making import execute_awaiting, request

    bound = RUN_SIGNATURE.bind(**options)
    bound.apply_defaults()
    values = dict(bound.arguments)
    quiet = values.pop("quiet")
    return await execute_awaiting(request(values), quiet)


RUN_SIGNATURE = inspect.signature(run)
arun.__signature__ = RUN_SIGNATURE.replace(return_annotation="Run")  # type: ignore[attr-defined]

__all__ = ["Run", "RunEnded", "arun", "load", "run"]
