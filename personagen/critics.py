"""The public API for critic authors and tools: `from personagen.critics import critic, accept, reject, Candidate`.

- writing a critic: `critic` (the decorator), `accept` / `reject` (verdicts), `Candidate` and the records it
  carries (`BasePersona`, `SocioCultural`, `Scenario`, `Expression`), `Stage`, `Verdict`, `CriticError`;
- looking at the registry: `all_critics()` (built-ins and plug-ins, loaded on first use), `registered_critics()`
  (what is registered so far), `CriticSpec` (one registered critic: `await spec.run(candidate)` runs it as the
  graph does), `plugin_warnings()`, `load_entry_points()` and `ENTRY_POINT_GROUP`;
- testing: `with isolated_registry(): ...` registers critics (and loads plug-ins) only for the block.
"""

from personagen.agents.critics.registry import (
    ENTRY_POINT_GROUP,
    Candidate,
    CriticError,
    CriticSpec,
    accept,
    all_critics,
    critic,
    isolated_registry,
    load_entry_points,
    plugin_warnings,
    registered_critics,
    reject,
)
from personagen.personas.models import BasePersona, Expression, Scenario, SocioCultural, Stage, Verdict

__all__ = [
    "ENTRY_POINT_GROUP",
    "BasePersona",
    "Candidate",
    "CriticError",
    "CriticSpec",
    "Expression",
    "Scenario",
    "SocioCultural",
    "Stage",
    "Verdict",
    "accept",
    "all_critics",
    "critic",
    "isolated_registry",
    "load_entry_points",
    "plugin_warnings",
    "registered_critics",
    "reject",
]
