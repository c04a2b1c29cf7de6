"""What a batch-mode run has submitted and received, kept in the run folder so nothing is paid twice.

RUN/batch/batches.json (rewritten atomically on every change): the batches of the run, each with its provider id,
the model entry and URL it went to, its input file, its last known status and its files, and the custom ids of its
requests; `uploads` lists input files uploaded but not yet known to be in a batch (a crash between the upload and
POST /batches: the resume looks the batch up by its input file before creating one).
RUN/batch/requests.jsonl (appended, one line per change): each request's resolved state by custom id, `done` or
`error` with the answer (status code and body, read back on resume instead of asking again), or `retry` (expired,
cancelled or left out of a failed batch: asked again in a later batch). A request listed in a batch that is still
running is in flight. A torn last line (a crash while appending) is ignored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from personagen.runformat.atomic import atomic_write

TERMINAL = ("completed", "failed", "expired", "cancelled")


class BatchJournal:
    """RUN/batch/: the batches (batches.json) and each request's resolved state (requests.jsonl)."""

    def __init__(self, folder: Path) -> None:
        self.dir = folder / "batch"
        self.dir.mkdir(exist_ok=True)
        self.batches: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, dict[str, Any]] = {}
        self.results: dict[str, dict[str, Any]] = {}  # custom id -> {"status_code", "body"} (done or error)
        self.retried: set[str] = set()
        state = self.dir / "batches.json"
        if state.exists():
            data = json.loads(state.read_text(encoding="utf-8"))
            self.batches, self.uploads = data.get("batches", {}), data.get("uploads", {})
        for line in self._lines():
            self._apply(line)
        self._log = open(self.dir / "requests.jsonl", "a", encoding="utf-8")  # noqa: SIM115 - closed in close()

    def _lines(self) -> list[dict[str, Any]]:
        path = self.dir / "requests.jsonl"
        if not path.exists():
            return []
        out = []
        for text in path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(text))
            except ValueError:  # a torn last line
                continue
        return out

    def _apply(self, line: dict[str, Any]) -> None:
        cid = line["custom_id"]
        if line["state"] == "retry":
            self.results.pop(cid, None)
            self.retried.add(cid)
        else:
            self.results[cid] = {"status_code": line["status_code"], "body": line["body"]}

    def record(self, custom_id: str, state: str, batch: str, status_code: int | None = None,
               body: Any = None) -> None:
        """Append one request's new state (done, error or retry) and flush it."""
        line = {"custom_id": custom_id, "state": state, "batch": batch}
        if state != "retry":
            line |= {"status_code": status_code, "body": body}
        self._apply(line)
        self._log.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        self._log.flush()

    def save(self) -> None:
        atomic_write(self.dir / "batches.json", json.dumps({"batches": self.batches, "uploads": self.uploads},
                                                           ensure_ascii=False, indent=1) + "\n")

    def in_flight(self) -> dict[str, dict[str, Any]]:
        """The batches not yet in a final state whose results have not been read."""
        return {bid: b for bid, b in self.batches.items() if not b.get("collected")}

    def close(self) -> None:
        self._log.close()


def in_flight_batches(folder: Path) -> dict[str, dict[str, Any]]:
    """The batches a run left running (read-only: for the end-of-run message and `--cancel-batches`)."""
    path = folder / "batch" / "batches.json"
    if not path.exists():
        return {}
    batches = json.loads(path.read_text(encoding="utf-8")).get("batches", {})
    return {bid: b for bid, b in batches.items() if not b.get("collected")}
