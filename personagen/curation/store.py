"""The curation files of a run folder (docs/curation.md): written whole, read tolerantly, checked for staleness.

`curation.jsonl` holds one line per record set aside (the record it duplicates, how they match, how similar);
`curation.json` the summary: counts, thresholds, the model, timings and `records_key`, the fingerprint of the
records it covered. Both are written to temporary files and renamed, the summary last: a reader that finds the
summary finds the complete list. Records are never deleted: the curated view is records.jsonl minus the ids listed
here, and it is `current` only while records.jsonl still holds exactly the records that were curated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from personagen.curation.corpus import read_record_ids, records_key
from personagen.runformat.atomic import atomic_write
from personagen.runformat.lines import iter_jsonl, read_json

SUMMARY_FILE = "curation.json"
REMOVED_FILE = "curation.jsonl"
FORMAT_VERSION = 1


@dataclass
class CurationState:
    """What a run folder's curation files say: `status` is current, stale or missing."""

    status: str
    summary: dict[str, Any] | None
    removed: set[str]

    @property
    def current(self) -> bool:
        return self.status == "current"


def write_curation(folder: Path, summary: dict[str, Any], removed_rows: list[dict[str, Any]]) -> None:
    """Write curation.jsonl then curation.json, each through a temporary file."""
    lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in removed_rows)
    atomic_write(folder / REMOVED_FILE, lines)
    atomic_write(folder / SUMMARY_FILE, json.dumps({"version": FORMAT_VERSION, **summary}, indent=2,
                                               ensure_ascii=False) + "\n")


def read_summary(folder: Path, warnings: list[str] | None = None) -> dict[str, Any] | None:
    return read_json(folder / SUMMARY_FILE, warnings)


def removed_rows(folder: Path, warnings: list[str] | None = None) -> list[dict[str, Any]]:
    return list(iter_jsonl(folder / REMOVED_FILE, warnings))


def curation_state(folder: Path, record_ids: list[str] | None = None) -> CurationState:
    """Whether the run's curation covers exactly its records now (`record_ids`: usable ids in file order)."""
    summary = read_summary(folder)
    if summary is None:
        return CurationState("missing", None, set())
    ids = record_ids if record_ids is not None else read_record_ids(folder)
    removed = {str(row.get("id")) for row in removed_rows(folder)}
    complete = len(removed) == summary.get("removed")
    if summary.get("records_key") != records_key(ids) or not complete:
        return CurationState("stale", summary, removed)
    return CurationState("current", summary, removed)
