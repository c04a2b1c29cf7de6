"""Events shaped as the pipeline writes them today: writer outputs as a list of texts, expression verdicts
without an emotion (attributed from their order), and a persona-stage rejection that emits a retry and then a
drop. The funnel must count the final rejection as a drop only."""

from __future__ import annotations

import json
from pathlib import Path

from personagen.inspection.events import attribute_texts
from personagen.inspection.funnel import overview
from personagen.inspection.reader import Run
from tests.inspection.runfolder import BASE, SOCIO, EventLog, write_jsonl


def build(log: EventLog) -> None:
    p = "p000000"
    log.add(p, "demographic_sampler", "sample", "base", 1, BASE)
    log.verdict(p, "constraints", "base", 1, True, [])
    log.add(p, "socio_enricher", "output", "socio", 1, SOCIO)
    log.verdict(p, "consistency", "socio", 1, True, [], kind="llm")
    texts = [
        {"emotion": "joy", "text": "Got the keys!", "slot": 0, "attempt": 1},
        {"emotion": "anger", "text": "I am angry.", "slot": 0, "attempt": 1},
    ]
    log.add(p, "emotion_writer", "output", "expression", None, texts)
    log.verdict(p, "text_shape", "expression", 1, True, [])
    log.call(p, "critic:emotion_fidelity", "expression", 1, "EmotionReading", {"emotion": "joy"}, "which?")
    log.verdict(p, "emotion_fidelity", "expression", 1, True, ["reads as joy"], "llm")
    log.verdict(p, "text_shape", "expression", 1, True, [])
    log.call(p, "critic:emotion_fidelity", "expression", 1, "EmotionReading", {"emotion": "joy"}, "which?")
    log.verdict(p, "emotion_fidelity", "expression", 1, False, ["reads as joy, not anger"], "llm")
    log.add(
        p,
        "expression_critics",
        "retry",
        "expression",
        1,
        {"stage": "expression", "slot": "anger#0", "reason": "reads as joy, not anger"},
    )
    log.add(
        p,
        "emotion_writer",
        "output",
        "expression",
        None,
        [{"emotion": "anger", "text": "Cancelled. Again.", "slot": 0, "attempt": 2}],
    )
    log.verdict(p, "text_shape", "expression", 2, False, ["too short"])
    log.add(
        p,
        "expression_critics",
        "drop",
        "expression",
        None,
        {"stage": "expression", "slot": "anger#0", "reasons": ["too short"]},
    )
    q = "p000001"
    log.add(q, "demographic_sampler", "sample", "base", 1, BASE)
    log.verdict(q, "constraints", "base", 1, True, [])
    for attempt in (1, 2):
        log.add(q, "socio_enricher", "output", "socio", attempt, SOCIO)
        log.verdict(q, "consistency", "socio", attempt, False, ["incoherent"], kind="llm")
        log.add(q, "socio_critics", "retry", "socio", attempt, {"stage": "socio", "reason": "incoherent"})
    log.add(q, "socio_critics", "drop", "socio", None, {"stage": "socio", "reasons": ["socio: 2 rejected"]})


def make_run(tmp_path: Path) -> Run:
    folder = tmp_path / "r"
    folder.mkdir()
    log = EventLog()
    build(log)
    write_jsonl(folder / "events.jsonl", log.events)
    write_jsonl(
        folder / "records.jsonl", [{"id": "p000000-joy-0", "persona_id": "p000000", "emotion": "joy"}]
    )
    (folder / "config.json").write_text(json.dumps({"run_id": "r", "emotions": ["joy", "anger"]}))
    return Run(folder)


def test_expression_verdicts_are_attributed_to_their_text(tmp_path: Path) -> None:
    events = attribute_texts(make_run(tmp_path).events)
    tagged = [
        (e["data"]["critic"], e["emotion"], e["slot"])
        for e in events
        if e["type"] == "verdict" and e["stage"] == "expression"
    ]
    assert tagged == [
        ("text_shape", "joy", 0),
        ("emotion_fidelity", "joy", 0),
        ("text_shape", "anger", 0),
        ("emotion_fidelity", "anger", 0),
        ("text_shape", "anger", 0),
    ]
    calls = [e["emotion"] for e in events if e["type"] == "llm_call"]
    assert calls == ["joy", "anger"]


def test_funnel_counts_final_rejection_as_drop_only(tmp_path: Path) -> None:
    funnel = {row.stage: row for row in overview(make_run(tmp_path)).funnel}
    socio = funnel["socio"]
    assert (socio.sampled, socio.accepted, socio.resampled, socio.dropped) == (3, 1, 1, 1)
    text = funnel["expression"]
    assert (text.sampled, text.accepted, text.resampled, text.dropped) == (3, 1, 1, 1)
