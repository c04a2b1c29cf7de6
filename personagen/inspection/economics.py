"""What each critic costs and catches: the numbers behind `personagen inspect RUN --critics` and the report.

Input: a run's typed events (agents/events.py). Output: `Economics`, holding
- per critic: candidates judged, rejected (failed verdicts that were not advisory), its share of all
  rejections (of every critic's rejections, so the shares add up to 100%), the model calls and tokens of its
  `llm_call` events (agent `critic:<name>`) and their cost (USD, from the events' `cost`: a priced run), what its
  rejections cost in rewrites (the calls of the attempt that followed each candidate it was first to reject; a
  writer call that rewrote several texts is split evenly among them), and what followed each of its rejections:
  the item was later accepted (a rewrite or resample that passed), dropped (a `drop` event), or neither yet (open:
  a running or crashed run); rewritten + dropped + open = rejected;
- per stage, acceptance by attempt: the share of the candidates of attempt 1, 2, 3, ... that every critic
  passed.

An item is what a loop retries: a persona's stage (base, socio, scenario), or, for texts, one emotion#slot of a
persona. A candidate is one attempt at an item; it is accepted when no verdict on it failed (advisory verdicts
never reject). Candidates that were never judged (a model answer that did not parse) are not counted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from personagen.agents.events import CRITIC_PREFIX, DropEvent, Event, LlmCallEvent, VerdictEvent
from personagen.inspection.events import STAGES

Item = tuple[str | None, str | None, str | None, int | None]  # persona, stage, emotion, slot
Candidate = tuple[Item, int]  # an item and the attempt


@dataclass
class CriticCost:
    critic: str
    stage: str | None
    judged: int = 0
    rejected: int = 0
    share: float = 0.0
    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    rewritten: int = 0
    dropped: int = 0
    cost: float | None = None  # USD of its own calls (None: no priced call)
    rewrite_cost: float | None = None  # USD of the attempts that followed the candidates it rejected

    @property
    def open(self) -> int:
        return self.rejected - self.rewritten - self.dropped


@dataclass
class AttemptRow:
    attempt: int
    candidates: int = 0
    accepted: int = 0

    @property
    def rate(self) -> float:
        return self.accepted / self.candidates if self.candidates else 0.0


@dataclass
class Economics:
    critics: list[CriticCost]
    attempts: dict[str, list[AttemptRow]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "critics": [asdict(c) | {"share": round(c.share, 4), "open": c.open} for c in self.critics],
            "attempts": {
                stage: [asdict(r) | {"rate": round(r.rate, 4)} for r in rows]
                for stage, rows in self.attempts.items()
            },
        }


def item_of(event: Event) -> Item:
    """The item an event is about; emotion and slot are None at the persona stages."""
    return (event.persona_id, event.stage, getattr(event, "emotion", None), getattr(event, "slot", None))


def verdicts_by_candidate(events: list[Event]) -> dict[Candidate, list[VerdictEvent]]:
    """The verdicts on each candidate, in the order of the events."""
    found: dict[Candidate, list[VerdictEvent]] = defaultdict(list)
    for event in events:
        if isinstance(event, VerdictEvent):
            found[(item_of(event), event.attempt or 1)].append(event)
    return found


def rejects(verdict: VerdictEvent) -> bool:
    return verdict.data.blocks


def outcomes(events: list[Event], judged: dict[Candidate, list[VerdictEvent]]) -> dict[Item, str]:
    """What became of each item: 'rewritten' (a candidate of it was accepted) or 'dropped'; others are open."""
    found = {item: "rewritten" for (item, _), verdicts in judged.items() if not any(map(rejects, verdicts))}
    for event in events:
        if isinstance(event, DropEvent):
            found.setdefault(item_of(event), "dropped")
    return found


def critic_costs(events: list[Event]) -> list[CriticCost]:
    """Per critic, in stage order then by name: what it judged, rejected and spent, and what followed."""
    judged = verdicts_by_candidate(events)
    ends = outcomes(events, judged)
    rows: dict[str, CriticCost] = {}
    for (item, _), verdicts in judged.items():
        for verdict in verdicts:
            row = rows.setdefault(verdict.data.critic, CriticCost(verdict.data.critic, verdict.data.stage))
            row.judged += 1
            if rejects(verdict):
                row.rejected += 1
                row.rewritten += ends.get(item) == "rewritten"
                row.dropped += ends.get(item) == "dropped"
    for event in events:
        if isinstance(event, LlmCallEvent) and event.agent.startswith(CRITIC_PREFIX):
            name = event.agent.removeprefix(CRITIC_PREFIX)
            row = rows.setdefault(name, CriticCost(name, event.stage))
            row.calls += 1
            row.tokens_in += event.tokens_in or 0
            row.tokens_out += event.tokens_out or 0
            if event.cost is not None:
                row.cost = (row.cost or 0.0) + event.cost
    for critic, cost in rewrite_costs(events, judged).items():
        rows[critic].rewrite_cost = cost
    total = sum(r.rejected for r in rows.values())
    for row in rows.values():
        row.share = row.rejected / total if total else 0.0
    return sorted(rows.values(), key=lambda r: (_stage_index(r.stage), r.critic))


def rewrite_costs(events: list[Event], judged: dict[Candidate, list[VerdictEvent]]) -> dict[str, float]:
    """USD of the attempt that followed each rejected candidate, by the critic whose verdict rejected it first
    (only priced runs: calls without a cost count nothing)."""
    spent: dict[Candidate, float] = defaultdict(float)
    for event in events:
        if isinstance(event, LlmCallEvent) and event.cost is not None:
            spent[(item_of(event), event.attempt or 1)] += event.cost
    if not spent:
        return {}
    first = {cand: next(v.data.critic for v in verdicts if rejects(v))
             for cand, verdicts in judged.items() if any(map(rejects, verdicts))}
    sharing = Counter((item[:3], attempt) for item, attempt in first if item[3] is not None)
    found: dict[str, float] = defaultdict(float)
    for (item, attempt), critic in first.items():
        cost = spent.get((item, attempt + 1), 0.0)
        if item[3] is not None:  # a text: its share of the writer's call that rewrote it (slot None)
            cost += spent.get(((*item[:3], None), attempt + 1), 0.0) / sharing[(item[:3], attempt)]
        found[critic] += cost
    return found


def acceptance_by_attempt(events: list[Event]) -> dict[str, list[AttemptRow]]:
    """Per stage (in stage order), the judged candidates of each attempt number and how many were accepted."""
    rows: dict[str, dict[int, AttemptRow]] = defaultdict(dict)
    for (item, attempt), verdicts in verdicts_by_candidate(events).items():
        row = rows[str(item[1])].setdefault(attempt, AttemptRow(attempt))
        row.candidates += 1
        row.accepted += not any(map(rejects, verdicts))
    return {
        stage: [rows[stage][a] for a in sorted(rows[stage])]
        for stage in sorted(rows, key=_stage_index)
    }


def economics(events: list[Event]) -> Economics:
    """The critic economics of a run's events."""
    return Economics(critics=critic_costs(events), attempts=acceptance_by_attempt(events))


def _stage_index(stage: str | None) -> int:
    return STAGES.index(stage) if stage in STAGES else len(STAGES)
