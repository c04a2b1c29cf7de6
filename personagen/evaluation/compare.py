"""Side-by-side key metrics of several evaluated runs (`personagen compare`).

Input: runs named as every command names them (id, unique prefix of an id, or run folder), eval folders or
metrics.json paths. Output: their metrics dicts, and the rows of key metrics (see key_metrics.KEY_METRICS) with
the best value of each row marked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from personagen.evaluation.errors import EvalError
from personagen.evaluation.key_metrics import key_rows
from personagen.runformat.errors import RunNotFound
from personagen.runformat.folder import RunFolder


def metrics_path(ref: str | Path, runs_dir: Path) -> Path:
    """Where the metrics.json of `ref` is: a metrics.json file, an eval (--out) folder, or a run named as every
    command names one (its folder's path, its id in `runs_dir`, or a unique prefix of the id)."""
    path = Path(ref)
    for candidate in (path, path / "metrics.json"):
        if candidate.is_file():
            return candidate
    try:
        run = RunFolder.locate(runs_dir, ref).path
    except RunNotFound as exc:
        raise EvalError(
            f"no metrics for {str(ref)!r}: {exc}. Give a run that `personagen eval` measured, "
            "or the path of a metrics.json / eval --out folder"
        ) from None
    candidate = run / "eval" / "metrics.json"
    if not candidate.is_file():
        in_runs_dir = run.parent.resolve() == runs_dir.resolve()
        command = f"personagen eval {run.name}" if in_runs_dir else f"personagen eval {run}"
        if in_runs_dir and runs_dir != Path("runs"):
            command += f" --runs-dir {runs_dir}"
        raise EvalError(
            f"run {run.name} has no metrics: evaluate it first with `{command}` "
            "(or give the path of the metrics.json / --out folder it was evaluated into)"
        )
    return candidate


def load_metrics(ref: str | Path, runs_dir: Path = Path("runs")) -> dict[str, Any]:
    """The metrics dict of one evaluated run."""
    path = metrics_path(ref, runs_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise EvalError(f"{path} is not a readable metrics.json ({exc}); re-run `personagen eval`") from exc
    if not isinstance(data, dict):
        raise EvalError(f"{path} is not a metrics.json written by `personagen eval`")
    return data


def best_index(values: list[Any], direction: str) -> int | None:
    """Which run has the best value of a row (None when no direction or fewer than two numbers)."""
    numbers = [(v, i) for i, v in enumerate(values) if isinstance(v, int | float)]
    if not direction or len(numbers) < 2:
        return None
    return (max(numbers) if direction == "+" else min(numbers))[1]


def comparison(refs: list[str | Path], runs_dir: Path = Path("runs")) -> tuple[list[str], list[tuple]]:
    """(column names, rows of (label, direction, values, best index)) for the given runs."""
    if not refs:
        raise EvalError("give at least one run to compare")
    metrics = [load_metrics(ref, runs_dir) for ref in refs]
    names = [
        str(m.get("run_id") or ref) + (f" ({m['method']})" if m.get("method") else "")
        for m, ref in zip(metrics, refs, strict=True)
    ]
    rows = [
        (label, direction, values, best_index(values, direction))
        for label, direction, values in key_rows(metrics)
    ]
    return names, rows
