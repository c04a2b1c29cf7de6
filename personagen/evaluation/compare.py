"""Side-by-side key metrics of several evaluated runs (`personagen compare`).

Input: run ids, run folders, eval folders or metrics.json paths. Output: their metrics dicts, and the rows
of key metrics (see key_metrics.KEY_METRICS) with the best value of each row marked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from personagen.evaluation.errors import EvalError
from personagen.evaluation.key_metrics import key_rows


def metrics_path(ref: str | Path, runs_dir: Path) -> Path:
    """Where the metrics.json of `ref` is: a file, an eval folder, a run folder or a run id."""
    path = Path(ref)
    candidates = [
        path,
        path / "metrics.json",
        path / "eval" / "metrics.json",
        runs_dir / str(ref) / "eval" / "metrics.json",
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise EvalError(
        f"no metrics for {str(ref)!r}: evaluate it first with `personagen eval {ref}` "
        "(or give the path of a metrics.json / --out folder)"
    )


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
