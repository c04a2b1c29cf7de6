"""Runs know the version that wrote them (config.json `version`), and a run from another version is read, or
refused with a plain reason: a resume needs the stored settings in a shape this version understands."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

import personagen
from personagen.cli import app


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def make_run(tmp_path, stub_url) -> dict:
    result = run("run", "-n", "2", "-e", "joy", "-k", "1", "--runs-dir", str(tmp_path), "--run-id", "old",
                 "--base-url", stub_url, "--model", "stub", "--no-curate", "-q", "--max-tokens", "1500")
    assert result.exit_code == 3, result.output  # stopped at the budget (2 personas need more), resumable
    assert json.loads((tmp_path / "old" / "summary.json").read_text(encoding="utf-8"))["status"] == "budget"
    return json.loads((tmp_path / "old" / "config.json").read_text(encoding="utf-8"))


def rewrite_config(tmp_path, config: dict) -> None:
    (tmp_path / "old" / "config.json").write_text(json.dumps(config), encoding="utf-8")


def test_a_run_records_the_version_that_wrote_it(tmp_path, stub_url):
    assert make_run(tmp_path, stub_url)["version"] == personagen.__version__


def test_resuming_a_run_of_a_newer_version_says_why_not(tmp_path, stub_url):
    config = make_run(tmp_path, stub_url)
    config["version"], config["settings"]["run"]["new_knob"] = "9.0.0", 1
    rewrite_config(tmp_path, config)
    result = run("run", "--resume", "old", "--runs-dir", str(tmp_path), "--base-url", stub_url, "--model", "stub")
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "written by personagen 9.0.0" in said and f"this is {personagen.__version__}" in said
    assert "run.new_knob" in said and "Traceback" not in result.output


def test_resuming_a_run_without_stored_settings_says_why_not(tmp_path, stub_url):
    config = make_run(tmp_path, stub_url)
    del config["settings"], config["version"]
    rewrite_config(tmp_path, config)
    result = run("run", "--resume", "old", "--runs-dir", str(tmp_path), "--base-url", stub_url, "--model", "stub")
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "written by a version of personagen that did not record its version" in said
    assert "start a new run" in said and "Traceback" not in result.output


def test_a_run_of_another_version_is_still_read(tmp_path, stub_url):
    config = make_run(tmp_path, stub_url)
    config["version"], config["settings"]["run"]["new_knob"] = "9.0.0", 1
    rewrite_config(tmp_path, config)
    said = {}
    for command in (["inspect", "old"], ["runs"], ["export", "old", "--format", "jsonl", "--all"]):
        result = run(*command, "--runs-dir", str(tmp_path))
        assert result.exit_code == 0, (command, result.output)
        said[command[0]] = " ".join(result.output.split())
    assert "status budget" in said["inspect"] and "personas 0/2 accepted" in said["inspect"]
    assert re.search(r"│ old │ [^│]+ │ budget │ 0/2 │", said["runs"]), said["runs"]
    records = (tmp_path / "old" / "records.jsonl").read_text(encoding="utf-8").count("\n")
    assert f"wrote {records} rows" in said["export"]
    assert (tmp_path / "old" / "dataset.jsonl").read_text(encoding="utf-8").count("\n") == records


def test_a_format_1_run_resumes_taking_curate_as_given(tmp_path, stub_url):
    """Format 1 (no `format`) did not store `curate`: the resume cannot know it, so it takes what is given."""
    config = make_run(tmp_path, stub_url)
    assert config["format"] == 2 and config["settings"]["run"]["curate"] is False
    del config["format"], config["settings"]["run"]["curate"]
    rewrite_config(tmp_path, config)
    result = run("run", "--resume", "old", "--runs-dir", str(tmp_path), "--base-url", stub_url, "--model", "stub",
                 "--no-curate", "-q", "--max-tokens", "10000000")
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "old" / "curation.json").exists()


def test_a_run_in_a_newer_format_is_refused_by_name_or_read_with_a_warning(tmp_path, stub_url):
    config = make_run(tmp_path, stub_url)
    config["version"], config["format"] = "9.0.0", 9
    rewrite_config(tmp_path, config)
    resumed = run("run", "--resume", "old", "--base-url", stub_url, "--model", "stub", "--runs-dir", str(tmp_path))
    assert resumed.exit_code == 2, resumed.output
    inspected = run("inspect", "old", "--runs-dir", str(tmp_path))  # read as far as it goes, with the reason
    assert inspected.exit_code == 0, inspected.output
    for result in (resumed, inspected):
        said = " ".join(result.output.split())
        assert "run format 9, written by personagen 9.0.0" in said and "reads formats 1 to 2" in said
