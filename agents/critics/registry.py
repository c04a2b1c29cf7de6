"""The critic registry: one decorator registers a critic, one function runs the critics of a stage.

A critic is a function (sync or async) or a class with a `check` method, taking a `Candidate` and returning a
`Verdict`. It declares its name, the stage it guards, a one-line description and its kind (rule or LLM).
Built-in critics live beside this module; third-party packages register theirs through the entry-point group
`personagen.critics` (the entry point names a module or a decorated object; importing it registers it).
Critic authors import all of this from `personagen.critics`; `registered_critics()` lists what is registered
and `isolated_registry()` lets a test register critics that are gone afterwards.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from pydantic import BaseModel

from personagen.agents.llm import ModelAnswerError, ModelCallError
from personagen.errors import RunFailure
from personagen.personas.models import BasePersona, Expression, Scenario, SocioCultural, Stage, Verdict

ENTRY_POINT_GROUP = "personagen.critics"
BUILTIN_MODULE = "personagen.agents.critics.builtin"
KINDS = ("rule", "llm")


class CriticError(RunFailure):
    """A critic is broken: it raised, returned the wrong type, or its name clashes."""


@dataclass
class Candidate:
    """What a critic judges: the persona so far and the candidate of the stage under review.

    LLM critics call `await candidate.ask(messages, Schema)`: the call goes to the critic's own model and is
    recorded as an event. Rule critics never call it.
    """

    stage: Stage
    persona: BasePersona
    socio: SocioCultural | None = None
    scenario: Scenario | None = None
    expression: Expression | None = None
    emotions: list[str] = field(default_factory=list)
    language: str = "en"
    earlier_texts: list[str] = field(default_factory=list)
    asker: Callable[[list[Any], type[BaseModel]], Awaitable[Any]] | None = None

    async def ask(self, messages: list[Any], schema: type[BaseModel]) -> Any:
        """One structured call on this critic's model; returns the parsed `schema` object."""
        if self.asker is None:
            raise CriticError("this critic has no model: declare it with kind='llm'")
        return await self.asker(messages, schema)


@dataclass(frozen=True)
class CriticSpec:
    """A registered critic."""

    name: str
    stage: Stage
    description: str
    kind: str
    check: Callable[[Candidate], Verdict | Awaitable[Verdict]]
    origin: str
    prepare: Callable[[list[Candidate]], None] | None = None  # see `critic`

    async def run(self, candidate: Candidate) -> Verdict:
        """Run the critic and normalise its verdict; any failure becomes a CriticError naming the critic."""
        try:
            result = self.check(candidate)
            if inspect.isawaitable(result):
                result = await result
        except (CriticError, ModelCallError, ModelAnswerError):
            raise
        except Exception as exc:  # a broken plug-in must not take the run down unannounced
            raise CriticError(f"critic '{self.name}' raised {type(exc).__name__}: {exc}") from exc
        if not isinstance(result, Verdict):
            raise CriticError(
                f"critic '{self.name}' returned {type(result).__name__}, expected a Verdict "
                "(use personagen's accept()/reject() helpers)"
            )
        return result.model_copy(update={"critic": self.name, "stage": self.stage, "kind": self.kind})


def prepare_critics(critics: list[CriticSpec], candidates: list[Candidate]) -> None:
    """Hand the candidates of a round to the critics that `prepare`; a failure there is left for the critic's own
    check on each candidate to meet and report (prepare only starts work early)."""
    for spec in critics:
        if spec.prepare is not None and candidates and spec.stage == candidates[0].stage:
            try:
                spec.prepare(candidates)
            except Exception:  # reported by the check, which does the same work (see the docstring)
                continue


_REGISTRY: dict[str, CriticSpec] = {}
_loaded_entry_points = False
_plugin_warnings: list[str] = []


def accept(*reasons: str, score: float = 1.0) -> Verdict:
    """A passing verdict (critic name and stage are filled in by the registry)."""
    return Verdict(critic="", stage=Stage.BASE, passed=True, score=score, reasons=list(reasons))


def reject(*reasons: str, score: float = 0.0) -> Verdict:
    """A failing verdict (critic name and stage are filled in by the registry)."""
    return Verdict(critic="", stage=Stage.BASE, passed=False, score=score, reasons=list(reasons))


def critic(name: str, *, stage: Stage | str, description: str, kind: str = "rule",
           prepare: Callable[[list[Candidate]], None] | None = None) -> Callable:
    """Register the decorated function, or class with a `check` method, as a critic.

    `prepare`, optional, is called (on the event loop, before any of them is judged) with all the texts of a round
    of the expression stage: a critic can start shared work for them together, e.g. one classifier batch. It must
    return at once and never judge: its failures are the check's to report (`prepare_critics`)."""
    if kind not in KINDS:
        raise CriticError(f"critic '{name}': kind must be one of {KINDS}, not {kind!r}")
    stage = Stage(stage)

    def register(obj: Any) -> Any:
        check = obj().check if inspect.isclass(obj) else obj
        spec = CriticSpec(name, stage, description, kind, check, f"{obj.__module__}.{obj.__qualname__}", prepare)
        existing = _REGISTRY.get(name)
        if existing is not None and existing.origin != spec.origin:
            raise CriticError(f"critic name '{name}' from {spec.origin} clashes with {existing.origin}")
        _REGISTRY[name] = spec
        return obj

    return register


def load_entry_points() -> list[str]:
    """Import third-party critics once; returns warnings for the ones that failed to load."""
    global _loaded_entry_points
    if _loaded_entry_points:
        return []
    _loaded_entry_points = True
    warnings = []
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            entry.load()
        except Exception as exc:
            warnings.append(f"critic plug-in '{entry.name}' ({entry.value}) failed to load: {exc}")
    _plugin_warnings.extend(warnings)
    return warnings


def plugin_warnings() -> list[str]:
    """Warnings about plug-ins that failed to load (kept, so every command can show them)."""
    return list(_plugin_warnings)


def registered_critics() -> dict[str, CriticSpec]:
    """The critics registered so far, by name (a copy), without importing the built-ins or any plug-in."""
    return dict(_REGISTRY)


def all_critics() -> dict[str, CriticSpec]:
    """Every registered critic: built-ins and plug-ins."""
    importlib.import_module(BUILTIN_MODULE)  # registers the built-in critics
    load_entry_points()
    return registered_critics()


@dataclass(frozen=True)
class RegistrySnapshot:
    """The registry's state: its critics, whether plug-ins were loaded, and their load warnings."""

    critics: dict[str, CriticSpec]
    entry_points_loaded: bool
    plugin_warnings: tuple[str, ...]


def snapshot_registry() -> RegistrySnapshot:
    """The registry's state now, for `restore_registry`."""
    return RegistrySnapshot(dict(_REGISTRY), _loaded_entry_points, tuple(_plugin_warnings))


def restore_registry(snapshot: RegistrySnapshot) -> None:
    """Put the registry back as it was when `snapshot` was taken."""
    global _loaded_entry_points
    _REGISTRY.clear()
    _REGISTRY.update(snapshot.critics)
    _loaded_entry_points = snapshot.entry_points_loaded
    _plugin_warnings[:] = snapshot.plugin_warnings


@contextmanager
def isolated_registry() -> Iterator[None]:
    """Within the block, critics registered and plug-ins loaded (entry points are read again) are gone afterwards.

    The built-in critics are imported first, so they stay registered after the block.
    """
    global _loaded_entry_points
    importlib.import_module(BUILTIN_MODULE)
    saved = snapshot_registry()
    _loaded_entry_points = False
    try:
        yield
    finally:
        restore_registry(saved)


def select_critics(enabled: list[str] | None, disabled: list[str]) -> list[CriticSpec]:
    """The critics of a run in execution order: rule critics before LLM critics, by name within a kind.

    `enabled=None` means every registered critic; unknown names raise CriticError listing the known ones.
    """
    known = all_critics()
    unknown = [n for n in (enabled or []) + disabled if n not in known]
    if unknown:
        raise CriticError(f"unknown critic(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    names = [n for n in (enabled if enabled is not None else known) if n not in disabled]
    return sorted((known[n] for n in names), key=lambda s: (KINDS.index(s.kind), s.name))
