"""Pure functions deciding the graph's edges from the state alone.

They are `async def` although they await nothing: LangGraph runs a plain function on a conditional edge through
the default executor (a thread hop per edge), a coroutine function on the event loop.
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import END

from personagen.graph.state import PersonaState

# one node per stage: its agent, then its critics (graph/build.py)
STAGE_NODES = {"base": "base_stage", "socio": "socio_stage", "scenario": "scenario_stage"}
TEXTS, DROP = "text_stage", "drop_persona"


def first_stage_node(stages: list[str]) -> str:
    """Where a thread starts: the first persona stage, or straight to the texts (baseline)."""
    return STAGE_NODES[stages[0]] if stages else TEXTS


def next_stage_node(stages: list[str], stage: str) -> str:
    """The node after `stage` has been accepted."""
    later = stages[stages.index(stage) + 1:]
    return STAGE_NODES[later[0]] if later else TEXTS


def targets_after(stage: str) -> list[str]:
    """Every node a persona stage may hand over to: itself (retry), a later stage, the texts, or drop."""
    order = list(STAGE_NODES)
    return [STAGE_NODES[s] for s in order[order.index(stage):]] + [TEXTS, DROP]


def after_critique(stage: str):
    """The routing function after a persona stage's critics: accept, retry within bounds, or drop."""

    async def route(state: PersonaState) -> str:
        if state["passed"]:
            return next_stage_node(state["stages"], stage)
        if state[f"{stage}_attempts"] < state["max_attempts"][stage]:
            return STAGE_NODES[stage]
        return DROP

    route.__name__ = f"after_{stage}_critique"
    return route


async def start(state: PersonaState) -> str:
    return first_stage_node(state["stages"])


def any_open(slots: dict[str, dict[str, Any]]) -> bool:
    return any(s["status"] == "open" for s in slots.values())


async def after_text_critique(state: PersonaState) -> str:
    """Rewrite while any text slot is still open; otherwise the persona is done (accepted by its text stage)."""
    return TEXTS if any_open(state["slots"]) else END
