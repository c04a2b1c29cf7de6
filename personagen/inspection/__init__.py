"""Looking back at runs: tolerant reading of run folders, funnels, persona journeys and the critic catalogue.

Events are read as the typed models of agents/events.py (the contract the pipeline writes through).
Everything here is pure library code returning plain data (dicts and dataclasses); `render.py` is the only
module that draws with rich, and `personagen/commands/inspect.py` is the thin CLI on top.
"""
