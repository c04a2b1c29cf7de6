"""A run's dataset in the Hugging Face layout: `datasets.load_dataset(DIR)` reads it offline.

Input: flat rows (personagen.export.flat), the run's emotions in label order, and the card text. Output: DIR with
  data/train-00000-of-00001.parquet   the rows; `emotion` stored as a class index (int64)
  README.md                           the dataset card: YAML header (`dataset_info.features` with `emotion` as a
                                      ClassLabel, `configs` naming the parquet files) and the body
The same features are stored in the parquet schema's `huggingface` metadata, so the file alone loads with its
ClassLabel too. Every other column is a plain string, int64, float64 or bool column (nested values become JSON
strings). Each file is written under a temporary name and renamed into place; files of DIR other than these two
are left alone, and a README.md that PersonaGen did not write is never replaced.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from personagen.errors import InputError
from personagen.runformat.atomic import atomic_path

DATA_FILE = "data/train-00000-of-00001.parquet"
LEAD_COLUMNS = ("text", "emotion")
CARD_MARKER = "<!-- written by personagen export -->"  # the card carries it: a later export may replace it


class HFExportError(InputError):
    """The Hugging Face folder cannot be written as asked."""


def column_types(rows: list[dict[str, Any]]) -> dict[str, str]:
    """The HF dtype of each column ("string", "int64", "float64", "bool"); mixed columns become strings."""
    columns = list(dict.fromkeys([*LEAD_COLUMNS, *(k for r in rows for k in r)]))
    types = {}
    for column in columns:
        kinds = {value_kind(r.get(column)) for r in rows} - {"null"}
        if kinds == {"int64", "float64"}:
            kinds = {"float64"}
        types[column] = kinds.pop() if len(kinds) == 1 else "string"
    types["emotion"] = "class_label"
    return types


def value_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    return "string"


def cell(value: Any, dtype: str) -> Any:
    if value is None:
        return None
    if dtype == "string" and not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
    if dtype == "float64":
        return float(value)
    return value


def label_names(emotions: list[str], rows: list[dict[str, Any]]) -> list[str]:
    """The run's emotions in its order, then any other label found in the rows (sorted)."""
    extra = sorted({str(r.get("emotion")) for r in rows} - set(emotions))
    return [*emotions, *extra]


def features_dict(types: dict[str, str], names: list[str]) -> dict[str, Any]:
    """The `datasets.Features.to_dict()` form (for the parquet metadata)."""
    return {column: ({"names": names, "_type": "ClassLabel"} if dtype == "class_label"
                     else {"dtype": dtype, "_type": "Value"}) for column, dtype in types.items()}


def features_yaml(types: dict[str, str], names: list[str], n_rows: int, n_bytes: int) -> str:
    """The card's `dataset_info` and `configs` blocks (YAML; strings quoted as JSON, which YAML reads)."""
    lines = ["dataset_info:", "  features:"]
    for column, dtype in types.items():
        lines.append(f"  - name: {json.dumps(column)}")
        if dtype == "class_label":
            lines += ["    dtype:", "      class_label:", "        names:"]
            lines += [f"          '{i}': {json.dumps(name, ensure_ascii=False)}" for i, name in enumerate(names)]
        else:
            lines.append(f"    dtype: {dtype}")
    lines += ["  splits:", "  - name: train", f"    num_bytes: {n_bytes}", f"    num_examples: {n_rows}",
              f"  dataset_size: {n_bytes}",
              "configs:", "- config_name: default", "  data_files:", "  - split: train", "    path: data/train-*"]
    return "\n".join(lines)


def build_table(rows: list[dict[str, Any]], types: dict[str, str], names: list[str]) -> Any:
    """The rows as a pyarrow Table with the HF features in its schema metadata."""
    try:
        import pyarrow as pa
    except ImportError:
        raise HFExportError("the hf format needs pyarrow: pip install 'personagen[eval]'") from None
    arrow_type = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_(),
                  "class_label": pa.int64()}
    index = {name: i for i, name in enumerate(names)}
    columns = {}
    for column, dtype in types.items():
        if dtype == "class_label":
            values = [index[str(r.get(column))] for r in rows]
        else:
            values = [cell(r.get(column), dtype) for r in rows]
        columns[column] = pa.array(values, type=arrow_type[dtype])
    metadata = {"huggingface": json.dumps({"info": {"features": features_dict(types, names)}})}
    return pa.table(columns).replace_schema_metadata(metadata)


def write_hf_dataset(rows: list[dict[str, Any]], emotions: list[str], out: Path,
                     card: Callable[[str, dict[str, str], list[str]], str]) -> None:
    """Write the folder `out`; `card(features_yaml, types, label names)` returns the README.md text."""
    check_target(out)
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise HFExportError("the hf format needs pyarrow: pip install 'personagen[eval]'") from None
    types = column_types(rows)
    names = label_names(emotions, rows)
    data, readme = out / DATA_FILE, out / "README.md"
    table = build_table(rows, types, names)
    data.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(readme) as readme_tmp, atomic_path(data) as data_tmp:  # the data is swapped in first
        pq.write_table(table, data_tmp)
        yaml = features_yaml(types, names, len(rows), table.nbytes)
        readme_tmp.write_text(card(yaml, types, names), encoding="utf-8")


def check_target(out: Path) -> None:
    """`out` may be new, a folder without a README.md, or an earlier export (its files are replaced)."""
    if out.exists() and not out.is_dir():
        raise HFExportError(f"--out {out} is a file; the hf format writes a folder: choose a folder path")
    readme = out / "README.md"
    if readme.is_file() and CARD_MARKER not in readme.read_text(encoding="utf-8", errors="replace"):
        raise HFExportError(f"{readme} is not a card PersonaGen wrote: choose a new folder, or move it away")
