"""Submitting the shards of a Ray run, following them, retrying the ones whose worker died, cancelling on Ctrl-C.

Each shard is one Ray task (`task.run_shard`, one CPU, spread over the nodes, no Ray-level retries). When Ray
reports that a shard's worker or node died, its run folder is as a kill -9 leaves it: the driver removes the dead
worker's run.lock and submits the shard again, which resumes it (up to `[scale] max_retries` times per shard).
Any other error of a shard (a bad model config, an unreachable server) is final for that shard: the others go
on, and the run ends failed and resumable. Ctrl-C cancels every task: Ray raises KeyboardInterrupt in each
worker, whose pipeline stops cleanly (status interrupted, resumable); a task still running after a grace period
is killed (its folder is repaired on resume).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from personagen.runformat.folder import RunFolder
from personagen.scale.layout import RayRun
from personagen.scale.progress import DatasetProgress
from personagen.scale.task import run_shard
from personagen.settings import Settings

POLL_S = 0.5  # how often the progress is read while waiting for shards
CANCEL_GRACE_S = 30.0  # how long cancelled shards may take to close their run folders
DIED = ("WorkerCrashedError", "NodeDiedError", "LocalRayletDiedError", "OwnerDiedError", "ObjectLostError",
        "OutOfMemoryError", "RaySystemError")  # Ray's words for "the process running the task is gone"


@dataclass
class Shard:
    """One shard's state in the driver."""

    index: int
    id: str
    folder: Path
    settings: dict[str, Any]
    attempts: int = 0
    status: str | None = None  # the shard run's status once it ended (finished, failed, ...)
    message: str | None = None
    error: BaseException | None = None  # a final error raised by the task
    report: dict[str, Any] = field(default_factory=dict)

    def refresh(self) -> None:
        """Take the status and message from the shard's summary.json, when it has one."""
        summary = RunFolder(self.folder).summary
        if summary is not None:
            self.status, self.message = summary.status, summary.message


def shard_settings(settings: Settings, index: int, count: int) -> dict[str, Any]:
    """Shard I/N of the run's settings; a token budget is shared evenly among the shards."""
    budget = settings.run.token_budget
    run = settings.run.model_copy(update={"shard": f"{index}/{count}",
                                          "token_budget": -(-budget // count) if budget else None})
    return settings.model_copy(update={"run": run}).model_dump(mode="json")


def task_error(exc: BaseException) -> BaseException:
    """The exception a task raised itself (Ray wraps it in a RayTaskError), else `exc`."""
    return getattr(exc, "cause", None) or exc


class ShardRunner:
    """Drives the shards of one Ray run to their end."""

    def __init__(self, ray: Any, run: RayRun, settings: Settings, progress: DatasetProgress,
                 note: Callable[[str], None], ledger: Any = None) -> None:
        self.ray, self.run, self.progress, self.note, self.ledger = ray, run, progress, note, ledger
        self.max_retries = settings.scale.max_retries
        self.remote = ray.remote(num_cpus=1, max_retries=0, scheduling_strategy="SPREAD")(run_shard)
        self.shards = [Shard(i, run.shard_id(i), run.shard_folder(i), shard_settings(settings, i, run.shards))
                       for i in range(run.shards)]
        self.retries: list[dict[str, Any]] = []
        self.inflight: dict[Any, Shard] = {}
        self.died = tuple(getattr(ray.exceptions, name) for name in DIED if hasattr(ray.exceptions, name))

    def submit(self, shard: Shard) -> None:
        (shard.folder / "run.lock").unlink(missing_ok=True)  # the driver lock: no other attempt is running
        shard.attempts += 1
        shard.status = shard.message = shard.error = None
        self.inflight[self.remote.remote(shard.settings, str(self.run.shard_root), shard.id, self.ledger)] = shard

    def drive(self) -> bool:
        """Run every shard not yet finished; False when Ctrl-C stopped it."""
        for shard in self.shards:
            shard.refresh()
            if shard.status != "finished":
                self.submit(shard)
        try:
            while self.inflight:
                ready, _ = self.ray.wait(list(self.inflight), num_returns=1, timeout=POLL_S)
                self.progress.poll()
                for ref in ready:
                    self.ended(ref, self.inflight.pop(ref))
        except KeyboardInterrupt:
            self.cancel()
            return False
        self.progress.poll()
        return True

    def ended(self, ref: Any, shard: Shard) -> None:
        """A shard's task ended: note how, and submit it again when its worker died."""
        try:
            shard.report = self.ray.get(ref)
        except Exception as exc:  # noqa: BLE001 - Ray's and the task's errors alike
            if isinstance(exc, self.died) and shard.attempts <= self.max_retries:
                self.retry(shard, exc)
            elif isinstance(exc, self.ray.exceptions.TaskCancelledError):
                shard.refresh()
                shard.status = shard.status or "interrupted"
            else:
                shard.error = cause = task_error(exc)
                shard.status, shard.message = "failed", f"shard {shard.id}: {type(cause).__name__}: {cause}"
            return
        shard.refresh()

    def retry(self, shard: Shard, exc: BaseException) -> None:
        entry = {"shard": shard.id, "attempt": shard.attempts + 1, "error": type(exc).__name__,
                 "noticed_at": round(time.time(), 3)}
        self.retries.append(entry)
        self.note(f"shard {shard.id}: its worker died ({type(exc).__name__}); resuming it "
                  f"(retry {shard.attempts} of {self.max_retries})")
        self.submit(shard)
        entry["submitted_at"] = round(time.time(), 3)

    def cancel(self) -> None:
        """Ctrl-C: cancel every task, let each close its run folder, kill those that do not in time."""
        for ref in self.inflight:
            self.ray.cancel(ref)
        deadline = time.monotonic() + CANCEL_GRACE_S
        try:
            while self.inflight and time.monotonic() < deadline:
                ready, _ = self.ray.wait(list(self.inflight), num_returns=len(self.inflight), timeout=POLL_S)
                for ref in ready:
                    self.inflight.pop(ref).refresh()
                self.progress.poll()
        except KeyboardInterrupt:
            pass  # a second Ctrl-C: stop waiting
        for ref, shard in self.inflight.items():
            self.ray.cancel(ref, force=True)
            shard.status, shard.message = "interrupted", "stopped by the user (killed)"
        self.inflight.clear()
        for shard in self.shards:
            if shard.status is None:
                shard.status, shard.message = "interrupted", "stopped by the user"
