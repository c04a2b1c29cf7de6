"""The graph's wiring, snapshotted as its Mermaid drawing so that every wiring change shows in a diff.

After an intended change: UPDATE_SNAPSHOTS=1 pytest tests/graph/test_wiring.py
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path

import pytest

from personagen.graph import routing
from personagen.graph.build import build_graph

HERE = Path(__file__).parent
README = HERE.parents[1] / "README.md"


@pytest.mark.parametrize(("split", "name"), [(False, "graph.mmd"), (True, "graph_split.mmd")])
def test_mermaid_drawing_matches_snapshot(split, name):
    """The run graph (graph.mmd) and the split graph drawn for readers and LangGraph Studio (graph_split.mmd)."""
    snapshot = HERE / name
    drawing = build_graph(split=split).get_graph().draw_mermaid()
    if os.environ.get("UPDATE_SNAPSHOTS"):
        snapshot.write_text(drawing)
    assert snapshot.exists(), f"{snapshot} is missing: write it with UPDATE_SNAPSHOTS=1 and review the drawing"
    assert drawing == snapshot.read_text()


def test_readme_shows_the_split_drawing():
    """README's mermaid block is the split graph's drawing (without the snapshot's front matter)."""
    block = README.read_text().split("```mermaid\n", 1)[1].split("```", 1)[0]
    drawing = build_graph(split=True).get_graph().draw_mermaid()
    assert block.strip() == drawing.split("---\n")[-1].strip()


def test_split_graph_draws_each_agent_its_critics_and_the_loop_back():
    """Split: agent -> critics; a rejection goes back to the agent, an exhausted stage to drop_persona."""
    edges = {(e.source, e.target) for e in build_graph(split=True).get_graph().edges}
    for stage in ("base", "socio", "scenario", "text"):
        assert (f"{stage}_stage", f"{stage}_critics") in edges
        assert (f"{stage}_critics", f"{stage}_stage") in edges
    for stage in ("base", "socio", "scenario"):
        assert (f"{stage}_critics", "drop_persona") in edges
    assert ("base_critics", "socio_stage") in edges and ("text_critics", "__end__") in edges


def test_every_critic_stage_can_loop_back_and_drop():
    """Each stage node runs its agent then its critics: a rejection loops back to the same node or drops."""
    edges = {(e.source, e.target) for e in build_graph().get_graph().edges}
    for stage in ("base", "socio", "scenario"):
        assert (f"{stage}_stage", f"{stage}_stage") in edges
        assert (f"{stage}_stage", "drop_persona") in edges
    assert ("text_stage", "text_stage") in edges and ("text_stage", "__end__") in edges


def test_routing_functions_run_on_the_event_loop():
    """Coroutine routing functions: LangGraph runs plain ones through the default executor (a thread hop)."""
    stages = [routing.after_critique(s) for s in routing.STAGE_NODES]
    for route in (routing.start, routing.after_text_critique, *stages):
        assert inspect.iscoroutinefunction(route), route.__name__
