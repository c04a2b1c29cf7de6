"""Export a run's dataset (records.jsonl) as flat JSONL, CSV or Parquet."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from personagen.runfiles import iter_jsonl

FORMATS = ("jsonl", "csv", "parquet")
NESTED = ("persona", "socio", "scenario")


class ExportError(ValueError):
    """The run cannot be exported as asked."""


def read_records(folder: Path) -> Iterator[dict[str, Any]]:
    """The run's records; a torn last line (a crash mid-write) is skipped."""
    path = folder / "records.jsonl"
    if not path.is_file():
        raise ExportError(f"{folder} is not a run folder (no records.jsonl)")
    yield from iter_jsonl(path)


def flat(record: dict[str, Any]) -> dict[str, Any]:
    """One record as a flat row: nested persona/socio/scenario fields prefixed, verdicts summarised."""
    row = {k: v for k, v in record.items() if k not in (*NESTED, "verdicts")}
    for key in NESTED:
        for field, value in (record.get(key) or {}).items():
            row[f"{key}_{field}"] = value
    row["critics_passed"] = ",".join(v["critic"] for v in record.get("verdicts", []) if v.get("passed"))
    return row


def export_run(folder: Path, fmt: str, out: Path) -> int:
    """Write the run's records to `out` in `fmt`; returns the number of rows. Writes via a temp file."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    rows = [flat(r) for r in read_records(folder)]
    tmp = out.with_name(f".{out.name}.tmp")
    if fmt == "jsonl":
        tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    elif fmt == "csv":
        columns = list(dict.fromkeys(k for r in rows for k in r))
        with tmp.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    else:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise ExportError("parquet needs pyarrow: pip install 'personagen[eval]'") from None
        pq.write_table(pa.Table.from_pylist(rows), tmp)
    tmp.replace(out)
    return len(rows)
