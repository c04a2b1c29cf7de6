"""The graph's wiring, snapshotted as its Mermaid drawing so that every wiring change shows in a diff.

After an intended change: UPDATE_SNAPSHOTS=1 pytest tests/graph/test_wiring.py
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path

from personagen.graph import routing
from personagen.graph.build import build_graph

SNAPSHOT = Path(__file__).parent / "graph.mmd"


def test_mermaid_drawing_matches_snapshot():
    drawing = build_graph().get_graph().draw_mermaid()
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(drawing)
    assert SNAPSHOT.exists(), f"{SNAPSHOT} is missing: write it with UPDATE_SNAPSHOTS=1 and review the drawing"
    assert drawing == SNAPSHOT.read_text()


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
