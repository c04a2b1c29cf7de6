"""Pure functions deciding the graph's edges from the state alone."""

from __future__ import annotations

from personagen.graph.state import PersonaState

STAGE_NODES = {"base": "demographic_sampler", "socio": "socio_enricher", "scenario": "scenario_designer"}
WRITER, DROP, FINISH = "emotion_writer", "drop_persona", "finish_persona"


def first_stage_node(stages: list[str]) -> str:
    """Where a thread starts: the first persona stage, or straight to the writer (baseline)."""
    return STAGE_NODES[stages[0]] if stages else WRITER


def next_stage_node(stages: list[str], stage: str) -> str:
    """The node after `stage` has been accepted."""
    later = stages[stages.index(stage) + 1:]
    return STAGE_NODES[later[0]] if later else WRITER


def targets_after(stage: str) -> list[str]:
    """Every node the critics of `stage` may hand over to: retry, a later stage, the writer, or drop."""
    order = list(STAGE_NODES)
    return [STAGE_NODES[s] for s in order[order.index(stage):]] + [WRITER, DROP]


def after_critique(stage: str):
    """The routing function after the critics of a persona stage: accept, retry within bounds, or drop."""

    def route(state: PersonaState) -> str:
        if state["passed"]:
            return next_stage_node(state["stages"], stage)
        if state[f"{stage}_attempts"] < state["max_attempts"][stage]:
            return STAGE_NODES[stage]
        return DROP

    route.__name__ = f"after_{stage}_critique"
    return route


def start(state: PersonaState) -> str:
    return first_stage_node(state["stages"])


def after_text_critique(state: PersonaState) -> str:
    """Rewrite while any text slot is still open; otherwise the persona is done."""
    if any(s["status"] == "open" for s in state["slots"].values()):
        return WRITER
    return FINISH
