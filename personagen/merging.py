"""Joining shard runs (`personagen run --shard I/N`) into one run folder: `personagen merge A B ... --run-id OUT`.

Shard I of N holds the personas with index % N == I, each seeded from (run seed, index) alone, so the union of
all N shards is the dataset of the single-machine run with the same seed. The merge checks that first:
- every input is a finished run, or a `short` one (it lost text slots to model errors), that nobody is writing
  (a stopped shard must be resumed first);
- all inputs have the same dataset settings (seed, personas, emotions, models, critics, ...) except the shard;
- they are shards of the same N with distinct I, and (unless `partial`) together cover 0..N-1.
The output is a new run folder: config.json of the first shard with `shard` cleared and `merged_from` added,
the jsonl files concatenated in shard order (streamed: memory does not grow with the run, except a set of
persona indices to prove the shards are disjoint), and a summary recounted from the merged folder. The merged
run is `short` itself (RunIncomplete, exit 4) when its share of slots lost to model errors is over `[limits]
max_error_share`; its resume re-attempts them, as any run's does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from personagen.agents.context import Limits
from personagen.curation.carry import carry_vector_stores
from personagen.early_stop import EarlyStop
from personagen.errors import RunIncomplete
from personagen.graph.runner import parse_shard
from personagen.runformat.folder import RunFolder
from personagen.runformat.lines import JSONL
from personagen.runformat.signature import dataset_signature, differences
from personagen.runformat.store import RunStore, new_run_id
from personagen.settings import ConfigError, Settings
from personagen.summary import RunTally, replay_folder

MERGEABLE = ("finished", "short")  # short: finished, with more text slots lost to model errors than allowed


@dataclass
class Shard:
    """One input run of a merge."""

    folder: Path
    config: dict[str, Any]
    settings: Settings
    index: int
    count: int


def load_shard(runs_dir: Path, run_id: str) -> Shard:
    """A finished (or short) shard run, or a clear error saying what is wrong with it."""
    run = RunFolder.existing(runs_dir, run_id)
    run.check_not_running("merged")
    settings = run.settings()
    if run.status not in MERGEABLE:
        raise ConfigError(f"run {run_id} is {run.status}, not finished: finish it first "
                          f"(personagen run --resume {run_id})")
    index, count = parse_shard(settings.run.shard)
    return Shard(run.path, run.config_dict, settings, index, count)


def check_compatible(shards: list[Shard], partial: bool) -> None:
    """Same dataset settings, same shard count, distinct shard numbers, all shards present (unless partial)."""
    if len(shards) < 2 and not partial:
        raise ConfigError("merge needs at least two shard runs")
    first = shards[0]
    reference = dataset_signature(first.settings, ignore={"shard"})
    for s in shards[1:]:
        diff = differences(reference, dataset_signature(s.settings, ignore={"shard"}))
        if diff:
            raise ConfigError(f"runs {first.folder.name} and {s.folder.name} are not shards of one run: "
                              + "; ".join(diff[:4]))
        if s.count != first.count:
            raise ConfigError(f"runs {first.folder.name} and {s.folder.name} split the personas differently "
                              f"(shard {first.settings.run.shard} vs {s.settings.run.shard})")
    seen: dict[int, str] = {}
    for s in shards:
        if s.index in seen:
            raise ConfigError(f"runs {seen[s.index]} and {s.folder.name} are the same shard "
                              f"{s.index}/{s.count}: give each shard once")
        seen[s.index] = s.folder.name
    missing = [f"{i}/{first.count}" for i in range(first.count) if i not in seen]
    if missing and not partial:
        raise ConfigError(f"shards {', '.join(missing)} are missing: merge them all (or pass --partial)")


def merged_config(shards: list[Shard], run_id: str) -> dict[str, Any]:
    config = json.loads(json.dumps(shards[0].config))
    config.update(run_id=run_id, created=datetime.now(UTC).isoformat(timespec="seconds"), shard=None,
                  merged_from=[s.folder.name for s in shards])
    config["settings"]["run"]["shard"] = None
    return config


def copy_lines(store: RunStore, shard: Shard, seen: set[int]) -> None:
    """Append one shard's whole lines to the merged run; a persona index seen before is an error."""
    for name in JSONL:
        path = shard.folder / f"{name}.jsonl"
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if not line.endswith("\n"):
                    continue
                if name == "personas":
                    index = json.loads(line)["index"]
                    if index in seen:
                        raise ConfigError(f"persona {index} is in more than one input run")
                    seen.add(index)
                store.append_line(name, line)


def merge_runs(runs_dir: Path, run_ids: list[str], out_id: str | None = None, partial: bool = False) -> Path:
    """Merge shard runs into a new run folder `out_id`; returns its folder."""
    shards = sorted((load_shard(runs_dir, r) for r in run_ids), key=lambda s: s.index)
    check_compatible(shards, partial)
    out_id = out_id or new_run_id()
    store = RunStore.create(runs_dir, out_id, merged_config(shards, out_id))
    seen: set[int] = set()
    try:
        for shard in shards:
            copy_lines(store, shard, seen)
    except BaseException:
        store.close({"status": "failed", "message": "merge failed"})
        raise
    store.flush()
    carry_vector_stores([s.folder for s in shards], store.folder)  # the texts the shards embedded while they ran
    tally = replay_folder(RunTally(shards[0].settings.run.personas), store.folder)
    status, message = merged_status(tally, shards[0].settings.limits, out_id)
    store.close(tally.summary(status, message, merged_from=[s.folder.name for s in shards]))
    if status != "finished":
        raise RunIncomplete(status, f"merged into {store.folder}, which is {status}: {message}")
    return store.folder


def merged_status(tally: RunTally, limits: Limits, run_id: str) -> tuple[str, str | None]:
    """finished, or short (with the message a short run gets) when the merged run lost too many slots."""
    if tally.error_share <= limits.max_error_share:
        return "finished", None
    why = EarlyStop(limits, 0, lambda _: None).short_message(tally.lost, tally.slots, tally.error_kinds)
    return "short", f"{why}; continue with: personagen run --resume {run_id}"
