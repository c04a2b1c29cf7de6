"""The graph LangGraph Studio opens (named in langgraph.json): each stage's agent and critics as separate nodes.

langgraph.json follows LangGraph's configuration file format: `dependencies` ["."] installs this local package,
`graphs` maps a graph id to "./path/to/file.py:variable" holding the compiled graph
(https://langchain-ai.github.io/langgraph/cloud/reference/cli/#configuration-file). Runs use the one-node form,
`build_graph()`, which halves the super-steps per model call (docs/benchmarks.md); both wire the same node and
routing functions.
"""

from __future__ import annotations

from personagen.graph.build import build_graph

graph = build_graph(split=True)
