"""The run store's JSONL lines: orjson writes what json.dumps(..., default=str) wrote, value for value."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from personagen.agents.events import make_event, record
from personagen.runformat.lines import dumps, line_bytes
from personagen.runformat.store import RunStore


@dataclass
class Point:
    x: int


def same_values(obj) -> None:
    line = line_bytes(obj)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert json.loads(line) == json.loads(dumps(obj))


def test_event_lines_hold_the_same_values_as_json_dumps():
    event = make_event({"ts": 1764440000.123456, "persona_id": "p000001", "agent": "socio_enricher",
                        "type": "llm_call", "stage": "socio", "attempt": 1,
                        "data": {"schema": "Enrichment", "parsed": {"residence": "Ōsaka, a flat", "n": 2.5e-07}},
                        "model": "stub", "tokens_in": 120, "tokens_out": 30, "latency_s": 0.1234,
                        "prompt": [{"role": "human", "content": "日本語 and \"quotes\"\n"}], "raw": "{}"})
    same_values(record(event))


def test_what_orjson_does_not_take_goes_through_str_or_json():
    same_values({"when": datetime(2026, 11, 29, tzinfo=UTC), "point": Point(1), 3: "int key", "big": 2 ** 70})
    assert json.loads(line_bytes({"when": datetime(2026, 11, 29, tzinfo=UTC)}))["when"] == "2026-11-29 00:00:00+00:00"


def test_store_appends_whole_utf8_lines(tmp_path):
    store = RunStore.create(tmp_path, "r1", {"x": 1})
    store.event({"type": "sample", "text": "é"})
    store.append_line("events", dumps({"type": "merged"}) + "\n")
    store.persona_done({"id": "p0"}, [{"text": "ü"}])
    store.close({"status": "finished"})
    events = (tmp_path / "r1" / "events.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(e) for e in events] == [{"type": "sample", "text": "é"}, {"type": "merged"}]
    assert json.loads((tmp_path / "r1" / "records.jsonl").read_text(encoding="utf-8")) == {"text": "ü"}
