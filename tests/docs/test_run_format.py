"""docs/run-format.md matches what a real run writes: a run made by the real pipeline on the stub server has
exactly the top-level keys of the doc's examples, every event field and type it writes is documented, and the doc
lists exactly the event types of agents/events.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from personagen.agents.events import EVENT_MODELS, EVENT_VERSION, EventType, Record, parse_event, record
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
    start = text.index("## events.jsonl")
    return text[start:text.index("\n## ", start)]


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


def documented_types() -> list[str]:
    return re.findall(r"^\| `(\w+)`", event_section(), flags=re.M)


def test_the_doc_lists_exactly_the_event_types_of_the_events_module():
    assert sorted(documented_types()) == sorted(EventType) == sorted(EVENT_MODELS)


def test_every_event_field_and_type_is_documented(run_folder: Path):
    section = event_section()
    documented = set(documented_types())
    events = [json.loads(line) for line in (run_folder / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {e["type"] for e in events} <= documented
    fields = {key for e in events for key in e}
    undocumented = sorted(f for f in fields if f"`{f}`" not in section)
    assert undocumented == []


def test_every_event_line_is_its_typed_event(run_folder: Path):
    """Each line validates as its model with no key the model does not know, and writes back unchanged."""
    for line in (run_folder / "events.jsonl").read_text(encoding="utf-8").splitlines():
        written = json.loads(line)
        event = parse_event(written)
        assert event.v == EVENT_VERSION and not event.model_extra
        assert not isinstance(event.data, Record) or not event.data.model_extra
        assert json.loads(json.dumps(record(event))) == written


@pytest.mark.parametrize("type_", ["llm_call", "verdict", "retry", "drop", "error", "resume"])
def test_the_doc_names_every_data_field(type_: str):
    rows = dict(re.findall(r"^\| `(\w+)` \|[^|]*\| (.*) \|$", event_section(), flags=re.M))
    model = EVENT_MODELS[type_].model_fields["data"].annotation
    names = {field.alias or name for name, field in model.model_fields.items()}
    assert sorted(n for n in names if f'"{n}"' not in rows[type_]) == []


def test_documented_statuses_include_every_summary_status():
    """pipeline.execute ends a run finished, failed, interrupted, budget or short; the doc lists them all."""
    import personagen.pipeline

    statuses = {"finished", "failed", "interrupted", "budget", "short"}
    assert all(s in (personagen.pipeline.execute.__doc__ or "") for s in statuses)
    text = DOC.read_text(encoding="utf-8")
    status_line = text[text.index("Status of a run"):text.index("## config.json")]
    assert all(f"`{s}`" in status_line for s in statuses | {"running", "crashed"})
