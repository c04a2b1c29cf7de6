"""What a run's agents decided, in numbers: the overview behind `personagen inspect RUN`.

Input: a `Run` and an `EventFilter`. Output: an `Overview` holding
- the funnel per stage: candidates sampled, accepted, resampled (a rejection that triggered another try),
  dropped (a loop exhausted) and pending (still being judged: a running or crashed run);
- acceptance per critic (judged, passed, mean score; an advisory critic's failed verdicts counted as advice);
- the most common rejection reasons;
- model calls, tokens and time per agent and model (from `llm_call` events);
- with `rejected`, the list of every rejection and drop.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from personagen.agents.events import (
    DropEvent,
    ErrorEvent,
    Event,
    LlmCallEvent,
    OutputEvent,
    RetryEvent,
    SampleEvent,
    VerdictEvent,
)
from personagen.inspection.events import STAGES, EventFilter, critic_of, emotion_of, is_rejection, texts_of
from personagen.inspection.reader import Run
from personagen.inspection.runs_table import RunRow, run_row

TOP_REASONS = 10


@dataclass
class StageRow:
    stage: str
    sampled: int = 0
    accepted: int = 0
    resampled: int = 0
    dropped: int = 0

    @property
    def pending(self) -> int:
        return max(0, self.sampled - self.accepted - self.resampled - self.dropped)


@dataclass
class CriticRow:
    critic: str
    stage: str | None
    kind: str | None
    judged: int = 0
    passed: int = 0
    score_sum: float = 0.0
    advisory: bool = False  # its verdicts are recorded, never enforced ([critics] advisory)
    advised: int = 0  # of the verdicts that did not pass, those of an advisory critic: advice, not rejections

    @property
    def rate(self) -> float:
        return self.passed / self.judged if self.judged else 0.0

    @property
    def mean_score(self) -> float:
        return self.score_sum / self.judged if self.judged else 0.0


@dataclass
class AgentRow:
    agent: str
    model: str | None
    calls: int = 0
    errors: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_reasoning: int = 0  # of tokens_out (as the server reported it)
    latency_s: float = 0.0


@dataclass
class Overview:
    run: RunRow
    funnel: list[StageRow]
    critics: list[CriticRow]
    reasons: list[tuple[str, str, int]]
    agents: list[AgentRow]
    rejections: list[dict[str, Any]] | None = None
    filter: EventFilter = field(default_factory=EventFilter)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON: derived numbers (pending, rate, mean score) included."""
        return {
            "run": self.run.to_json(),
            "filter": asdict(self.filter),
            "funnel": [{**asdict(s), "pending": s.pending} for s in self.funnel],
            "critics": [
                {k: v for k, v in asdict(c).items() if k != "score_sum"}
                | {"rate": round(c.rate, 4), "mean_score": round(c.mean_score, 4)}
                for c in self.critics
            ],
            "reasons": [{"critic": c, "reason": r, "count": n} for c, r, n in self.reasons],
            "agents": [asdict(a) | {"latency_s": round(a.latency_s, 3)} for a in self.agents],
            **({"rejections": self.rejections} if self.rejections is not None else {}),
        }


def texts_in(event: Event, emotion: str | None = None) -> int:
    """How many candidate texts (of `emotion`, when given) an emotion writer's `output` holds."""
    return sum(1 for t in texts_of(event) if emotion in (None, t.emotion))


def funnel(events: list[Event], records: int, emotion: str | None = None,
           accepted_ids: frozenset[str] | set[str] = frozenset()) -> list[StageRow]:
    """The funnel per stage.

    sampled: candidates produced (base samples, socio / scenario outputs, texts written; at least the sum of
    the outcomes, so a model answer that did not parse and was retried counts as a candidate). resampled:
    `retry` events (a retry is written only when another attempt follows); dropped: `drop` events. accepted:
    personas with events at the stage that went on to a later stage or finished accepted (`accepted_ids`, from
    personas.jsonl); for texts, the records.
    """
    rows = {s: StageRow(s) for s in STAGES}
    reached: dict[str, int] = {}
    seen: dict[str, set[str]] = {s: set() for s in STAGES}
    for event in events:
        stage, pid = event.stage, event.persona_id
        if stage not in rows:
            continue
        if pid:
            reached[pid] = max(reached.get(pid, 0), STAGES.index(stage))
            seen[stage].add(pid)
        if isinstance(event, SampleEvent | OutputEvent):
            rows[stage].sampled += texts_in(event, emotion) if stage == "expression" else 1
        elif isinstance(event, RetryEvent):
            rows[stage].resampled += 1
        elif isinstance(event, DropEvent):
            rows[stage].dropped += 1
    for index, stage in enumerate(STAGES[:-1]):
        went_on = {p for p, at in reached.items() if at > index} | set(accepted_ids)
        rows[stage].accepted = len(seen[stage] & went_on)
    rows["expression"].accepted = records
    for row in rows.values():
        row.sampled = max(row.sampled, row.accepted + row.resampled + row.dropped)
    return [r for r in rows.values() if r.sampled]


def reason_kind(reason: str) -> str:
    """A reason without its particulars, so that alike rejections count together: the part before a colon
    (e.g. "reads as joy, not anger: <the judge's explanation>")."""
    return (reason.split(":", 1)[0] if ":" in reason[:80] else reason).strip()


def critic_table(events: list[Event]) -> tuple[list[CriticRow], list[tuple[str, str, int]]]:
    """Acceptance per critic (in stage order) and the most common rejection reasons."""
    rows: dict[str, CriticRow] = {}
    reasons: Counter[tuple[str, str]] = Counter()
    for event in events:
        if not isinstance(event, VerdictEvent):
            continue
        verdict = event.data
        row = rows.setdefault(verdict.critic, CriticRow(verdict.critic, verdict.stage, verdict.kind))
        row.judged += 1
        row.score_sum += verdict.score
        row.advisory = row.advisory or verdict.advisory
        if verdict.passed:
            row.passed += 1
        else:
            row.advised += verdict.advisory
            for reason in verdict.reasons or ["(no reason given)"]:
                reasons[(verdict.critic, reason_kind(reason))] += 1
    order = sorted(rows.values(), key=lambda r: (_stage_index(r.stage), r.critic))
    return order, [(c, r, n) for (c, r), n in reasons.most_common(TOP_REASONS)]


def agent_table(events: list[Event]) -> list[AgentRow]:
    """Model calls, tokens and time per (agent, model), busiest first."""
    rows: dict[tuple[str, str | None], AgentRow] = {}
    for event in events:
        if not isinstance(event, LlmCallEvent):
            continue
        key = (event.agent, event.model)
        row = rows.setdefault(key, AgentRow(*key))
        row.calls += 1
        row.errors += event.data.error is not None
        row.tokens_in += event.tokens_in or 0
        row.tokens_out += event.tokens_out or 0
        row.tokens_reasoning += event.tokens_reasoning or 0
        row.latency_s += event.latency_s or 0.0
    return sorted(rows.values(), key=lambda r: (-r.latency_s, r.agent))


def reasons_of(event: Event) -> list[str]:
    """Why an event is a rejection: a verdict's or a drop's reasons, a failed call's or an error's message."""
    if isinstance(event, VerdictEvent | DropEvent):
        return list(event.data.reasons)
    if isinstance(event, LlmCallEvent):
        return [f"({event.data.error_kind or 'invalid'}) {event.data.error}"] if event.data.error else []
    if isinstance(event, ErrorEvent):
        return [event.data.message]
    return []


def rejection_list(events: list[Event]) -> list[dict[str, Any]]:
    """Every failed verdict, drop, failed model call and error, in order (retries repeat verdicts)."""
    return [
        {
            "persona_id": event.persona_id,
            "type": event.type,
            "stage": event.stage,
            "attempt": event.attempt,
            "emotion": emotion_of(event),
            "critic": critic_of(event),
            "score": event.data.score if isinstance(event, VerdictEvent) else None,
            "reasons": reasons_of(event),
        }
        for event in events
        if is_rejection(event) and not isinstance(event, RetryEvent)
    ]


def overview(run: Run, event_filter: EventFilter | None = None) -> Overview:
    """The numbers of a run, under a filter (`rejected` adds the rejection list; the funnel ignores it)."""
    event_filter = event_filter or EventFilter()
    scoped = EventFilter(critic=event_filter.critic, emotion=event_filter.emotion).apply(run.events)
    records = [r for r in run.records if event_filter.emotion in (None, r.get("emotion"))]
    accepted = {str(p.get("id")) for p in run.personas if p.get("status") == "accepted"}
    critics, reasons = critic_table(scoped)
    return Overview(
        run=run_row(run),
        funnel=funnel(scoped, len(records), event_filter.emotion, accepted),
        critics=critics,
        reasons=reasons,
        agents=agent_table(scoped),
        rejections=rejection_list(scoped) if event_filter.rejected else None,
        filter=event_filter,
    )


def _stage_index(stage: str | None) -> int:
    return STAGES.index(stage) if stage in STAGES else len(STAGES)
