"""docs/run-format.md matches what a real run writes: a run made by the real pipeline on the stub server has
exactly the top-level keys of the doc's examples, and every event field and type it writes is documented."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from personagen.cli import app
from tests.docs.doc_blocks import ROOT, parse

DOC = ROOT / "docs" / "run-format.md"


def doc_examples() -> dict[str, dict]:
    """The first json block under each `## <file>` heading of the doc, parsed."""
    text = DOC.read_text(encoding="utf-8").splitlines()
    headings = [(n + 1, line[3:].strip()) for n, line in enumerate(text) if line.startswith("## ")]
    examples = {}
    for block in parse(DOC)[0]:
        if block.lang != "json":
            continue
        heading = [name for line, name in headings if line < block.line][-1]
        examples.setdefault(heading, json.loads(block.text))
    return examples


def event_section() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text[text.index("## events.jsonl"):]


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory, stub_url) -> Path:
    runs = tmp_path_factory.mktemp("runs")
    result = CliRunner().invoke(app, ["run", "-n", "3", "-e", "joy,anger", "-k", "2", "--runs-dir", str(runs),
                                      "--run-id", "doc", "--base-url", stub_url, "--model", "stub", "-q"])
    assert result.exit_code == 0, result.output
    return runs / "doc"


def first_line(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8").splitlines()[0])


def test_the_doc_shows_every_file():
    assert set(doc_examples()) >= {"config.json", "personas.jsonl", "records.jsonl", "summary.json"}


@pytest.mark.parametrize("name", ["config.json", "summary.json", "personas.jsonl", "records.jsonl"])
def test_doc_example_has_the_keys_a_run_writes(name: str, run_folder: Path):
    path = run_folder / name
    written = first_line(path) if name.endswith(".jsonl") else json.loads(path.read_text(encoding="utf-8"))
    assert set(doc_examples()[name]) == set(written)


def test_nested_config_and_persona_keys_match(run_folder: Path):
    doc = doc_examples()
    config = json.loads((run_folder / "config.json").read_text(encoding="utf-8"))
    assert set(doc["config.json"]["limits"]) == set(config["limits"])
    assert set(doc["config.json"]["settings"]) == set(config["settings"])
    persona = first_line(run_folder / "personas.jsonl")
    assert set(doc["personas.jsonl"]["attempts"]) == set(persona["attempts"])
    assert set(doc["personas.jsonl"]["verdicts"][0]) == set(persona["verdicts"][0])
    record = first_line(run_folder / "records.jsonl")
    assert set(doc["records.jsonl"]["persona"]) == set(record["persona"])


def test_every_event_field_and_type_is_documented(run_folder: Path):
    section = event_section()
    documented_types = set(re.findall(r"^\| `(\w+)`", section, flags=re.M))
    events = [json.loads(line) for line in (run_folder / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {e["type"] for e in events} <= documented_types
    fields = {key for e in events for key in e}
    undocumented = sorted(f for f in fields if f"`{f}`" not in section)
    assert undocumented == []


def test_documented_statuses_include_every_summary_status():
    """pipeline.execute ends a run finished, failed, interrupted or budget; the doc lists them all."""
    import personagen.pipeline

    statuses = {"finished", "failed", "interrupted", "budget"}
    assert all(s in (personagen.pipeline.execute.__doc__ or "") for s in statuses)
    text = DOC.read_text(encoding="utf-8")
    status_line = text[text.index("Status of a run"):text.index("## config.json")]
    assert all(f"`{s}`" in status_line for s in statuses | {"running", "crashed"})
