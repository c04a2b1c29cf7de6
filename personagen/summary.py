"""Counts a run as it goes: personas, texts, verdicts per critic, calls, tokens and model time per agent."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from typing import Any


class RunTally:
    """Fed every event and every finished persona; produces summary.json."""

    def __init__(self, requested: int) -> None:
        self.requested = requested
        self.started = time.time()
        self.personas: Counter[str] = Counter()
        self.texts: Counter[str] = Counter()
        self.critics: dict[str, Counter[str]] = defaultdict(Counter)
        self.agents: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.models: set[str] = set()

    def event(self, e: dict[str, Any]) -> None:
        if e["type"] == "verdict":
            self.critics[e["agent"].removeprefix("critic:")]["passed" if e["data"]["passed"] else "rejected"] += 1
        elif e["type"] == "error" and e["agent"].startswith("critic:"):
            self.critics[e["agent"].removeprefix("critic:")]["errors"] += 1
        elif e["type"] == "llm_call":
            a = self.agents[e["agent"]]
            a["calls"] += 1
            a["failed_parses"] += 1 if "error" in (e.get("data") or {}) else 0
            a["tokens_in"] += e.get("tokens_in") or 0
            a["tokens_out"] += e.get("tokens_out") or 0
            a["latency_s"] += e.get("latency_s") or 0.0
            self.models.add(e.get("model") or "?")

    def persona(self, row: dict[str, Any], records: list[dict[str, Any]]) -> None:
        self.personas[row["status"]] += 1
        self.texts["accepted"] += len(records)
        self.texts["dropped"] += row["texts"]["dropped"]

    def summary(self, status: str, message: str | None = None) -> dict[str, Any]:
        calls = sum(a["calls"] for a in self.agents.values())
        tokens = sum(a["tokens_in"] + a["tokens_out"] for a in self.agents.values())
        accepted = self.texts["accepted"]
        return {
            "status": status, "message": message,
            "started": self.started, "finished": time.time(), "wall_s": round(time.time() - self.started, 3),
            "personas": {"requested": self.requested, "accepted": self.personas["accepted"],
                         "dropped": self.personas["dropped"]},
            "texts": {"accepted": accepted, "dropped": self.texts["dropped"]},
            "critics": {name: {"passed": c["passed"], "rejected": c["rejected"], "errors": c["errors"],
                               "acceptance": round(c["passed"] / max(1, c["passed"] + c["rejected"]), 3)}
                        for name, c in sorted(self.critics.items())},
            "agents": {name: {k: round(v, 3) for k, v in a.items()} for name, a in sorted(self.agents.items())},
            "calls": int(calls), "tokens": int(tokens),
            "calls_per_text": round(calls / accepted, 2) if accepted else None,
            "tokens_per_text": round(tokens / accepted, 1) if accepted else None,
            "models": sorted(self.models),
        }
