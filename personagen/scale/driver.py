"""`personagen run --ray`: one dataset as N shard runs on Ray, merged into one run folder (docs/scaling.md).

`execute_ray` is `execute` for a Ray run, with the same contract: it returns the run folder and its summary
(status finished, failed, interrupted or budget; all but finished continue with `personagen run --resume RUN`).
Shard I of N holds the persona indices with index % N == I, each seeded from (run seed, index) alone, so the
merged dataset is the single-process run's. A finished run's summary.json is the merge's (personagen/merging.py)
with the Ray run's own `started`, `wall_s`, `cpu_s` (the shards' generation CPU, summed) and a `scale` block:
shards, where they ran, attempts, and every retry (`retries`, `retry_log`). A run that did not finish gets a
summary recounted from the shard folders, and its folder is the driver's `.shards` folder.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from personagen.backends.local_server import LocalModelError
from personagen.backends.model_set import BackendUnavailable
from personagen.merging import merge_runs
from personagen.pipeline import Observer, RunResult, SilentObserver, price_lookup
from personagen.runformat.errors import RunStoreError
from personagen.runformat.folder import RunFolder
from personagen.runformat.store import new_run_id, write_json
from personagen.scale import layout
from personagen.scale.layout import RayRun
from personagen.scale.ledger import start_ledger
from personagen.scale.options import INSTALL
from personagen.scale.progress import DatasetProgress
from personagen.scale.shards import ShardRunner
from personagen.settings import ConfigError, ScaleSettings, Settings
from personagen.summary import RunTally, replay_folder

USER_ERRORS = (ValueError, BackendUnavailable, LocalModelError)  # what the CLI reports in one line (ConfigError...)
STATUS_ORDER = ("interrupted", "failed", "budget", "short")  # the run's status: the first one any shard has


def import_ray() -> Any:
    """The ray module, or a ConfigError with the install line (exit 2)."""
    try:
        import ray
    except ImportError as exc:
        raise ConfigError(f"the Ray executor (--ray, [scale] executor = \"ray\") needs Ray, an optional extra: "
                          f"{INSTALL} ({exc})") from None
    return ray


@contextmanager
def ray_session(ray: Any, scale: ScaleSettings) -> Iterator[float]:
    """Connected to Ray inside the block (yields the seconds that took); a connection the caller made is kept.

    No address: a local Ray instance with `num_cpus` (else `shards`, else all cores) CPUs; "auto", a GCS
    address or "ray://HOST:10001": an existing cluster."""
    if ray.is_initialized():
        yield 0.0
        return
    started = time.perf_counter()
    options: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": False}
    try:
        if scale.address:
            ray.init(address=scale.address, **options)
        else:
            ray.init(num_cpus=scale.num_cpus or scale.shards, include_dashboard=False, **options)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"the Ray cluster at {scale.address}" if scale.address else "a local Ray instance"
        raise ConfigError(f"cannot start or reach {where}: {exc} (check --ray-address / [scale] address; "
                          "'auto' needs `ray start --head` on this machine)") from None
    try:
        yield time.perf_counter() - started
    finally:
        ray.shutdown()


@dataclass(frozen=True)
class Clock:
    started: float
    init_s: float


def execute_ray(settings: Settings, runs_dir: Path, run_id: str | None = None, observer: Observer | None = None,
                resume: bool = False) -> RunResult:
    """Run the dataset as shards on Ray (or, with `resume`, the rest of Ray run `run_id`); folder and summary."""
    observer = observer or SilentObserver()
    if settings.run.shard:
        raise ConfigError("--shard and --ray do not mix: the Ray executor makes the shards itself "
                          "([scale] shards, --ray-shards)")
    ray = import_ray()
    started = time.time()
    run_id = run_id or new_run_id()
    if not resume:
        layout.check_new(settings, runs_dir, run_id)
    with ray_session(ray, settings.scale) as init_s:
        if resume:
            run = layout.load(runs_dir / f"{run_id}{layout.SUFFIX}")[0]
        else:
            run = layout.create(settings, runs_dir, run_id, shard_count(ray, settings))
        with layout.driver_lock(run):
            cpus = int(ray.cluster_resources().get("CPU", 0))
            observer.note(f"Ray: {run.shards} shards on {settings.scale.address or 'a local instance'} "
                          f"({cpus} CPUs); shard runs in {run.shard_root}")
            progress = DatasetProgress([run.shard_folder(i) for i in range(run.shards)], observer)
            progress.start(settings.run.personas)
            runner = ShardRunner(ray, run, settings, progress, observer.note, shared_cap(ray, run, settings))
            completed = runner.drive()
            error = None if resume else setup_error(run, runner)
            if error is None:
                return finish(run, settings, runner, completed, Clock(started, init_s), observer.note)
    remove_empty(run)
    raise error


def shared_cap(ray: Any, run: RayRun, settings: Settings) -> Any:
    """`--max-cost`: the ledger the shards lease the cap from (personagen/scale/ledger.py), counting what earlier
    processes of the run spent (each shard's summary); None without a cap."""
    if settings.run.max_cost is None:
        return None
    spent = sum(((RunFolder(run.shard_folder(i)).summary_dict or {}).get("cost_cap") or {}).get("spent", 0.0)
                for i in range(run.shards))
    return start_ledger(ray, settings.run.max_cost, spent)


def shard_count(ray: Any, settings: Settings) -> int:
    """[scale] shards, else one per CPU of the cluster; never more than there are personas."""
    count = settings.scale.shards or int(ray.cluster_resources().get("CPU", 1)) or 1
    return max(1, min(count, settings.run.personas))


def setup_error(run: RayRun, runner: ShardRunner) -> BaseException | None:
    """The error of a new run whose every shard failed before writing anything for a reason the user can fix (a
    bad config, no server): raised as a single run raises it (exit 2 or 1, one line); else None."""
    errors = [s.error for s in runner.shards]
    if all(isinstance(e, USER_ERRORS) for e in errors) and not any(s.folder.exists() for s in runner.shards):
        return errors[0]
    return None


def remove_empty(run: RayRun) -> None:
    """Take away a new run's folders when no shard wrote anything (an error before the start)."""
    (run.home / layout.MANIFEST).unlink(missing_ok=True)
    for folder in (run.shard_root, run.home):
        try:
            folder.rmdir()
        except OSError:
            pass


def finish(run: RayRun, settings: Settings, runner: ShardRunner, completed: bool, clock: Clock,
           note: Callable[[str], None]) -> RunResult:
    """Merge (and curate) a finished run; summarise a stopped one. Either way the manifest records how it ended."""
    for shard in runner.shards:
        if shard.status is None:
            shard.status = "failed"
            shard.message = (f"shard {shard.id} ended without a summary.json in {shard.folder}: is [scale] "
                             "storage a folder that the driver and every Ray node see at the same path?")
    retries = layout.read_manifest(run.home).get("retries", []) + runner.retries
    block = scale_block(run, settings.scale, runner, retries, clock)
    statuses = {s.status for s in runner.shards}
    if completed and statuses == {"finished"}:
        folder = merge(run)
        summary = finished_summary(folder, runner, block, clock)
        curate(folder, settings, note)
        summary = RunFolder(folder).summary_dict or summary  # with texts.kept once curated
    else:
        status = "interrupted" if not completed else next(s for s in STATUS_ORDER if s in statuses)
        reason = next(s.message for s in runner.shards if s.status == status) or status
        message = f"{reason.split('; continue with:')[0]}; continue with: personagen run --resume {run.run_id}"
        folder, summary = run.home, stopped_summary(run, settings, status, message, runner, block, clock)
    layout.update_manifest(run, status=summary["status"], message=summary["message"], retries=retries)
    return RunResult(folder, summary)


def scale_block(run: RayRun, scale: ScaleSettings, runner: ShardRunner, retries: list[dict[str, Any]],
                clock: Clock) -> dict[str, Any]:
    shard_runs = [{"id": s.id, "status": s.status, "attempts": s.attempts, "node": s.report.get("node"),
                   "wall_s": s.report.get("wall_s"), "cpu_s": s.report.get("cpu_s")} for s in runner.shards]
    return {"executor": "ray", "address": scale.address or "local", "shards": run.shards,
            "storage": str(run.shard_root), "ray_init_s": round(clock.init_s, 3), "retries": len(retries),
            "retry_log": retries, "shard_runs": shard_runs}


def merge(run: RayRun) -> Path:
    """`personagen merge` of the shards into <runs-dir>/<RUN> (merged beside the shards, then moved)."""
    scratch = run.shard_root / run.run_id
    if scratch.exists():
        shutil.rmtree(scratch)  # a merge an earlier driver did not finish
    ids = [run.shard_id(i) for i in range(run.shards)]
    folder = merge_runs(run.shard_root, ids, run.run_id, partial=run.shards == 1)
    move_folder(folder, run.merged)
    return run.merged


def curate(folder: Path, settings: Settings, note: Callable[[str], None]) -> None:
    """Curate the merged run as a single run is curated at its end (shards are not: duplicates cross shards)."""
    if getattr(settings.run, "curate", False):
        from personagen.curation.hook import curate_after_run

        curate_after_run(folder, note)


def move_folder(src: Path, dst: Path) -> None:
    """Rename, or across file systems copy to a hidden name then rename (never a half-copied run)."""
    try:
        os.rename(src, dst)
        return
    except OSError:
        pass
    tmp = dst.with_name(f".{dst.name}.moving")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(src, tmp)
    os.rename(tmp, dst)
    shutil.rmtree(src)


def ray_times(summary: dict[str, Any], runner: ShardRunner, block: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """The Ray run's own start, wall time and CPU (the shards' generation CPU, summed), and the scale block."""
    cpu = [(ended.cpu_s if (ended := RunFolder(s.folder).summary) else None) or 0.0 for s in runner.shards]
    now = time.time()
    summary.update(started=clock.started, finished=now, wall_s=round(now - clock.started, 3),
                   cpu_s=round(sum(cpu), 3), scale=block)
    return summary


def finished_summary(folder: Path, runner: ShardRunner, block: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """The merge's summary, with the Ray run's times (summary.json rewritten)."""
    merged = RunFolder(folder).summary_dict
    if merged is None:
        raise RunStoreError(f"the merge of the shards wrote no summary.json in {folder}")
    summary = ray_times(merged, runner, block, clock)
    write_json(folder / "summary.json", summary)
    return summary


def stopped_summary(run: RayRun, settings: Settings, status: str, message: str, runner: ShardRunner,
                    block: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """A stopped run's summary, recounted from every shard folder."""
    tally = RunTally(settings.run.personas, price_lookup(settings))
    for index in range(run.shards):
        if run.shard_folder(index).exists():
            replay_folder(tally, run.shard_folder(index))
    return ray_times(tally.summary(status, message), runner, block, clock)
