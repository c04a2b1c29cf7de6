"""The graph's wiring, snapshotted as its Mermaid drawing so that every wiring change shows in a diff.

After an intended change: UPDATE_SNAPSHOTS=1 pytest tests/graph/test_wiring.py
"""

from __future__ import annotations

import os
from pathlib import Path

from personagen.graph.build import build_graph

SNAPSHOT = Path(__file__).parent / "graph.mmd"


def test_mermaid_drawing_matches_snapshot():
    drawing = build_graph().get_graph().draw_mermaid()
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(drawing)
    assert SNAPSHOT.exists(), f"{SNAPSHOT} is missing: write it with UPDATE_SNAPSHOTS=1 and review the drawing"
    assert drawing == SNAPSHOT.read_text()


def test_every_critic_stage_can_loop_back_and_drop():
    edges = {(e.source, e.target) for e in build_graph().get_graph().edges}
    for stage, agent in (("base", "demographic_sampler"), ("socio", "socio_enricher"),
                         ("scenario", "scenario_designer")):
        assert (f"{stage}_critics", agent) in edges
        assert (f"{stage}_critics", "drop_persona") in edges
    assert ("expression_critics", "emotion_writer") in edges
