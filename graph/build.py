"""The PersonaGen state machine: every node and edge, in one readable function."""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from personagen.agents.context import AgentContext
from personagen.agents.critics.stage import critique_texts, make_persona_critic_node
from personagen.agents.demographic_sampler import sample_base_persona
from personagen.agents.emotion_writer import write_emotions
from personagen.agents.scenario_designer import design_scenario
from personagen.agents.socio_enricher import enrich_socio
from personagen.graph import routing
from personagen.graph.state import PersonaState
from personagen.personas.models import Stage


async def drop_persona(state: PersonaState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """A persona stage ran out of attempts: the persona is dropped with the last reasons."""
    stage = state["rejected"][-1]["stage"] if state["rejected"] else "base"
    reason = f"{stage}: {state['max_attempts'][stage]} candidates rejected; last: {state['last_reason']}"
    runtime.context.emit(state["persona_id"], f"{stage}_critics", "drop", stage=stage,
                         data={"stage": stage, "reasons": [reason]})
    return {"status": "dropped", "drop_reason": reason}


async def finish_persona(state: PersonaState) -> dict[str, Any]:
    return {"status": "accepted"}


def build_graph():
    """Compile the graph; models, settings and critics arrive at run time through the AgentContext."""
    g = StateGraph(PersonaState, context_schema=AgentContext)
    g.add_node("demographic_sampler", sample_base_persona)
    g.add_node("base_critics", make_persona_critic_node(Stage.BASE))
    g.add_node("socio_enricher", enrich_socio)
    g.add_node("socio_critics", make_persona_critic_node(Stage.SOCIO))
    g.add_node("scenario_designer", design_scenario)
    g.add_node("scenario_critics", make_persona_critic_node(Stage.SCENARIO))
    g.add_node("emotion_writer", write_emotions)
    g.add_node("expression_critics", critique_texts)
    g.add_node("drop_persona", drop_persona)
    g.add_node("finish_persona", finish_persona)

    persona_nodes = ["demographic_sampler", "socio_enricher", "scenario_designer", "emotion_writer"]
    g.add_conditional_edges(START, routing.start, persona_nodes)
    g.add_edge("demographic_sampler", "base_critics")
    g.add_edge("socio_enricher", "socio_critics")
    g.add_edge("scenario_designer", "scenario_critics")
    for stage in routing.STAGE_NODES:
        g.add_conditional_edges(f"{stage}_critics", routing.after_critique(stage), routing.targets_after(stage))
    g.add_edge("emotion_writer", "expression_critics")
    g.add_conditional_edges("expression_critics", routing.after_text_critique, ["emotion_writer", "finish_persona"])
    g.add_edge("drop_persona", END)
    g.add_edge("finish_persona", END)
    return g.compile()
