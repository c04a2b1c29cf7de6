"""One persona's journey through the graph: the view behind `personagen inspect RUN --persona ID`.

Input: a `Run`, a persona reference (id like 'p000003' or its index '3'), an `EventFilter` and whether to keep
prompts. Output: a `Journey`: the persona's row from personas.jsonl (when finished), its accepted records,
and its events in order of completion as `Step`s (agent, type, stage, attempt, a one-line summary of the input
and of the output, verdict details, model measurements; with prompts, the exact messages and the raw answer).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from personagen.inspection.events import (
    Event,
    EventFilter,
    attribute_texts,
    critic_of,
    data_of,
    emotion_of,
    stage_of,
    texts_of,
)
from personagen.inspection.reader import Run

SUMMARY_WIDTH = 160
HIDDEN_KEYS = ("provenance",)


class PersonaNotFound(Exception):
    """No persona with that id in the run; `existing` holds a few ids to suggest."""

    def __init__(self, ref: str, existing: list[str]) -> None:
        self.ref, self.existing = ref, existing
        super().__init__(f"no persona '{ref}' in this run")


@dataclass
class Step:
    """One event of the journey, ready to show."""

    n: int
    t: float
    agent: str
    type: str
    stage: str | None
    attempt: int | None
    emotion: str | None
    summary: str
    slot: int | str | None = None
    critic: str | None = None
    passed: bool | None = None
    score: float | None = None
    reasons: list[str] = field(default_factory=list)
    input: str | None = None
    model: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
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
        steps = [{k: v for k, v in asdict(s).items() if v is not None} for s in self.steps]
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
    kind, data = event.get("type"), data_of(event)
    if kind == "verdict":
        return "passed" if data.get("passed") else "advised against (advisory)" if data.get("advisory") else "rejected"
    if kind == "llm_call":
        if data.get("error"):
            return f"error: {shorten(data['error'])}"
        return f"{data.get('schema') or 'answer'}: {shorten(data.get('parsed'))}"
    if kind == "retry":
        return f"retry: {shorten(data.get('reason') or data.get('reasons') or '')}"
    if kind == "drop":
        return f"dropped: {shorten(data.get('reasons') or data.get('reason') or '')}"
    texts = texts_of(event)
    if kind == "output" and isinstance(event.get("data"), list | dict) and texts:
        if all(isinstance(t, dict) for t in texts):
            return " | ".join(f"{t.get('emotion')}#{t.get('slot', 0)}: {t.get('text')}" for t in texts)
    if kind == "output" and isinstance(event.get("data"), list):
        return "(no texts)" if not texts else shorten(texts)
    if kind == "error":
        return f"error: {shorten(data.get('message') or data)}"
    return shorten(data)


def make_step(n: int, t0: float, event: Event, prompts: bool) -> Step:
    data = data_of(event)
    step = Step(
        n=n,
        t=round(float(event.get("ts") or t0) - t0, 3),
        agent=str(event.get("agent") or "?"),
        type=str(event.get("type") or "?"),
        stage=stage_of(event),
        attempt=event.get("attempt"),
        emotion=emotion_of(event),
        summary=describe(event),
        slot=event.get("slot", data.get("slot")),
    )
    if step.type == "verdict":
        step.critic, step.passed = critic_of(event), bool(data.get("passed"))
        step.score, step.reasons = data.get("score"), [str(r) for r in data.get("reasons") or []]
    if step.type == "llm_call":
        step.input = _last_user_message(event.get("prompt"))
        step.model, step.latency_s = event.get("model"), event.get("latency_s")
        step.tokens_in, step.tokens_out = event.get("tokens_in"), event.get("tokens_out")
        if prompts:
            step.prompt, step.raw = event.get("prompt") or [], event.get("raw")
    return step


def resolve_persona(run: Run, ref: str) -> str:
    """The persona id named by ref (an id, or an index such as '3' for the persona of index 3)."""
    known = [p.get("id") for p in run.personas if p.get("id")]
    for event in run.events:
        pid = event.get("persona_id")
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
    mine = attribute_texts([e for e in run.events if e.get("persona_id") == pid])
    t0 = float(mine[0].get("ts") or 0.0) if mine else 0.0
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
