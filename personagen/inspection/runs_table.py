"""One summary row per run: what `personagen runs` lists and what heads `personagen inspect`.

Input: a `Run`. Output: a `RunRow` (id, started, status, personas accepted/dropped/requested, texts, models).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from personagen.inspection.reader import Run


@dataclass
class RunRow:
    """The headline facts of one run."""

    id: str
    path: str
    started: str | None
    status: str
    personas_requested: int | None
    personas_accepted: int
    personas_dropped: int
    texts: int
    emotions: list[str]
    models: list[str]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def model_names(config: dict[str, Any]) -> list[str]:
    """The distinct model names of a run's configuration (default first)."""
    models = config.get("models")
    if not isinstance(models, dict):
        return []
    names: list[str] = []
    for value in models.values():
        name = value.get("model") if isinstance(value, dict) else None
        if name and name not in names:
            names.append(str(name))
    return names


def count_lines(run: Run, name: str) -> int:
    """Complete, non-empty lines of a jsonl file (cheap: no parsing; a torn last line does not count)."""
    path = run.path / name
    if not path.exists():
        return 0
    count = 0
    with path.open("rb") as handle:
        for raw in handle:
            count += bool(raw.strip()) and raw.endswith(b"\n")
    return count


def run_row(run: Run) -> RunRow:
    """The summary row of a run, from config.json, personas.jsonl and records.jsonl."""
    config = run.config_dict
    statuses = [p.get("status") for p in run.personas]
    requested = config.get("personas")
    return RunRow(
        id=run.id,
        path=str(run.path),
        started=config.get("created"),
        status=run.status,
        personas_requested=requested if isinstance(requested, int) else None,
        personas_accepted=statuses.count("accepted"),
        personas_dropped=statuses.count("dropped"),
        texts=count_lines(run, "records.jsonl"),
        emotions=[str(e) for e in config.get("emotions") or []],
        models=model_names(config),
    )
