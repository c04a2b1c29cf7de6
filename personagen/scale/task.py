"""One shard of a Ray run, as it runs in a Ray worker: the ordinary pipeline on the personas of shard I/N.

`run_shard` is what the driver submits (wrapped with `ray.remote` there: this module does not import Ray). It
starts the shard's run folder, or resumes it when an earlier attempt left one (a worker that died, a Ctrl-C),
so a retry keeps every persona that was done and runs only the rest, with the same per-persona seeds.

Test hook, for tests/runner/test_ray.py only: when the environment variable PERSONAGEN_TEST_KILL_SHARD names a
file that exists, the first shard to claim it (renaming it to NAME.taken) kills its own worker process with
os._exit(1) after as many finished personas as the file holds (a number), first writing the time of its death
into NAME.taken. Without that variable, or once the file is taken, nothing happens.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from personagen.pipeline import Observer, SilentObserver, execute
from personagen.runformat.errors import RunStoreError
from personagen.settings import Settings

KILL_ENV = "PERSONAGEN_TEST_KILL_SHARD"


def run_shard(settings: dict[str, Any], shard_root: str, shard_id: str, ledger: Any = None) -> dict[str, Any]:
    """Run (or resume) the shard run `shard_id` in `shard_root`; a short report of how it ended. `ledger`: the
    run's shared cost cap (personagen/scale/ledger.py), when it has one."""
    root = Path(shard_root)
    if not root.is_dir():  # execute would create it on this node's own disk, where the driver never looks
        raise RunStoreError(f"the shard storage {root} is not visible on Ray node {socket.gethostname()}: mount "
                            "the shared folder at the same path on every node (see [scale] storage)")
    resume = (root / shard_id / "config.json").is_file()
    result = execute(Settings.model_validate(settings), root, shard_id, observer=kill_hook(), resume=resume,
                     ledger=ledger)
    summary = result.summary
    return {"id": shard_id, "status": summary["status"], "message": summary["message"], "resumed": resume,
            "cpu_s": summary["cpu_s"], "wall_s": summary["wall_s"], "node": socket.gethostname(),
            "pid": os.getpid()}


class DyingObserver(SilentObserver):
    """The test hook: kills this process after `after` finished personas."""

    def __init__(self, after: int, record: Path) -> None:
        self.after, self.record, self.done = after, record, 0

    def persona(self, row: dict[str, Any], records: list[dict[str, Any]]) -> None:
        self.done += 1
        if self.done >= self.after:
            self.record.write_text(json.dumps({"killed_at": time.time(), "pid": os.getpid()}))
            os._exit(1)


def kill_hook() -> Observer:
    """The test hook's observer when armed (see the module docstring), else a silent one."""
    marker = os.environ.get(KILL_ENV)
    if not marker:
        return SilentObserver()
    taken = Path(f"{marker}.taken")
    try:
        os.rename(marker, taken)  # atomic: one shard only
    except FileNotFoundError:
        return SilentObserver()
    return DyingObserver(int(taken.read_text().strip() or 1), taken)
