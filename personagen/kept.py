"""What a run keeps: the one definition of a kept text.

A text is kept when every enforced critic accepted it (its records.jsonl row carries no blocking verdict:
`Verdict.blocks`) and curation did not set it aside as a near-duplicate (an id in curation.jsonl, `set_aside`).
Export, the `--texts` quotas, summary.json's `texts.kept`, the dataset card and the Python API
(personagen/api/handle.py `Run.rows`) all count and select through `kept_records`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Iterable, Iterator
from pathlib import Path
from typing import Any

from personagen.curation.corpus import usable
from personagen.curation.store import curation_state
from personagen.personas.models import blocking_verdicts
from personagen.runformat.lines import iter_jsonl, read_json
from personagen.runformat.store import write_json


def is_kept(record: dict[str, Any], set_aside: Container[str] = ()) -> bool:
    """Accepted by every enforced critic and not set aside by curation."""
    return str(record.get("id")) not in set_aside and not blocking_verdicts(record.get("verdicts") or [])


def iter_kept(records: Iterable[dict[str, Any]], set_aside: Container[str] = ()) -> Iterator[dict[str, Any]]:
    """The kept records, in file order, as they are read; a repeated id is a repeated record (written twice by a
    crash before a resume; curation ignores the later copy): kept once."""
    seen: set[str] = set()
    for record in records:
        record_id = str(record.get("id"))
        if is_kept(record, set_aside) and (record_id not in seen or not usable(record)):
            seen.add(record_id)
            yield record


def kept_records(records: Iterable[dict[str, Any]], set_aside: Container[str] = ()) -> list[dict[str, Any]]:
    """The kept records, in file order (`iter_kept`, as a list)."""
    return list(iter_kept(records, set_aside))


def kept_per_emotion(records: Iterable[dict[str, Any]], set_aside: Container[str] = ()) -> Counter[str]:
    """Kept texts per target emotion."""
    return Counter(str(r.get("emotion")) for r in iter_kept(records, set_aside))


def count_kept(folder: Path) -> int | None:
    """The run's kept texts, when its curation is current for its records (None otherwise). records.jsonl is
    streamed (read twice: ids, then verdicts): memory does not grow with the run."""
    state = curation_state(folder)
    if not state.current:
        return None
    return sum(1 for _ in iter_kept(iter_jsonl(folder / "records.jsonl"), state.removed))


def refresh_kept(folder: Path) -> None:
    """summary.json's `texts.kept` after a curation of the finished run (the run's own, `personagen curate`, export,
    the Ray driver's merge), so it never counts against a curation that has been replaced."""
    summary = read_json(folder / "summary.json")
    if summary is not None and isinstance(summary.get("texts"), dict):
        add_kept(folder, summary)


def add_kept(folder: Path, summary: dict[str, Any]) -> dict[str, Any]:
    """summary.json with `texts.kept` (after the run's curation), written again atomically."""
    kept = count_kept(folder)
    if kept is None:
        return summary
    summary = {**summary, "texts": {**summary["texts"], "kept": kept}}
    write_json(folder / "summary.json", summary)
    return summary
