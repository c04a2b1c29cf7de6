"""The run folder: its files and formats, in one package (docs/run-format.md).

- `folder.RunFolder`: locate a run (path, id, prefix), read it (config, summary, status, lock, stored settings,
  typed rows and events); every reader goes through it.
- `store.RunStore`: the one writer of a run (create, append whole lines, close with the summary).
- `atomic`: the one atomic write (temporary file with the pid, fsync, os.replace, fsync of the folder).
- `models`: config.json, persona and record rows, summary.json as pydantic models; `versions`: older formats.
- `signature`: the settings that shape a run's dataset (what a resume and a merge must keep).
- `lines`, `locate`, `locking`: jsonl lines, finding run folders, run.lock.
"""

from personagen.runformat.atomic import atomic_file, atomic_path, atomic_write
from personagen.runformat.errors import RunFormatError, RunNotFound, RunStoreError
from personagen.runformat.folder import RunFolder

__all__ = ["RunFolder", "RunFormatError", "RunNotFound", "RunStoreError", "atomic_file", "atomic_path",
           "atomic_write"]
