"""Events as the pipeline writes them, against their contract (agents/events.py): every line of a real
run is its typed event with no key the model does not know and writes back unchanged; every type of the module is
written by some run; events about a text carry its emotion and slot; a loop's last rejection is a drop only."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from pydantic import ValidationError

from personagen.agents.context import AgentContext
from personagen.agents.events import (
    EVENT_MODELS,
    EVENT_VERSION,
    Record,
    ResumeData,
    SampleData,
    ScenarioData,
    SocioData,
    TextData,
    VerdictData,
    parse_event,
    record,
)
from personagen.personas.models import BasePersona, Expression, Scenario, SocioCultural, Verdict
from personagen.resume import Repair
from tests.inspection.real_runs import CRASHED, FINISHED, resume_run


def lines(folder: Path) -> list[dict]:
    """The complete lines of events.jsonl (a torn last line left out)."""
    text = (folder / "events.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines(keepends=True) if line.endswith("\n")]


@pytest.fixture(scope="module")
def resumed(tmp_path_factory: pytest.TempPathFactory, runs_dir: Path) -> Path:
    """The crashed run, resumed: its events.jsonl holds a `resume` event."""
    runs = Path(shutil.copytree(runs_dir, tmp_path_factory.mktemp("resumed") / "runs"))
    resume_run(runs, CRASHED)
    return runs / CRASHED


def test_every_line_is_its_typed_event_and_writes_back_unchanged(runs_dir: Path, resumed: Path) -> None:
    folders = [*sorted(runs_dir.iterdir()), resumed]
    for written in (line for folder in folders for line in lines(folder)):
        event = parse_event(written)
        assert type(event) is EVENT_MODELS[written["type"]] and event.v == written["v"] == EVENT_VERSION
        assert not event.model_extra
        assert not isinstance(event.data, Record) or not event.data.model_extra
        assert json.loads(json.dumps(record(event))) == written


def test_the_runs_write_every_event_type_of_the_module(runs_dir: Path, resumed: Path) -> None:
    written = {line["type"] for folder in [*runs_dir.iterdir(), resumed] for line in lines(folder)}
    assert written == set(EVENT_MODELS)


@pytest.mark.parametrize(("data", "domain"), [
    (SampleData, BasePersona), (SocioData, SocioCultural), (ScenarioData, Scenario), (TextData, Expression),
    (VerdictData, Verdict),
])
def test_event_data_is_the_domain_record(data: type, domain: type) -> None:
    assert issubclass(data, domain) and set(data.model_fields) == set(domain.model_fields)


def test_resume_data_has_the_fields_the_runner_writes() -> None:
    assert set(ResumeData.model_fields) == set(Repair().as_event_data())


def test_events_about_a_text_carry_its_emotion_and_slot(runs_dir: Path) -> None:
    events = lines(runs_dir / FINISHED)
    about_texts = [e for e in events if e["stage"] == "expression" and e["type"] != "output"]
    assert about_texts and all(e["emotion"] in ("joy", "anger") for e in about_texts)
    judged = [e for e in about_texts if e["agent"] != "emotion_writer"]
    assert all(e["slot"] == 0 for e in judged)
    assert all("emotion" not in e and "slot" not in e for e in events if e["stage"] != "expression")
    retry = next(e for e in judged if e["type"] == "retry")
    assert isinstance(retry["slot"], int) and "slot" not in retry["data"]  # one slot, on the event


def test_a_loops_last_rejection_is_a_drop_only(runs_dir: Path) -> None:
    mine = [e for e in lines(runs_dir / FINISHED) if e["persona_id"] == "p000001" and e["stage"] == "socio"]
    rejected = [e for e in mine if e["type"] == "verdict" and not e["data"]["passed"]]
    assert [e["type"] for e in mine if e["type"] in ("retry", "drop")] == ["retry", "retry", "drop"]
    assert len(rejected) == 3 and [e["attempt"] for e in rejected] == [1, 2, 3]


def test_emit_refuses_an_event_outside_the_contract() -> None:
    written: list[dict] = []
    ctx = AgentContext(models=None, emotions=["joy"], sink=lambda e: written.append(record(e)))
    ctx.emit("p000000", "base_critics", "retry", stage="base", attempt=1, data={"stage": "base", "reason": "r"})
    assert written[0]["v"] == EVENT_VERSION and "emotion" not in written[0]
    with pytest.raises(ValueError, match="persona_done"):
        ctx.emit("p000000", "runner", "persona_done", data={"status": "accepted"})
    with pytest.raises(ValidationError):
        ctx.emit("p000000", "base_critics", "retry", stage="base", data={"stage": "base"})  # no reason
    assert len(written) == 1
