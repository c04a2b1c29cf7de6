"""One persona's journey through the graph: the view behind `personagen inspect RUN --persona ID`.

Input: a `Run`, a persona reference (id like 'p000003' or its index '3'), an `EventFilter` and whether to keep
prompts. Output: a `Journey`: the persona's row from personas.jsonl (when finished), its accepted records,
and its events in order of completion as `Step`s (agent, type, stage, attempt, a one-line summary of the input
and of the output, verdict details, model measurements; with prompts, the exact messages and the raw answer).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from personagen.agents.events import (
    AboutText,
    DropEvent,
    ErrorEvent,
    Event,
    LlmCallEvent,
    OutputEvent,
    Record,
    RetryEvent,
    VerdictEvent,
)
from personagen.errors import InputError
from personagen.inspection.events import EventFilter, critic_of, emotion_of, texts_of
from personagen.inspection.reader import Run

SUMMARY_WIDTH = 160
HIDDEN_KEYS = ("provenance",)


class PersonaNotFound(InputError):
    """No persona with that id in the run; `existing` holds a few ids to suggest."""

    def __init__(self, ref: str, existing: list[str]) -> None:
        self.ref, self.existing = ref, existing
        super().__init__(f"no persona '{ref}' in this run")


@dataclass
class Step:
    """One event of the journey, ready to show: the typed event itself (views switch on its model) and the values
    `inspect --persona --json` writes."""

    event: Event
    n: int
    t: float
    agent: str
    type: str
    stage: str | None
    attempt: int | None
    emotion: str | None
    summary: str
    slot: int | None = None
    critic: str | None = None
    passed: bool | None = None
    score: float | None = None
    reasons: list[str] = field(default_factory=list)
    input: str | None = None
    model: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    tokens_reasoning: int | None = None
    latency_s: float | None = None
    prompt: list[dict[str, Any]] | None = None
    raw: str | None = None


@dataclass
class Journey:
    run_id: str
    persona_id: str
    persona: dict[str, Any] | None
    records: list[dict[str, Any]]
    steps: list[Step]
    filter: EventFilter

    def to_json(self) -> dict[str, Any]:
        steps = [{f.name: v for f in fields(s) if f.name != "event" and (v := getattr(s, f.name)) is not None}
                 for s in self.steps]
        return {
            "run_id": self.run_id,
            "persona_id": self.persona_id,
            "filter": asdict(self.filter),
            "persona": self.persona,
            "records": self.records,
            "steps": steps,
        }


def shorten(value: Any, width: int = SUMMARY_WIDTH) -> str:
    """A one-line summary of any JSON value: 'key=value, ...' for objects, provenance left out."""
    if isinstance(value, dict):
        text = ", ".join(f"{k}={_compact(v)}" for k, v in value.items() if k not in HIDDEN_KEYS)
    else:
        text = _compact(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _compact(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if k not in HIDDEN_KEYS}
    return json.dumps(value, ensure_ascii=False, default=str)


def _last_user_message(prompt: Any) -> str | None:
    """The end of the last user message: prompts put their few-shot examples first and the case last."""
    if not isinstance(prompt, list):
        return None
    users = [m for m in prompt if isinstance(m, dict) and m.get("role") in ("user", "human")]
    last = users[-1] if users else (prompt[-1] if prompt and isinstance(prompt[-1], dict) else None)
    if last is None:
        return None
    text = " ".join(str(last.get("content", "")).split())
    return text if len(text) <= SUMMARY_WIDTH else "…" + text[-(SUMMARY_WIDTH - 1):]


def describe(event: Event) -> str:
    """The one-line summary of an event's data, by event type."""
    data = event.data
    if isinstance(event, VerdictEvent):
        return "passed" if data.passed else "advised against (advisory)" if data.advisory else "rejected"
    if isinstance(event, LlmCallEvent):
        if data.error is not None:  # its kind: an unparseable answer, a content filter, ... (agents/call_errors.py)
            return f"error ({data.error_kind or 'invalid'}): {shorten(data.error)}"
        return f"{data.schema_name}: {shorten(data.parsed)}"
    if isinstance(event, RetryEvent):
        return f"retry: {shorten(data.reason)}"
    if isinstance(event, DropEvent):
        return f"dropped: {shorten(data.reasons)}"
    if isinstance(event, ErrorEvent):
        return f"error: {shorten(data.message)}"
    if isinstance(event, OutputEvent) and isinstance(data, list):
        return " | ".join(f"{t.emotion}#{t.slot}: {t.text}" for t in texts_of(event)) or "(no texts)"
    return shorten(data.model_dump(by_alias=True) if isinstance(data, Record) else data)


def make_step(n: int, t0: float, event: Event, prompts: bool) -> Step:
    step = Step(
        event=event,
        n=n,
        t=round(event.ts - t0, 3),
        agent=event.agent,
        type=event.type,
        stage=event.stage,
        attempt=event.attempt,
        emotion=emotion_of(event),
        summary=describe(event),
        slot=event.slot if isinstance(event, AboutText) else None,
    )
    if isinstance(event, VerdictEvent):
        step.critic, step.passed = critic_of(event), event.data.passed
        step.score, step.reasons = event.data.score, list(event.data.reasons)
    if isinstance(event, LlmCallEvent):
        step.input = _last_user_message(event.prompt)
        step.model, step.latency_s = event.model, event.latency_s
        step.tokens_in, step.tokens_out = event.tokens_in, event.tokens_out
        step.tokens_reasoning = event.tokens_reasoning
        if prompts:
            step.prompt, step.raw = event.prompt, event.raw
    return step


def resolve_persona(run: Run, ref: str) -> str:
    """The persona id named by ref (an id, or an index such as '3' for the persona of index 3)."""
    known = [p.get("id") for p in run.personas if p.get("id")]
    for event in run.events:
        pid = event.persona_id
        if pid and pid not in known:
            known.append(pid)
    if ref in known:
        return ref
    if ref.isdigit():
        by_index = [p.get("id") for p in run.personas if p.get("index") == int(ref)]
        by_name = [k for k in known if k.lstrip("p").lstrip("0") == ref.lstrip("0")]
        for candidate in by_index + by_name:
            return str(candidate)
    raise PersonaNotFound(ref, [str(k) for k in known[:8]])


def journey(run: Run, ref: str, event_filter: EventFilter | None = None, prompts: bool = False) -> Journey:
    """The persona's journey in order of completion, under the filter."""
    event_filter = event_filter or EventFilter()
    pid = resolve_persona(run, ref)
    mine = [e for e in run.events if e.persona_id == pid]
    t0 = mine[0].ts if mine else 0.0
    steps = [make_step(n, t0, e, prompts) for n, e in enumerate(mine, start=1) if event_filter.keep(e)]
    persona = next((p for p in run.personas if p.get("id") == pid), None)
    records = [
        r
        for r in run.records
        if r.get("persona_id") == pid and event_filter.emotion in (None, r.get("emotion"))
    ]
    if event_filter.rejected:
        records = []
    return Journey(run.id, pid, persona, records, steps, event_filter)
