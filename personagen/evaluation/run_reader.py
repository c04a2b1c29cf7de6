"""Reading a run folder for evaluation: its config, its accepted texts and its personas.

Input: a run id (looked up under a runs directory) or a path to a run folder (see docs/run-format.md).
Output: a `RunData` with the records and personas as plain dicts. Torn last lines are skipped with a warning,
so a run that is still going or that crashed can be evaluated.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from personagen.evaluation.errors import EvalError

log = logging.getLogger(__name__)


@dataclass
class RunData:
    """What the evaluation reads from one run."""

    path: Path
    config: dict[str, Any]
    records: list[dict[str, Any]]
    personas: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        return str(self.config.get("run_id") or self.path.name)

    @property
    def texts(self) -> list[str]:
        return [str(r["text"]) for r in self.records]

    @property
    def labels(self) -> list[str]:
        return [str(r["emotion"]) for r in self.records]


def resolve_run(run: str | Path, runs_dir: str | Path = "runs") -> Path:
    """The run folder for `run`: an existing folder path, or a run id under `runs_dir`."""
    candidate = Path(run)
    if candidate.is_dir():
        return candidate
    under = Path(runs_dir) / str(run)
    if under.is_dir():
        return under
    raise EvalError(
        f"no run named {str(run)!r}: it is neither a folder nor a run under {str(runs_dir)!r} "
        "(list runs with `personagen runs`, or pass the run folder's path, or --runs-dir DIR)"
    )


def read_jsonl(path: Path, warnings: list[str] | None = None) -> list[dict[str, Any]]:
    """The rows of a JSON-lines file; a torn (unparsable) line is skipped with a warning."""
    rows: list[dict[str, Any]] = []
    if not path.exists():
        return rows
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                message = f"{path.name}: skipped unreadable line {number} (torn write?)"
                log.warning(message)
                if warnings is not None:
                    warnings.append(message)
    return rows


def load_run(run: str | Path, runs_dir: str | Path = "runs") -> RunData:
    """Read a run folder; raises EvalError when it has no usable texts."""
    path = resolve_run(run, runs_dir)
    warnings: list[str] = []
    config: dict[str, Any] = {}
    config_path = path / "config.json"
    if config_path.exists():
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise EvalError(
                f"{config_path} is not valid JSON ({exc}); is this a PersonaGen run folder?"
            ) from exc
    records = [
        r
        for r in read_jsonl(path / "records.jsonl", warnings)
        if isinstance(r.get("text"), str) and r["text"].strip() and r.get("emotion")
    ]
    if not records:
        raise EvalError(
            f"run {path} has no texts to evaluate (records.jsonl is missing or empty): "
            "wait for the run to write records, or pick another run"
        )
    personas = read_jsonl(path / "personas.jsonl", warnings)
    return RunData(path=path, config=config, records=records, personas=personas, warnings=warnings)
