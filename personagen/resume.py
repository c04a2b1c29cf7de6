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

Settings of a resumed run come from its config.json; only what does not change the dataset may be given again
(`FREE_RUN_KEYS`, `FREE_MODEL_KEYS`: connection, concurrency, budget, prices), anything else is refused.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

import personagen
from personagen.agents.events import EventType
from personagen.runstore import JSONL, RunStoreError, check_run_id, lock_is_live, read_lock
from personagen.settings import ConfigError, Settings, describe
from personagen.summary import USAGE_KEYS

FREE_RUN_KEYS = {"concurrency", "token_budget", "max_cost", "personas"}  # a resume may extend a run
FREE_MODEL_KEYS = {"base_url", "api_key_env", "concurrency", "timeout", "max_retries", "price_in_per_mtok",
                   "price_out_per_mtok", "price_cached_in_per_mtok", "batch_discount"}


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


def run_folder(runs_dir: Path, run_id: str) -> Path:
    """The folder of an existing run, or a clear error."""
    folder = runs_dir / check_run_id(run_id)
    if not (folder / "config.json").is_file():
        raise RunStoreError(f"no run {run_id} in {runs_dir} (looked for {folder / 'config.json'})")
    return folder


def read_config(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunStoreError(f"{folder / 'config.json'} cannot be read: {exc}") from None


def stored_settings(folder: Path) -> Settings:
    """The full settings a run was started with (config.json `settings`); a run whose settings this version cannot
    read (another version's) is refused with the version that wrote it (CHANGELOG.md)."""
    config = read_config(folder)
    written = (f"personagen {config['version']}" if config.get("version")
               else "a version of personagen that did not record its version")
    if "settings" not in config:
        raise RunStoreError(f"run {folder.name} was written by {written}, which kept no settings to resume "
                            "with: start a new run")
    try:
        return Settings.model_validate(config["settings"])
    except ValidationError as exc:
        raise RunStoreError(f"run {folder.name} was written by {written} and this is {personagen.__version__}: its "
                            f"settings do not fit ({describe(exc, 'config.json')}); resume it with the version that "
                            "wrote it, or start a new run") from None


def check_resumable(folder: Path) -> None:
    """Refuse a run another live process is writing."""
    lock = read_lock(folder)
    if lock_is_live(lock):
        raise RunStoreError(f"run {folder.name} is running (pid {lock.get('pid')} on {lock.get('host')}): "
                            "it cannot be resumed while it runs; stop it first")


def dataset_fingerprint(settings: Settings, *, ignore: set[str] = frozenset()) -> dict[str, Any]:
    """Everything in the settings that shapes the dataset (the free keys and `ignore` left out)."""
    run = {k: v for k, v in settings.run.model_dump().items() if k not in FREE_RUN_KEYS | ignore}
    names = set(settings.models) | {"default"}
    models = {name: {k: v for k, v in settings.model_for(name).model_dump().items()
                     if k not in FREE_MODEL_KEYS} for name in sorted(names)}
    return {"run": run, "limits": settings.limits.model_dump(), "critics": settings.critics.model_dump(),
            "models": models, "scenario_vocab": settings.scenario_vocab, "coverage": settings.coverage.model_dump()}


def differences(a: dict[str, Any], b: dict[str, Any], prefix: str = "") -> list[str]:
    """Human-readable list of the keys where two fingerprints differ, with both values."""
    out = []
    for key in sorted(set(a) | set(b), key=str):
        va, vb = a.get(key), b.get(key)
        if isinstance(va, dict) and isinstance(vb, dict):
            out += differences(va, vb, f"{prefix}{key}.")
        elif va != vb:
            out.append(f"{prefix}{key}: {va!r} -> {vb!r}")
    return out


def resume_settings(stored: Settings, given: Settings, run_id: str) -> Settings:
    """The stored settings with the given free values applied; a changed dataset setting is a ConfigError."""
    diff = differences(dataset_fingerprint(stored), dataset_fingerprint(given))
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


def cut_torn_line(path: Path) -> int:
    """Truncate a file to its last newline; 1 if a torn line was cut, else 0."""
    if not path.exists():
        return 0
    with path.open("rb+") as fh:
        size = fh.seek(0, os.SEEK_END)
        if size == 0:
            return 0
        pos = size
        while pos > 0:
            step = min(65536, pos)
            fh.seek(pos - step)
            chunk = fh.read(step)
            nl = chunk.rfind(b"\n")
            if nl >= 0:
                end = pos - step + nl + 1
                break
            pos -= step
        else:
            end = 0
        if end == size:
            return 0
        fh.truncate(end)
        return 1


def filter_jsonl(path: Path, keep) -> int:
    """Rewrite a jsonl file keeping the lines for which keep(obj) is true; the count dropped (streamed)."""
    if not path.exists():
        return 0
    dropped = 0
    tmp = path.with_name(f".{path.name}.tmp")
    with path.open(encoding="utf-8") as src, tmp.open("w", encoding="utf-8") as dst:
        for line in src:
            try:
                ok = keep(json.loads(line))
            except ValueError:
                ok = False
            if ok:
                dst.write(line)
            else:
                dropped += 1
    if dropped:
        tmp.replace(path)
    else:
        tmp.unlink()
    return dropped


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

    def finished_persona(e: dict[str, Any]) -> bool:
        pid = e.get("persona_id")
        if pid is None or pid in done_ids:
            return True
        if e.get("type") == EventType.LLM_CALL:
            u = usage[e["agent"]]
            u["calls"] += 1
            u["failed_parses"] += 1 if "error" in (e.get("data") or {}) else 0
            u["tokens_in"] += e.get("tokens_in") or 0
            u["tokens_out"] += e.get("tokens_out") or 0
            u["tokens_cached"] += e.get("tokens_cached") or 0
            u["latency_s"] += e.get("latency_s") or 0.0
        return False

    rep.discarded_events = filter_jsonl(folder / "events.jsonl", finished_persona)
    rep.discarded_usage = {k: dict(v) for k, v in usage.items()}
    return rep

