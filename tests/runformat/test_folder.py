"""`RunFolder` on runs the pipeline wrote: located by id, prefix or path; status, summary, lock, stored settings
and typed rows; a missing summary is None (status crashed or running) everywhere."""

from __future__ import annotations

import json
import os

import pytest

from personagen.errors import ExitCode
from personagen.runformat import RunFolder, RunFormatError, RunNotFound, RunStoreError
from personagen.runformat.models import FORMAT, PersonaRow, RecordRow
from tests.runformat.scripted_runs import rows, settings_of, write_run

TEXTS = {"joy": ["We won the match in the last minute.", "My sister had her baby this morning."],
         "anger": ["They cancelled my train again.", "Someone scratched my car and drove off."]}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    return write_run(runs, "20261206-120000-abcd", TEXTS, {"personas": 2, "curate": False})


def test_a_run_is_found_by_id_prefix_and_path(written, tmp_path, monkeypatch):
    runs = written.parent
    for ref in ("20261206-120000-abcd", "20261206-12", str(written)):
        assert RunFolder.locate(runs, ref).path == written
    with pytest.raises(RunNotFound) as missing:
        RunFolder.locate(runs, "2025")
    assert missing.value.exit_code == ExitCode.BAD_INPUT and "20261206-120000-abcd" in str(missing.value)


def test_a_finished_run_reads_typed(written):
    run = RunFolder(written)
    assert run.status == "finished" and run.summary is not None and run.summary.personas.requested == 2
    assert run.config.format == FORMAT and run.config.emotions == ["joy", "anger"]
    personas, records = list(run.iter_personas()), list(run.iter_records())
    assert all(isinstance(p, PersonaRow) for p in personas) and all(isinstance(r, RecordRow) for r in records)
    assert [p.index for p in personas] == [0, 1] and sum(p.texts.accepted for p in personas) == len(records) == 4
    assert {r.text for r in records} == {t for items in TEXTS.values() for t in items}
    assert run.settings() == settings_of(TEXTS, {"personas": 2, "curate": False}) and not run.warnings


def test_without_a_summary_a_run_is_crashed_or_running(written, tmp_path):
    folder = tmp_path / "copy"
    folder.mkdir()
    for path in written.iterdir():
        if path.name != "summary.json":
            (folder / path.name).write_bytes(path.read_bytes())
    assert RunFolder(folder).summary is None and RunFolder(folder).status == "crashed"
    (folder / "run.lock").write_text(json.dumps({"pid": os.getpid(), "host": os.uname().nodename}))
    assert RunFolder(folder).status == "running"
    with pytest.raises(RunStoreError) as refused:
        RunFolder(folder).check_not_running()
    assert "stop it first" in str(refused.value)


def test_a_newer_format_is_refused_plainly(written, tmp_path):
    folder = tmp_path / "newer"
    folder.mkdir()
    config = json.loads((written / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "format": FORMAT + 1, "version": "9.0.0"}))
    with pytest.raises(RunFormatError) as refused:
        RunFolder(folder).config  # noqa: B018
    said = str(refused.value)
    assert refused.value.exit_code == ExitCode.BAD_INPUT
    assert f"run format {FORMAT + 1}" in said and "personagen 9.0.0" in said and f"formats 1 to {FORMAT}" in said


def test_rows_that_are_no_model_are_skipped_with_a_warning(written, tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    lines = (written / "records.jsonl").read_text().splitlines()
    (folder / "records.jsonl").write_text(lines[0] + "\n" + json.dumps({"id": "x"}) + "\n")
    run = RunFolder(folder)
    assert len(list(run.iter_records())) == 1 and "row 2 is no RecordRow" in run.warnings[0]
    assert rows(folder / "records.jsonl")[1] == {"id": "x"}  # read only
