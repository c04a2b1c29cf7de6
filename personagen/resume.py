"""Continuing a stopped run (crash, kill -9, Ctrl-C, dead server, token budget): repair, then skip done work.

Repair of a run folder, in this order:
1. a torn last line of each jsonl file is cut off (truncated to the last newline);
2. persona rows are de-duplicated by index (a persona is done exactly when its row is written), and the rows of
   personas that lost text slots to model errors (`texts.lost_to_errors`, a `short` run's losses) are removed:
   those personas run again, so their lost slots are re-attempted (with the same seed: a cause that went away,
   a server fixed or a fault that passed, yields the texts; a content filter that refuses the same prompt
   again loses them again);
3. records whose persona has no row are dropped (records are written before the row, so a crash between the
   two leaves orphans; the persona runs again and writes them again);
4. events of personas that are not done are dropped (their thread runs again from the start), and the model
   usage they record is handed back so the run's token and cost accounting still counts it.

Settings of a resumed run come from its config.json; only what keeps the dataset's signature may be given again
(personagen/runformat/signature.py: connection, concurrency, budget, prices, more personas), anything else is
refused.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from personagen.agents.events import LlmCallEvent, parse_event
from personagen.runformat.lines import JSONL, cut_torn_line, filter_jsonl
from personagen.runformat.signature import dataset_signature, differences
from personagen.settings import ConfigError, Settings
from personagen.summary import USAGE_KEYS, count_call


@dataclass
class Repair:
    """What a repair found and fixed, and which persona indices are done."""

    done: set[int] = field(default_factory=set)
    torn_lines: int = 0
    duplicate_rows: int = 0
    orphan_records: int = 0
    discarded_events: int = 0
    discarded_usage: dict[str, dict[str, float]] = field(default_factory=dict)
    retried: int = 0  # finished personas run again: they lost text slots to model errors

    def as_event_data(self) -> dict[str, Any]:
        return {"done": len(self.done), "retried": self.retried, "torn_lines": self.torn_lines,
                "duplicate_rows": self.duplicate_rows,
                "orphan_records": self.orphan_records, "discarded_events": self.discarded_events,
                "discarded_usage": self.discarded_usage}


def resume_settings(stored: Settings, given: Settings, run_id: str,
                    unknown: AbstractSet[str] = frozenset()) -> Settings:
    """The given settings, when they keep the run's dataset signature (personagen/runformat/signature.py); a
    changed dataset setting is a ConfigError. `unknown`: [run] settings the run's format did not store."""
    diff = differences(dataset_signature(stored, ignore=unknown), dataset_signature(given, ignore=unknown))
    if diff:
        raise ConfigError(f"cannot resume run {run_id} with other dataset settings ({'; '.join(diff[:4])}); "
                          "drop those options, or start a new run")
    return given


def overlay(stored: Settings, run: dict[str, Any], models: dict[str, Any], critics: dict[str, Any],
            config_models: dict[str, Any] | None = None) -> Settings:
    """Stored settings overridden by the options given on resume (None means not given)."""
    raw = stored.model_dump(exclude_none=True)
    raw["run"].update({k: v for k, v in run.items() if v is not None})
    raw["critics"].update({k: v for k, v in critics.items() if v is not None})
    if config_models is not None:
        raw["models"] = config_models
    given_models = {k: v for k, v in models.items() if v is not None}
    if given_models:
        raw.setdefault("models", {}).setdefault("default", {}).update(given_models)
    try:
        return Settings.model_validate(raw)
    except ValueError as exc:
        raise ConfigError(f"resume options: {exc}") from None


def repair(folder: Path) -> Repair:
    """Make a stopped run folder consistent (see the module docstring); returns what was done."""
    rep = Repair()
    rep.torn_lines = sum(cut_torn_line(folder / f"{name}.jsonl") for name in JSONL)
    done_ids: set[str] = set()

    def first_row(row: dict[str, Any]) -> bool:
        if row["index"] in rep.done:
            return False
        if row["texts"].get("lost_to_errors"):  # run again: its slots lost to model errors are re-attempted
            rep.retried += 1
            return False
        rep.done.add(row["index"])
        done_ids.add(row["id"])
        return True

    rep.duplicate_rows = filter_jsonl(folder / "personas.jsonl", first_row) - rep.retried
    rep.orphan_records = filter_jsonl(folder / "records.jsonl", lambda r: r.get("persona_id") in done_ids)
    usage: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(USAGE_KEYS, 0))

    def finished_persona(line: dict[str, Any]) -> bool:
        try:
            event = parse_event(line)
        except ValidationError:  # no event this version knows (a newer one's): left as it is
            return True
        if event.persona_id is None or event.persona_id in done_ids:
            return True
        if isinstance(event, LlmCallEvent):
            count_call(usage[event.agent], event)
        return False

    rep.discarded_events = filter_jsonl(folder / "events.jsonl", finished_persona)
    rep.discarded_usage = {k: dict(v) for k, v in usage.items()}
    return rep

