"""Where a Ray run keeps its parts, and the driver's manifest.

    <runs-dir>/<RUN>.shards/ray.json      the driver's manifest: settings (with [scale]), shard count, storage,
                                          status and retries; `personagen run --resume RUN` starts from it
    <runs-dir>/<RUN>.shards/driver.lock   the driver process that owns the run (one at a time)
    <storage>/<RUN>.shards/<RUN>-IofN/    shard I's run folder: a normal run (inspect, resume or merge it by hand)
    <runs-dir>/<RUN>/                     the merged run, written once every shard finished

`storage` is `[scale] storage` (a folder every Ray node and the driver see at the same path), else --runs-dir;
with the default both `.shards` folders are one. A `.shards` folder is not a run: `personagen runs` skips it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import personagen
from personagen.runformat.errors import RunStoreError
from personagen.runformat.locate import check_run_id
from personagen.runformat.locking import take_lock_file
from personagen.runformat.models import FORMAT
from personagen.runformat.store import write_json
from personagen.runformat.versions import stored_settings
from personagen.settings import ScaleSettings, Settings

SUFFIX = ".shards"
MANIFEST = "ray.json"
DRIVER_LOCK = "driver.lock"


@dataclass(frozen=True)
class RayRun:
    """The folders of one Ray run."""

    run_id: str
    runs_dir: Path
    storage: Path
    shards: int

    @property
    def home(self) -> Path:
        """The driver's folder (manifest, lock), in --runs-dir."""
        return self.runs_dir / f"{self.run_id}{SUFFIX}"

    @property
    def shard_root(self) -> Path:
        """The folder that holds the shard run folders, in the shared storage."""
        return self.storage / f"{self.run_id}{SUFFIX}"

    def shard_id(self, index: int) -> str:
        return f"{self.run_id}-{index}of{self.shards}"

    def shard_folder(self, index: int) -> Path:
        return self.shard_root / self.shard_id(index)

    @property
    def merged(self) -> Path:
        return self.runs_dir / self.run_id


def storage_path(scale: ScaleSettings, runs_dir: Path) -> Path:
    """The shard storage as an absolute path (workers do not share the driver's working directory)."""
    return Path(scale.storage or runs_dir).expanduser().resolve()


def check_new(settings: Settings, runs_dir: Path, run_id: str) -> None:
    """Refuse a run id whose run, driver or shard folder exists already (before anything is written)."""
    check_run_id(run_id)
    shard_root = storage_path(settings.scale, runs_dir) / f"{run_id}{SUFFIX}"
    for folder in (runs_dir / run_id, runs_dir / f"{run_id}{SUFFIX}", shard_root):
        if folder.exists():
            raise RunStoreError(f"{folder} already exists; pick another --run-id "
                                f"(or continue that run with --resume {run_id})")


def create(settings: Settings, runs_dir: Path, run_id: str, shards: int) -> RayRun:
    """The folders and manifest of a new Ray run."""
    run = RayRun(run_id, runs_dir.resolve(), storage_path(settings.scale, runs_dir), shards)
    try:
        run.home.mkdir(parents=True)
        run.shard_root.mkdir(parents=True, exist_ok=run.shard_root == run.home)
    except OSError as exc:
        if run.home.is_dir() and not any(run.home.iterdir()):
            run.home.rmdir()
        raise RunStoreError(f"cannot create {run.home} or {run.shard_root}: {exc.strerror or exc}") from None
    write_manifest(run, {"run_id": run_id, "created": datetime.now(UTC).isoformat(timespec="seconds"),
                         "version": personagen.__version__, "format": FORMAT, "shards": shards,
                         "storage": str(run.storage),
                         "settings": settings.model_dump(mode="json"),
                         "scale": settings.scale.model_dump(mode="json"), "status": "running", "retries": []})
    return run


def find_home(runs_dir: Path, ref: str) -> Path | None:
    """The driver folder of an unmerged Ray run named by `ref` (its id or its .shards folder), else None."""
    for home in (Path(ref), runs_dir / f"{ref}{SUFFIX}"):
        if home.name.endswith(SUFFIX) and (home / MANIFEST).is_file():
            merged = home.parent / home.name.removesuffix(SUFFIX)
            return None if (merged / "config.json").is_file() else home
    return None


def read_manifest(home: Path) -> dict[str, Any]:
    try:
        return json.loads((home / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunStoreError(f"{home / MANIFEST} cannot be read: {exc}") from None


def load(home: Path) -> tuple[RayRun, Settings]:
    """An existing Ray run and the settings it was started with (its [scale] included)."""
    manifest = read_manifest(home)
    settings = stored_settings(manifest, manifest.get("run_id") or home.name)
    scale = ScaleSettings.model_validate({**manifest["scale"], "shards": manifest["shards"]})
    settings = settings.model_copy(update={"scale": scale})
    run = RayRun(manifest["run_id"], home.parent.resolve(), Path(manifest["storage"]), manifest["shards"])
    return run, settings


def write_manifest(run: RayRun, manifest: dict[str, Any]) -> None:
    write_json(run.home / MANIFEST, manifest)


def update_manifest(run: RayRun, **values: Any) -> None:
    write_manifest(run, {**read_manifest(run.home), **values})


@contextmanager
def driver_lock(run: RayRun) -> Iterator[None]:
    """Hold driver.lock while driving the run: a second driver of the same run is refused."""
    path = run.home / DRIVER_LOCK
    take_lock_file(path, f"Ray run {run.run_id}")
    try:
        yield
    finally:
        path.unlink(missing_ok=True)



