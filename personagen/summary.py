"""Counts a run as it goes: personas, texts, verdicts per critic; calls, tokens, model time, cost per agent.

A tally can be rebuilt from a run folder (`replay_folder`), which is how a resumed or merged run continues
counting where the earlier process stopped.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from personagen.agents.events import (
    CRITIC_PREFIX,
    ErrorEvent,
    Event,
    LlmCallEvent,
    ResumeEvent,
    VerdictEvent,
)
from personagen.pricing import Price
from personagen.runformat.folder import iter_events
from personagen.runformat.lines import iter_jsonl

USAGE_KEYS = ("calls", "failed_parses", "content_fallbacks", "tokens_in", "tokens_out", "tokens_cached",
              "tokens_reasoning", "latency_s")


def count_call(usage: dict[str, float], call: LlmCallEvent) -> None:
    """Add one model call to an agent's usage (USAGE_KEYS): the one place calls and tokens are tallied, for a run
    as it goes, a resumed or merged run's replay, and the usage of events a resume discards."""
    usage["calls"] += 1
    usage["failed_parses"] += call.data.error is not None  # failed for its candidate (any kind)
    usage["content_fallbacks"] += call.data.via == "content_fallback"
    usage["tokens_in"] += call.tokens_in or 0
    usage["tokens_out"] += call.tokens_out or 0
    usage["tokens_cached"] += call.tokens_cached or 0
    usage["tokens_reasoning"] += call.tokens_reasoning or 0
    usage["latency_s"] += call.latency_s or 0.0


def critic_acceptance(counts: dict[str, Any]) -> float:
    """A critic's acceptance in summary.json: the share of its verdicts that passed. An advisory critic's failed
    verdicts are advice (`advised_against`), so its acceptance is the share it did not advise against (the `rate`
    of `personagen inspect --json`), not 0. Also read from an older summary.json's counts (the dataset card)."""
    passed = counts.get("passed", 0)
    return round(passed / max(1, passed + counts.get("rejected", 0) + counts.get("advised_against", 0)), 3)


class RunTally:
    """Fed every event and every finished persona; produces summary.json.

    `price_of(agent)` gives the Price of the agent's model (personagen/pricing.py); an agent whose model has no
    price (None) has no cost.
    """

    def __init__(self, requested: int, price_of: Callable[[str], Price | None] | None = None) -> None:
        self.requested = requested
        self.price_of = price_of or (lambda agent: None)
        self.started = time.time()
        self.cpu_started = time.process_time()
        self.personas: Counter[str] = Counter()
        self.texts: Counter[str] = Counter()
        self.critics: dict[str, Counter[str]] = defaultdict(Counter)
        self.advisory: set[str] = set()  # critics whose verdicts were recorded, not enforced ([critics] advisory)
        self.agents: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.models: set[str] = set()
        self.tokens_total = 0
        self.resumed = 0
        self.slots = 0  # text slots of the finished personas
        self.lost = 0  # ... lost to failed model calls (not to critics)
        self.error_kinds: Counter[str] = Counter()  # failed model answers by kind (agents/call_errors.py)

    def event(self, e: Event) -> None:
        if isinstance(e, LlmCallEvent):
            count_call(self.agents[e.agent], e)
            if e.data.error is not None:
                self.error_kinds[e.data.error_kind or "invalid"] += 1
            self.tokens_total += (e.tokens_in or 0) + (e.tokens_out or 0)
            self.models.add(e.model or "?")
        elif isinstance(e, VerdictEvent):
            verdict = e.data
            outcome = "passed" if verdict.passed else "advised_against" if verdict.advisory else "rejected"
            name = e.agent.removeprefix(CRITIC_PREFIX)
            self.critics[name][outcome] += 1
            if verdict.advisory:
                self.advisory.add(name)
        elif isinstance(e, ErrorEvent) and e.agent.startswith(CRITIC_PREFIX):
            self.critics[e.agent.removeprefix(CRITIC_PREFIX)]["errors"] += 1
        elif isinstance(e, ResumeEvent):
            self.resumed += 1
            self.add_usage(e.data.discarded_usage)

    def add_usage(self, usage: dict[str, dict[str, float]]) -> None:
        """Add model usage by agent (calls of personas a crash cut short: spent; their events are gone)."""
        for agent, counts in usage.items():
            a = self.agents[agent]
            for key in USAGE_KEYS:
                a[key] += counts.get(key, 0)
            self.tokens_total += int(counts.get("tokens_in", 0) + counts.get("tokens_out", 0))

    def persona(self, row: dict[str, Any], records: list[dict[str, Any]] | int) -> None:
        self.personas[row["status"]] += 1
        self.texts["accepted"] += records if isinstance(records, int) else len(records)
        self.texts["dropped"] += row["texts"]["dropped"]
        self.slots += row["texts"].get("requested", 0)
        self.lost += row["texts"].get("lost_to_errors", 0)

    @property
    def error_share(self) -> float:
        """The share of the finished personas' text slots lost to failed model calls."""
        return self.lost / self.slots if self.slots else 0.0

    def cost(self, agent: str, a: dict[str, float]) -> float | None:
        price = self.price_of(agent)
        return None if price is None else round(price.cost(a["tokens_in"], a["tokens_out"], a["tokens_cached"]), 6)

    def spent(self) -> float:
        """USD spent so far by the agents whose models have a price."""
        return sum(c for name, a in self.agents.items() if (c := self.cost(name, a)) is not None)

    def prices(self) -> dict[str, Any]:
        """The price each agent's calls were counted at (or null: unpriced), with where it came from."""
        return {name: (p.as_dict() if (p := self.price_of(name)) else None) for name in sorted(self.agents)}

    def agent_rows(self) -> dict[str, dict[str, Any]]:
        rows = {}
        for name, a in sorted(self.agents.items()):
            row: dict[str, Any] = {k: round(v, 3) for k, v in a.items()}
            if (cost := self.cost(name, a)) is not None:
                row["cost"] = cost
            rows[name] = row
        return rows

    def summary(self, status: str, message: str | None = None, **extra: Any) -> dict[str, Any]:
        calls = sum(a["calls"] for a in self.agents.values())
        tokens = sum(a["tokens_in"] + a["tokens_out"] for a in self.agents.values())
        accepted = self.texts["accepted"]
        agents = self.agent_rows()
        costs = [a["cost"] for a in agents.values() if "cost" in a]
        return {
            "status": status, "message": message,
            "started": self.started, "finished": time.time(), "wall_s": round(time.time() - self.started, 3),
            "cpu_s": round(time.process_time() - self.cpu_started, 3),
            "personas": {"requested": self.requested, "accepted": self.personas["accepted"],
                         "dropped": self.personas["dropped"]},
            "texts": {"accepted": accepted, "dropped": self.texts["dropped"], "requested": self.slots,
                      "lost_to_errors": self.lost},
            "error_share": round(self.error_share, 4), "model_errors": dict(self.error_kinds.most_common()),
            "critics": {name: {"passed": c["passed"], "rejected": c["rejected"], "errors": c["errors"],
                               "advised_against": c["advised_against"], "advisory": name in self.advisory,
                               "acceptance": critic_acceptance(c)}
                        for name, c in sorted(self.critics.items())},
            "agents": agents,
            "calls": int(calls), "tokens": int(tokens),
            "tokens_reasoning": int(sum(a["tokens_reasoning"] for a in self.agents.values())),
            "cost": round(sum(costs), 6) if costs else None,
            "cost_per_text": round(sum(costs) / accepted, 6) if costs and accepted else None,
            "prices": self.prices(),
            "calls_per_text": round(calls / accepted, 2) if accepted else None,
            "tokens_per_text": round(tokens / accepted, 1) if accepted else None,
            "models": sorted(self.models), "resumed": self.resumed, **extra,
        }


def replay_folder(tally: RunTally, folder: Path) -> RunTally:
    """Feed a run folder's events and persona rows to `tally` (streamed: memory does not grow with it)."""
    for event in iter_events(folder / "events.jsonl"):
        tally.event(event)
    for row in iter_jsonl(folder / "personas.jsonl"):
        tally.persona(row, row["texts"]["accepted"] if row["status"] == "accepted" else 0)
    return tally
