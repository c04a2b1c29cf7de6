"""What a run's agents decided, in numbers: the overview behind `personagen inspect RUN`.

Input: a `Run` and an `EventFilter`. Output: an `Overview` holding
- the funnel per stage: candidates sampled, accepted, resampled (a rejection that triggered another try),
  dropped (a loop exhausted) and pending (still being judged: a running or crashed run);
- acceptance per critic (judged, passed, mean score);
- the most common rejection reasons;
- model calls, tokens and time per agent and model (from `llm_call` events);
- with `rejected`, the list of every rejection and drop.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from personagen.inspection.events import (
    STAGES,
    Event,
    EventFilter,
    attribute_texts,
    critic_of,
    data_of,
    emotion_of,
    is_rejection,
    stage_of,
    texts_of,
)
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
    """How many candidate texts (of `emotion`, when given) an expression-stage `output` event holds."""
    items = texts_of(event)
    if not items:
        return 0 if isinstance(event.get("data"), list) else 1
    if emotion is not None:
        items = [t for t in items if not isinstance(t, dict) or t.get("emotion") in (None, emotion)]
    return len(items)


def _loop_key(event: Event) -> tuple[Any, ...]:
    """Which critic loop a retry or drop belongs to: persona, stage and (for texts) slot."""
    slot = data_of(event).get("slot") if stage_of(event) == "expression" else None
    return event.get("persona_id"), stage_of(event), slot


def funnel(events: list[Event], records: int, emotion: str | None = None,
           accepted_ids: set[str] | None = None) -> list[StageRow]:
    """The funnel per stage.

    sampled: candidates produced (base samples, socio / scenario outputs, texts written; at least the sum of
    the outcomes, so a failed model answer that was retried counts as a candidate). accepted: personas that
    went on to a later stage or finished accepted (`accepted_ids`, from personas.jsonl); for texts, `record`
    events or else `records`. A rejection followed by a drop with no new candidate in between is a drop only.
    """
    rows = {s: StageRow(s) for s in STAGES}
    reached: dict[str, int] = {}
    open_retry: dict[tuple[Any, ...], bool] = {}
    record_events = 0
    for event in events:
        kind, stage, pid = event.get("type"), stage_of(event), event.get("persona_id")
        if pid and stage in rows:
            reached[pid] = max(reached.get(pid, 0), STAGES.index(stage))
        if kind in ("sample", "output") and stage in rows:
            rows[stage].sampled += texts_in(event, emotion) if stage == "expression" else 1
            for key in [k for k in open_retry if k[:2] == (pid, stage)]:
                open_retry[key] = False
        elif kind == "retry" and stage in rows:
            rows[stage].resampled += 1
            open_retry[_loop_key(event)] = True
        elif kind == "drop" and stage in rows:
            rows[stage].dropped += 1
            if open_retry.pop(_loop_key(event), False):
                rows[stage].resampled -= 1
        elif kind == "record":
            record_events += 1
        elif kind == "persona_done" and data_of(event).get("status") == "accepted" and pid:
            (accepted_ids := accepted_ids or set()).add(pid)
    for index, stage in enumerate(STAGES[:-1]):
        rows[stage].accepted = len({p for p, at in reached.items() if at > index} | (accepted_ids or set()))
    rows["expression"].accepted = record_events or records
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
        if event.get("type") != "verdict":
            continue
        data, name = data_of(event), critic_of(event) or "?"
        row = rows.setdefault(name, CriticRow(name, stage_of(event), data.get("kind")))
        row.judged += 1
        row.score_sum += float(data.get("score") or 0.0)
        if data.get("passed"):
            row.passed += 1
        else:
            for reason in data.get("reasons") or ["(no reason given)"]:
                reasons[(name, reason_kind(str(reason)))] += 1
    order = sorted(rows.values(), key=lambda r: (_stage_index(r.stage), r.critic))
    return order, [(c, r, n) for (c, r), n in reasons.most_common(TOP_REASONS)]


def agent_table(events: list[Event]) -> list[AgentRow]:
    """Model calls, tokens and time per (agent, model), busiest first."""
    rows: dict[tuple[str, str | None], AgentRow] = {}
    for event in events:
        if event.get("type") != "llm_call":
            continue
        key = (str(event.get("agent") or "?"), event.get("model"))
        row = rows.setdefault(key, AgentRow(*key))
        row.calls += 1
        row.errors += bool(data_of(event).get("error"))
        row.tokens_in += int(event.get("tokens_in") or 0)
        row.tokens_out += int(event.get("tokens_out") or 0)
        row.latency_s += float(event.get("latency_s") or 0.0)
    return sorted(rows.values(), key=lambda r: (-r.latency_s, r.agent))


def rejection_list(events: list[Event]) -> list[dict[str, Any]]:
    """Every failed verdict, drop, failed model call and error, in order (retries repeat verdicts)."""
    out = []
    for event in events:
        if not is_rejection(event) or event.get("type") in ("retry", "persona_done"):
            continue
        data = data_of(event)
        out.append(
            {
                "persona_id": event.get("persona_id"),
                "type": event.get("type"),
                "stage": stage_of(event),
                "attempt": event.get("attempt"),
                "emotion": emotion_of(event),
                "critic": critic_of(event),
                "score": data.get("score"),
                "reasons": [
                    str(r) for r in data.get("reasons") or [data.get("error") or data.get("message")] if r
                ],
            }
        )
    return out


def overview(run: Run, event_filter: EventFilter | None = None) -> Overview:
    """The numbers of a run, under a filter (`rejected` adds the rejection list; the funnel ignores it)."""
    event_filter = event_filter or EventFilter()
    events = attribute_texts(run.events)
    scoped = EventFilter(critic=event_filter.critic, emotion=event_filter.emotion).apply(events)
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
