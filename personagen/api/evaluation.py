"""`Run.evaluate`: `personagen eval RUN` as a call (the command's own functions, its options as keywords)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

PathLike = str | os.PathLike[str]


def evaluate_run(folder: Path, real: PathLike | None = None, label_map: PathLike | None = None,
                 judge_model: str | None = None, judge_sample: int = 200, judge_concurrency: int = 8,
                 no_judge: bool = False, out: PathLike | None = None, base_url: str | None = None,
                 model: str | None = None, config: PathLike | None = None, model_path: PathLike | None = None,
                 embedding_model: PathLike | None = None) -> dict[str, Any]:
    """The run's metrics (metrics.json); with a judge, its model opened as `personagen eval` opens it."""
    from personagen.commands.evaluate import judge_settings
    from personagen.commands.options import open_models
    from personagen.evaluation.runner import EvalOptions, evaluate, prepare

    path = lambda value: Path(value) if value is not None else None  # noqa: E731
    options = EvalOptions(run=folder, real=path(real), label_map=path(label_map), judge_sample=judge_sample,
                          judge_concurrency=judge_concurrency, out=path(out), embedding_model=path(embedding_model))
    prepared = prepare(options)
    if no_judge:
        return evaluate(options, None, prepared=prepared).metrics
    settings = judge_settings(path(config), base_url, model, path(model_path), judge_model)
    with open_models(settings=settings) as models:
        return evaluate(options, models.for_agent("judge"), prepared=prepared).metrics
