"""Export a run's dataset (records.jsonl) as flat JSONL, CSV, Parquet, or a Hugging Face folder with a card.

By default the curated view is exported: records.jsonl minus the near-duplicates listed in curation.jsonl
(docs/curation.md). When the run has no curation yet, or records were added since, curation runs first (it needs
the `eval` extra); `curated=False` (`--all`) exports every accepted text.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from personagen.curation.corpus import usable
from personagen.curation.store import curation_state
from personagen.errors import InputError
from personagen.kept import kept_records
from personagen.runformat.atomic import atomic_file, atomic_path, atomic_write
from personagen.runformat.folder import RunFolder

FORMATS = ("jsonl", "csv", "parquet", "hf")
NESTED = ("persona", "socio", "scenario")


class ExportError(InputError):
    """The run cannot be exported as asked."""


@dataclass
class ExportResult:
    rows: int
    left_out: int  # near-duplicates not exported (0 with curated=False)
    curation: dict[str, Any] | None  # the curation summary used, if any
    out: Path


def read_records(folder: Path) -> list[dict[str, Any]]:
    """The run's records; a torn last line (a crash mid-write) is skipped."""
    if not (folder / "records.jsonl").is_file():
        raise ExportError(f"{folder} is not a run folder (no records.jsonl)")
    return RunFolder(folder).records


def flat(record: dict[str, Any]) -> dict[str, Any]:
    """One record as a flat row: nested persona/socio/scenario fields prefixed, verdicts summarised."""
    row = {k: v for k, v in record.items() if k not in (*NESTED, "verdicts")}
    for key in NESTED:
        for field, value in (record.get(key) or {}).items():
            row[f"{key}_{field}"] = value
    row["critics_passed"] = ",".join(v["critic"] for v in record.get("verdicts", []) if v.get("passed"))
    return row


def curate_now(folder: Path) -> None:
    """Curate the run with the default settings (the library default of `export_run`)."""
    try:
        from personagen.curation.engine import CurationError, curate_run
    except ImportError as exc:
        raise ExportError(f"export leaves near-duplicates out, which needs the 'eval' extra ({exc}): "
                          "pip install 'personagen[eval]', or pass --all to export every text") from None
    try:
        curate_run(folder)
    except (CurationError, ImportError) as exc:
        raise ExportError(f"{exc}; or pass --all to export every text") from None


def select_records(folder: Path, curated: bool = True,
                   curate: Callable[[Path], None] = curate_now) -> tuple[list[dict[str, Any]], int, dict | None]:
    """(records to export, how many were left out, the curation summary used)."""
    records = read_records(folder)
    if not curated:
        kept = kept_records(records)
        return kept, len(records) - len(kept), None
    ids = [str(r["id"]) for r in records if usable(r)]
    state = curation_state(folder, ids)
    if not state.current:
        curate(folder)
        state = curation_state(folder, ids)
        if not state.current:
            raise ExportError(f"the curation of {folder} does not match its records (is the run still writing?): "
                              "export again when it ends, or pass --all")
    kept = kept_records(records, state.removed)
    return kept, len(records) - len(kept), state.summary


def export_run(folder: Path, fmt: str, out: Path, curated: bool = True, license_id: str = "other",
               curate: Callable[[Path], None] = curate_now) -> ExportResult:
    """Write the run's records to `out` in `fmt` (a folder for hf); files are written via temp files."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    records, left_out, curation = select_records(folder, curated, curate)
    rows = [flat(r) for r in records]
    if fmt == "hf":
        write_hf(folder, rows, out, license_id, curation, left_out, curated)
    else:
        write_file(rows, fmt, out)
    return ExportResult(len(rows), left_out, curation, out)


def write_file(rows: list[dict[str, Any]], fmt: str, out: Path) -> None:
    if fmt == "jsonl":
        atomic_write(out, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    elif fmt == "csv":
        columns = list(dict.fromkeys(k for r in rows for k in r))
        with atomic_file(out, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    else:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise ExportError("parquet needs pyarrow: pip install 'personagen[eval]'") from None
        with atomic_path(out) as tmp:
            pq.write_table(pa.Table.from_pylist(rows), tmp)


def write_hf(folder: Path, rows: list[dict[str, Any]], out: Path, license_id: str, curation: dict | None,
             left_out: int, curated: bool) -> None:
    """The Hugging Face folder: parquet with an emotion ClassLabel and a README.md card."""
    from personagen.dataset_card import render_card
    from personagen.hf_dataset import HFExportError, write_hf_dataset

    emotions = RunFolder(folder).config.emotions

    def card(features: str, types: dict[str, str], names: list[str]) -> str:
        return render_card(folder, rows, features, types, names, license_id, curation, left_out, curated)

    try:
        write_hf_dataset(rows, emotions, out, card)
    except HFExportError as exc:
        raise ExportError(str(exc)) from None
