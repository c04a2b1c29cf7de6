"""Reading run folders: torn lines, statuses, finding runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from personagen.inspection.reader import Run, find_run, list_runs
from personagen.runfiles import RunNotFound, iter_jsonl


def test_torn_last_line_is_skipped_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"a": 1}\n{"a": 2}\n{"a": 3, "b', encoding="utf-8")
    warnings: list[str] = []
    assert [row["a"] for row in iter_jsonl(path, warnings)] == [1, 2]
    assert len(warnings) == 1 and "torn" in warnings[0] and "line 3" in warnings[0]


def test_malformed_middle_line_and_non_objects_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"a": 1}\nnot json\n[1, 2]\n\n{"a": 2}\n', encoding="utf-8")
    warnings: list[str] = []
    assert [row["a"] for row in iter_jsonl(path, warnings)] == [1, 2]
    assert len(warnings) == 2 and "line 2 is not valid JSON" in warnings[0]


def test_a_complete_object_without_its_newline_is_still_torn(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    path.write_text('{"a": 1}\n{"a": 2}', encoding="utf-8")  # the writer died before the newline
    warnings: list[str] = []
    assert [row["a"] for row in iter_jsonl(path, warnings)] == [1]
    assert "torn" in warnings[0]


def test_only_keeps_lines_holding_one_of_the_strings(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"type": "llm_call"}\n{"type": "verdict"}\n{"type": "drop"}\n', encoding="utf-8")
    assert [e["type"] for e in iter_jsonl(path, only=('"llm_call"', '"drop"'))] == ["llm_call", "drop"]


def test_missing_file_reads_as_empty(tmp_path: Path) -> None:
    warnings: list[str] = []
    assert list(iter_jsonl(tmp_path / "nope.jsonl", warnings)) == [] and warnings == []


def test_statuses(runs_dir: Path) -> None:
    statuses = {run.path.name: run.status for run in list_runs(runs_dir)}
    assert statuses == {
        "20261126-130501-aaaa": "finished",
        "20261126-140000-bbbb": "failed",
        "20261126-150000-cccc": "running",
        "20261126-160000-dddd": "crashed",
    }


def test_interrupted_and_lock_on_another_host(tmp_path: Path) -> None:
    folder = tmp_path / "r1"
    folder.mkdir()
    (folder / "summary.json").write_text(json.dumps({"status": "interrupted"}))
    assert Run(folder).status == "interrupted"
    (folder / "summary.json").unlink()
    (folder / "run.lock").write_text(json.dumps({"pid": 1, "host": "some-other-host"}))
    assert Run(folder).status == "crashed"


def test_runs_are_listed_newest_first(runs_dir: Path) -> None:
    assert [r.path.name for r in list_runs(runs_dir)][0] == "20261126-160000-dddd"


def test_find_run_by_id_prefix_and_path(runs_dir: Path) -> None:
    assert find_run(runs_dir, "20261126-140000-bbbb").id == "20261126-140000-bbbb"
    assert find_run(runs_dir, "20261126-13").id == "20261126-130501-aaaa"
    assert find_run(Path("elsewhere"), str(runs_dir / "20261126-130501-aaaa")).id == "20261126-130501-aaaa"


def test_find_run_unknown_and_ambiguous(runs_dir: Path) -> None:
    with pytest.raises(RunNotFound) as unknown:
        find_run(runs_dir, "nope")
    assert not unknown.value.ambiguous and len(unknown.value.existing) == 4
    with pytest.raises(RunNotFound) as ambiguous:
        find_run(runs_dir, "20261126")
    assert ambiguous.value.ambiguous
    assert "matching runs: 20261126-160000-dddd" in str(ambiguous.value)
