"""Pure functions deciding the graph's edges from the state alone.

They are `async def` although they await nothing: LangGraph runs a plain function on a conditional edge through
the default executor (a thread hop per edge), a coroutine function on the event loop.
"""

from __future__ import annotations

from langgraph.graph import END

from personagen.graph.state import PERSONA_STAGES, PersonaState
from personagen.personas.models import Stage, TextSlot

# one node per stage: its agent, then its critics (graph/build.py)
STAGE_NODES = {Stage.BASE: "base_stage", Stage.SOCIO: "socio_stage", Stage.SCENARIO: "scenario_stage"}
TEXTS, DROP = "text_stage", "drop_persona"


def first_stage_node(stages: list[Stage]) -> str:
    """Where a thread starts: the first persona stage, or straight to the texts (baseline)."""
    return STAGE_NODES[stages[0]] if stages else TEXTS


def next_stage_node(stages: list[Stage], stage: Stage) -> str:
    """The node after `stage` has been accepted."""
    later = stages[stages.index(stage) + 1:]
    return STAGE_NODES[later[0]] if later else TEXTS


def targets_after(stage: Stage) -> list[str]:
    """Every node a persona stage may hand over to: itself (retry), a later stage, the texts, or drop."""
    return [STAGE_NODES[s] for s in PERSONA_STAGES[PERSONA_STAGES.index(stage):]] + [TEXTS, DROP]


def after_critique(stage: Stage):
    """The routing function after a persona stage's critics: accept, retry within bounds, or drop."""

    async def route(state: PersonaState) -> str:
        if state["passed"]:
            return next_stage_node(state["stages"], stage)
        if state["attempts"][stage] < state["max_attempts"][stage]:
            return STAGE_NODES[stage]
        return DROP

    route.__name__ = f"after_{stage}_critique"
    return route


async def start(state: PersonaState) -> str:
    return first_stage_node(state["stages"])


def any_open(slots: dict[tuple[str, int], TextSlot]) -> bool:
    return any(s.status == "open" for s in slots.values())


async def after_text_critique(state: PersonaState) -> str:
    """Rewrite while any text slot is still open; otherwise the persona is done (accepted by its text stage)."""
    return TEXTS if any_open(state["slots"]) else END
