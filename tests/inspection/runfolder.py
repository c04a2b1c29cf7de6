"""Hand-built run folders, exactly per docs/run-format.md, for inspection tests (and anyone else's).

`write_run(runs_dir, run_id, ...)` writes a small but complete run of three personas:
- p000000: base rejected once by `constraints` (retry), accepted; socio accepted; scenario; texts for joy and
  anger, anger rejected once by `emotion_fidelity` (retry) and rewritten: two records.
- p000001: base accepted; socio rejected three times by `consistency`: two retries and a drop; dropped.
- p000002: base sampled and judged, then the run stops (still running, or crashed).
Expected numbers are in `EXPECTED_FUNNEL` and `EXPECTED_CRITICS`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EXPECTED_FUNNEL = {
    "base": {"sampled": 4, "accepted": 2, "resampled": 1, "dropped": 0, "pending": 1},
    "socio": {"sampled": 4, "accepted": 1, "resampled": 2, "dropped": 1, "pending": 0},
    "scenario": {"sampled": 1, "accepted": 1, "resampled": 0, "dropped": 0, "pending": 0},
    "expression": {"sampled": 3, "accepted": 2, "resampled": 1, "dropped": 0, "pending": 0},
}
EXPECTED_CRITICS = {
    "constraints": (4, 3),
    "plausibility": (3, 3),
    "consistency": (4, 1),
    "emotion_fidelity": (3, 2),
}

BASE = {
    "locale": "us",
    "age": 34,
    "gender": "female",
    "occupation": "Registered Nurses",
    "occupation_code": "291141",
    "mbti": "ISFJ",
    "provenance": {"age": {"table": "us/age", "seed": 1}},
}
SOCIO = {
    "education": "Bachelor's degree",
    "residence": "suburb, Ohio",
    "family_structure": "married, two kids",
    "religion": "Catholic",
    "beliefs": "family first",
    "income": "$60k-$75k",
    "provenance": {},
}
SCENARIO = {
    "location": "hospital break room",
    "activity": "eating lunch",
    "partner": "close friend",
    "medium": "text message",
    "language_style": "casual",
    "description": "A short break mid-shift.",
}


class EventLog:
    """Builds events.jsonl lines with increasing timestamps."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.ts = 1_764_162_301.0

    def add(
        self,
        pid: str | None,
        agent: str,
        type_: str,
        stage: str | None = None,
        attempt: int | None = None,
        data: dict[str, Any] | None = None,
        **extra: Any,
    ) -> None:
        self.ts += 0.5
        self.events.append(
            {
                "ts": self.ts,
                "persona_id": pid,
                "agent": agent,
                "type": type_,
                "stage": stage,
                "attempt": attempt,
                "data": data or {},
                **extra,
            }
        )

    def call(
        self, pid: str, agent: str, stage: str, attempt: int, schema: str, parsed: dict[str, Any], user: str
    ) -> None:
        self.add(
            pid,
            agent,
            "llm_call",
            stage,
            attempt,
            {"schema": schema, "parsed": parsed},
            model="gpt-4o-mini",
            tokens_in=100,
            tokens_out=20,
            latency_s=1.5,
            prompt=[
                {"role": "system", "content": f"You are the {agent}."},
                {"role": "user", "content": user},
            ],
            raw=json.dumps(parsed),
        )

    def verdict(
        self,
        pid: str,
        critic: str,
        stage: str,
        attempt: int,
        passed: bool,
        reasons: list[str],
        kind: str = "rule",
        emotion: str | None = None,
    ) -> None:
        data = {
            "critic": critic,
            "stage": stage,
            "passed": passed,
            "score": 1.0 if passed else 0.0,
            "reasons": reasons,
            "kind": kind,
        }
        if emotion:
            data["emotion"] = emotion
        self.add(pid, f"critic:{critic}", "verdict", stage, attempt, data)


def persona_one(log: EventLog) -> None:
    """p000000: one base resample, one text rewrite, two records."""
    p = "p000000"
    log.add(p, "demographic_sampler", "sample", "base", 1, {**BASE, "age": 19, "occupation": "Surgeons"})
    log.verdict(p, "constraints", "base", 1, False, ["Surgeons needs age >= 27"])
    log.add(
        p, "demographic_sampler", "retry", "base", 1, {"stage": "base", "reason": "Surgeons needs age >= 27"}
    )
    log.add(p, "demographic_sampler", "sample", "base", 2, BASE)
    log.verdict(p, "constraints", "base", 2, True, [])
    log.call(p, "critic:plausibility", "base", 2, "PlausibilityAnswer", {"plausible": True}, "Is a nurse ok?")
    log.verdict(p, "plausibility", "base", 2, True, ["fits"], kind="llm")
    log.call(p, "socio_enricher", "socio", 1, "SocioCultural", SOCIO, "Enrich: 34-year-old nurse")
    log.add(p, "socio_enricher", "output", "socio", 1, SOCIO)
    log.verdict(p, "consistency", "socio", 1, True, ["coherent"], kind="llm")
    log.call(p, "scenario_designer", "scenario", 1, "Scenario", SCENARIO, "Design a scene")
    log.add(p, "scenario_designer", "output", "scenario", 1, SCENARIO)
    texts = [
        {"emotion": "joy", "slot": 0, "text": "Finally got the keys today!"},
        {"emotion": "anger", "slot": 0, "text": "I am angry."},
    ]
    log.call(p, "emotion_writer", "expression", 1, "Texts", {"texts": texts}, "Write joy and anger")
    log.add(p, "emotion_writer", "output", "expression", 1, {"texts": texts})
    log.verdict(p, "emotion_fidelity", "expression", 1, True, ["clearly joy"], "llm", emotion="joy")
    log.add(p, "emotion_writer", "record", "expression", 1, {"record_id": f"{p}-joy-0", "emotion": "joy"})
    log.verdict(p, "emotion_fidelity", "expression", 1, False, ["names the emotion"], "llm", emotion="anger")
    log.add(
        p,
        "emotion_writer",
        "retry",
        "expression",
        1,
        {"stage": "expression", "reason": "names the emotion", "emotion": "anger", "slot": 0},
    )
    rewrite = {"emotion": "anger", "slot": 0, "text": "They cancelled my shift again. Unbelievable."}
    log.add(p, "emotion_writer", "output", "expression", 2, {"texts": [rewrite]})
    log.verdict(p, "emotion_fidelity", "expression", 2, True, ["anger shows"], "llm", emotion="anger")
    log.add(p, "emotion_writer", "record", "expression", 2, {"record_id": f"{p}-anger-0", "emotion": "anger"})
    log.add(p, "runner", "persona_done", None, None, {"status": "accepted"})


def persona_two(log: EventLog) -> None:
    """p000001: socio rejected three times, dropped."""
    p = "p000001"
    log.add(p, "demographic_sampler", "sample", "base", 1, BASE)
    log.verdict(p, "constraints", "base", 1, True, [])
    log.verdict(p, "plausibility", "base", 1, True, ["fits"], kind="llm")
    reasons = ["religion contradicts beliefs", "religion contradicts beliefs", "income too high for job"]
    for attempt, reason in enumerate(reasons, start=1):
        log.add(p, "socio_enricher", "output", "socio", attempt, SOCIO)
        log.verdict(p, "consistency", "socio", attempt, False, [reason], kind="llm")
        if attempt < 3:
            log.add(p, "socio_enricher", "retry", "socio", attempt, {"stage": "socio", "reason": reason})
    log.add(p, "socio_enricher", "drop", "socio", 3, {"stage": "socio", "reasons": [reasons[-1]]})
    log.add(p, "runner", "persona_done", None, None, {"status": "dropped"})


def persona_three(log: EventLog) -> None:
    """p000002: base judged; nothing after."""
    p = "p000002"
    log.add(p, "demographic_sampler", "sample", "base", 1, BASE)
    log.verdict(p, "constraints", "base", 1, True, [])
    log.verdict(p, "plausibility", "base", 1, True, ["fits"], kind="llm")


def write_jsonl(path: Path, rows: list[dict[str, Any]], torn: str | None = None) -> None:
    lines = "".join(json.dumps(r) + "\n" for r in rows)
    path.write_text(lines + (torn or ""), encoding="utf-8")


def persona_rows() -> list[dict[str, Any]]:
    done = {
        "seed": 1,
        "base": {**BASE, "id": "p000000", "index": 0},
        "socio": SOCIO,
        "scenario": SCENARIO,
        "attempts": {"base": 2, "socio": 1},
        "verdicts": [],
        "texts": {"accepted": 2, "dropped": 0},
        "dropped_texts": [],
        "drop_reason": None,
        "rejected": [{"stage": "base", "candidate": {"age": 19}, "verdicts": []}],
    }
    dropped = {
        **done,
        "base": {**BASE, "id": "p000001", "index": 1},
        "socio": None,
        "scenario": None,
        "attempts": {"base": 1, "socio": 3},
        "texts": {"accepted": 0, "dropped": 0},
        "drop_reason": "socio: consistency rejected 3 times",
        "rejected": [],
    }
    return [
        {"id": "p000000", "index": 0, "status": "accepted", **done},
        {"id": "p000001", "index": 1, "status": "dropped", **dropped},
    ]


def record_rows(run_id: str) -> list[dict[str, Any]]:
    common = {
        "persona_id": "p000000",
        "language": "en",
        "persona": {"age": 34},
        "socio": SOCIO,
        "scenario": SCENARIO,
        "model": "gpt-4o-mini",
        "method": "personagen",
        "verdicts": [],
    }
    return [
        {
            "id": "p000000-joy-0",
            "emotion": "joy",
            "text": "Finally got the keys today!",
            "attempt": 1,
            **common,
        },
        {
            "id": "p000000-anger-0",
            "emotion": "anger",
            "text": "They cancelled my shift again. Unbelievable.",
            "attempt": 2,
            **common,
        },
    ]


def write_run(
    runs_dir: Path,
    run_id: str,
    *,
    status: str | None = "finished",
    lock: dict | None = None,
    torn: bool = False,
    created: str = "2026-11-26T13:05:01Z",
) -> Path:
    """Write the three-persona run. `status=None` writes no summary.json (running or crashed)."""
    folder = runs_dir / run_id
    folder.mkdir(parents=True)
    config = {
        "run_id": run_id,
        "created": created,
        "version": "0.1.0",
        "personas": 3,
        "emotions": ["joy", "anger"],
        "emotion_preset": None,
        "texts_per_emotion": 1,
        "locale": "us",
        "language": "en",
        "seed": 7,
        "method": "personagen",
        "stages": "full",
        "limits": {"base_attempts": 4, "socio_attempts": 3, "text_attempts": 3},
        "critics": ["constraints", "plausibility", "consistency", "emotion_fidelity"],
        "models": {
            "default": {"backend": "openai", "model": "gpt-4o-mini", "base_url": None},
            "emotion_writer": {"backend": "openai", "model": "gemma-3-270m", "base_url": None},
        },
    }
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    log = EventLog()
    log.add(None, "runner", "run_start", data={"personas": 3})
    for build in (persona_one, persona_two, persona_three):
        build(log)
    torn_line = '{"ts": 1764162400.0, "persona_id": "p000002", "agent": "socio_en' if torn else None
    write_jsonl(folder / "events.jsonl", log.events, torn_line)
    write_jsonl(folder / "personas.jsonl", persona_rows(), '{"id": "p000002", "ind' if torn else None)
    write_jsonl(folder / "records.jsonl", record_rows(run_id))
    if status is not None:
        (folder / "summary.json").write_text(json.dumps({"status": status, "personas": 3}), encoding="utf-8")
    if lock is not None:
        (folder / "run.lock").write_text(json.dumps(lock), encoding="utf-8")
    return folder
