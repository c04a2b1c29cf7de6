"""The PersonaGen state machine: every node and edge, in one readable function.

One node per stage: the stage's agent, then the stage's critics on what it made (rule critics first). A rejection
loops back to the same node (resample, re-enrich, redesign, rewrite) within the stage's bound, or ends in
`drop_persona`; the text stage ends the thread itself once every text slot is closed. Running an agent and its
critics in one node, rather than as two, halves LangGraph's super-steps per model call (each one costs the
runnable, channel and task machinery around the node: docs/benchmarks.md); the events, their order and the state
each agent and critic sees are the same as with separate nodes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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

Node = Callable[[Any, Runtime[AgentContext]], Awaitable[dict[str, Any]]]


def then(agent: Node, critics: Node, name: str) -> Node:
    """One node running `agent`, then `critics` on the state as the agent left it; returns both updates."""

    async def stage(state: PersonaState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
        made = await agent(state, runtime)
        judged = await critics({**state, **made}, runtime)
        return {**made, **judged}

    stage.__name__ = name
    return stage


async def critique_and_close(state: PersonaState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """The expression critics; a persona whose text slots are all closed is accepted."""
    judged = await critique_texts(state, runtime)
    if not routing.any_open(judged["slots"]):
        judged["status"] = "accepted"
    return judged


async def drop_persona(state: PersonaState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """A persona stage ran out of attempts: the persona is dropped with the last reasons."""
    stage = state["rejected"][-1]["stage"] if state["rejected"] else "base"
    reason = f"{stage}: {state['max_attempts'][stage]} candidates rejected; last: {state['last_reason']}"
    runtime.context.emit(state["persona_id"], f"{stage}_critics", "drop", stage=stage,
                         data={"stage": stage, "reasons": [reason]})
    return {"status": "dropped", "drop_reason": reason}


def build_graph():
    """Compile the graph; models, settings and critics arrive at run time through the AgentContext."""
    g = StateGraph(PersonaState, context_schema=AgentContext)
    agents = {Stage.BASE: sample_base_persona, Stage.SOCIO: enrich_socio, Stage.SCENARIO: design_scenario}
    for stage, agent in agents.items():
        node = routing.STAGE_NODES[stage.value]
        g.add_node(node, then(agent, make_persona_critic_node(stage), node))
    g.add_node(routing.TEXTS, then(write_emotions, critique_and_close, routing.TEXTS))
    g.add_node(routing.DROP, drop_persona)

    g.add_conditional_edges(START, routing.start, [*routing.STAGE_NODES.values(), routing.TEXTS])
    for stage in routing.STAGE_NODES:
        g.add_conditional_edges(routing.STAGE_NODES[stage], routing.after_critique(stage),
                                routing.targets_after(stage))
    g.add_conditional_edges(routing.TEXTS, routing.after_text_critique, [routing.TEXTS, END])
    g.add_edge(routing.DROP, END)
    return g.compile()
