"""Reading run folders: torn lines, typed events, statuses (with the run store's lock check), finding runs."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from personagen.agents.events import EVENT_VERSION, DropEvent, LlmCallEvent, OutputEvent, ResumeEvent
from personagen.inspection.reader import Run, find_run, list_runs
from personagen.runformat.errors import RunNotFound, RunStoreError
from personagen.runformat.folder import RunFolder
from personagen.runformat.lines import iter_jsonl
from tests.inspection.real_runs import (
    CRASHED,
    FAILED,
    FINISHED,
    RUNNING,
    SETTINGS,
    CrashOn,
    resume_run,
    run,
    script,
)


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
    assert statuses == {FINISHED: "finished", FAILED: "failed", RUNNING: "running", CRASHED: "crashed"}


def test_events_are_typed_and_the_torn_line_is_skipped(runs_dir: Path) -> None:
    run = Run(runs_dir / RUNNING)
    events = run.events
    assert all(e.v == EVENT_VERSION for e in events)
    assert isinstance(events[-1], OutputEvent) and events[-1].persona_id == "p000002"
    assert len(run.warnings) == 1 and "torn" in run.warnings[0]
    finished = Run(runs_dir / FINISHED).events
    assert sum(isinstance(e, DropEvent) for e in finished) == 2
    assert [e.data.error_kind for e in finished if isinstance(e, LlmCallEvent) and e.data.error] == ["invalid"]


def test_lines_that_are_no_known_event_are_skipped_with_one_warning(runs_copy: Path) -> None:
    path = runs_copy / FINISHED / "events.jsonl"
    written = len(path.read_text(encoding="utf-8").splitlines())
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"ts": 1.0, "persona_id": None, "agent": "runner", "type": "run_end"}) + "\n")
        fh.write(json.dumps({"ts": 1.0, "persona_id": "p1", "agent": "a", "type": "verdict", "data": {}}) + "\n")
    run = Run(runs_copy / FINISHED)
    assert len(run.events) == written  # every line the pipeline wrote, neither of the two
    assert run.warnings == [f"{run.path / 'events.jsonl'}: 2 lines that are no known event skipped (1 run_end, "
                            "1 verdict)"]


def test_a_line_without_a_version_reads_as_version_1(runs_copy: Path) -> None:
    path = runs_copy / FINISHED / "events.jsonl"
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    path.write_text("".join(json.dumps({k: v for k, v in e.items() if k != "v"}) + "\n" for e in lines))
    run = Run(runs_copy / FINISHED)
    assert len(run.events) == len(lines) and {e.v for e in run.events} == {1} and run.warnings == []


def test_a_resumed_run_reads_with_its_resume_event(runs_copy: Path) -> None:
    resume_run(runs_copy, CRASHED)
    run = Run(runs_copy / CRASHED)
    assert run.status == "finished" and run.warnings == []
    resumes = [e for e in run.events if isinstance(e, ResumeEvent)]
    assert len(resumes) == 1 and resumes[0].persona_id is None and resumes[0].agent == "runner"
    assert resumes[0].data.done == 2 and resumes[0].data.torn_lines == 1
    assert [p["id"] for p in run.personas] == ["p000000", "p000001", "p000002"]


def test_a_lock_of_another_host_is_running_for_runs_and_for_resume(runs_copy: Path) -> None:
    """`personagen runs` and `run --resume` use the same lock check: another host's lock cannot be checked
    from here, so both take the run as running."""
    folder = runs_copy / CRASHED
    assert Run(folder).status == "crashed"
    RunFolder(folder).check_not_running()  # a dead process on this host: resumable
    (folder / "run.lock").write_text(json.dumps({"pid": os.getpid(), "host": "some-other-host"}))
    assert Run(folder).status == "running"
    with pytest.raises(RunStoreError, match="is running"):
        RunFolder(folder).check_not_running()


def test_a_live_lock_on_this_host_is_running_and_a_torn_lock_is_not(runs_copy: Path) -> None:
    folder = runs_copy / CRASHED
    (folder / "run.lock").write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}))
    assert Run(folder).status == "running"
    with pytest.raises(RunStoreError, match="is running"):
        RunFolder(folder).check_not_running()
    (folder / "run.lock").write_text('{"pid": 12')
    assert Run(folder).status == "crashed"
    RunFolder(folder).check_not_running()


def test_interrupted_and_budget_runs_read_their_status_from_the_summary(tmp_path: Path) -> None:
    ctrl_c = CrashOn(lambda e: e.persona_id == "p000001", stop=KeyboardInterrupt)
    run(tmp_path, "interrupted", script(), observer=ctrl_c)
    run(tmp_path, "budget", script(), settings={**SETTINGS, "run": {**SETTINGS["run"], "token_budget": 2000}})
    assert {r.id: r.status for r in list_runs(tmp_path)} == {"interrupted": "interrupted", "budget": "budget"}
    assert not (tmp_path / "interrupted" / "run.lock").exists()


def test_runs_are_listed_newest_first(runs_dir: Path) -> None:
    assert [r.path.name for r in list_runs(runs_dir)] == [CRASHED, RUNNING, FAILED, FINISHED]


def test_find_run_by_id_prefix_and_path(runs_dir: Path) -> None:
    assert find_run(runs_dir, FAILED).id == FAILED
    assert find_run(runs_dir, "20261126-13").id == FINISHED
    assert find_run(Path("elsewhere"), str(runs_dir / FINISHED)).id == FINISHED


def test_find_run_unknown_and_ambiguous(runs_dir: Path) -> None:
    with pytest.raises(RunNotFound) as unknown:
        find_run(runs_dir, "nope")
    assert not unknown.value.ambiguous and len(unknown.value.existing) == 4
    with pytest.raises(RunNotFound) as ambiguous:
        find_run(runs_dir, "20261126")
    assert ambiguous.value.ambiguous
    assert f"matching runs: {CRASHED}" in str(ambiguous.value)
