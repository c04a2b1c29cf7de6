"""Reading a run folder for evaluation: its config, its accepted texts and its personas.

Input: a run id, unique prefix of one (under a runs directory) or a path to a run folder (see docs/run-format.md).
Output: a `RunData` with the records and personas as plain dicts. Torn last lines are skipped with a warning,
so a run that is still going or that crashed can be evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from personagen.evaluation.errors import EvalError
from personagen.runformat.errors import RunNotFound
from personagen.runformat.folder import RunFolder


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

    @property
    def language(self) -> str:
        """The language of the texts: the run's config, else the first record's, else English."""
        first = self.records[0] if self.records else {}
        return str(self.config.get("language") or first.get("language") or "en")


def load_run(run: str | Path, runs_dir: str | Path = "runs") -> RunData:
    """Read a run folder (through RunFolder); raises EvalError when it has no usable texts."""
    try:
        found = RunFolder.locate(Path(runs_dir), run)
    except RunNotFound as exc:
        raise EvalError(str(exc)) from None
    path, config = found.path, found.config_dict
    if not config and (path / "config.json").exists():
        raise EvalError(f"{path / 'config.json'} is not valid JSON; is this a PersonaGen run folder?")
    records = [r for r in found.records if isinstance(r.get("text"), str) and r["text"].strip() and r.get("emotion")]
    if not records:
        raise EvalError(
            f"run {path} has no texts to evaluate (records.jsonl is missing or empty): "
            "wait for the run to write records, or pick another run"
        )
    return RunData(path=path, config=config, records=records, personas=found.personas, warnings=found.warnings)
