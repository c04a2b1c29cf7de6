"""The PersonaGen state machine: every node and edge, in one readable function.

One node per stage: the stage's agent, then the stage's critics on what it made (rule critics first). A rejection
loops back to the same node (resample, re-enrich, redesign, rewrite) within the stage's bound, or ends in
`drop_persona`; the text stage ends the thread itself once every text slot is closed. Running an agent and its
critics in one node, rather than as two, halves LangGraph's super-steps per model call (each one costs the
runnable, channel and task machinery around the node: docs/benchmarks.md); the events, their order and the state
each agent and critic sees are the same as with separate nodes. `build_graph(split=True)` is that graph with
separate nodes, drawn and opened in LangGraph Studio; runs use the one-node form.
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
    stage = state["rejected"][-1].stage if state["rejected"] else Stage.BASE
    reason = f"{stage.value}: {state['max_attempts'][stage]} candidates rejected; last: {state['last_reason']}"
    runtime.context.emit(state["persona_id"], f"{stage.value}_critics", "drop", stage=stage,
                         data={"stage": stage, "reasons": [reason]})
    return {"status": "dropped", "drop_reason": reason}


def build_graph(split: bool = False):
    """Compile the graph; models, settings and critics arrive at run time through the AgentContext.

    `split=False` is the run graph: one node per stage (agent, then critics). `split=True` wires the same node
    functions and routing functions as agent node -> critics node -> (back to the agent, next stage, or drop), so
    its drawing (tests/graph/graph_split.mmd, LangGraph Studio through graph/studio.py) shows every critic loop;
    it runs the same events at twice the super-steps per attempt.
    """
    g = StateGraph(PersonaState, context_schema=AgentContext)
    agents = {Stage.BASE: sample_base_persona, Stage.SOCIO: enrich_socio, Stage.SCENARIO: design_scenario}
    stages = [(routing.STAGE_NODES[s], a, make_persona_critic_node(s), routing.after_critique(s),
               routing.targets_after(s)) for s, a in agents.items()]
    stages.append((routing.TEXTS, write_emotions, critique_and_close, routing.after_text_critique,
                   [routing.TEXTS, END]))
    for node, agent, critics, route, targets in stages:
        if split:  # the agent node keeps the stage's name: the routing functions' "retry" target
            g.add_node(node, agent)
            g.add_node(critics_node(node), critics)
            g.add_edge(node, critics_node(node))
            g.add_conditional_edges(critics_node(node), route, targets)
        else:
            g.add_node(node, then(agent, critics, node))
            g.add_conditional_edges(node, route, targets)
    g.add_node(routing.DROP, drop_persona)
    g.add_conditional_edges(START, routing.start, [*routing.STAGE_NODES.values(), routing.TEXTS])
    g.add_edge(routing.DROP, END)
    return g.compile()


def critics_node(stage_node: str) -> str:
    """The critics node of a stage in the split graph: `base_stage` -> `base_critics`."""
    return stage_node.removesuffix("_stage") + "_critics"
