"""The files of a run folder as pydantic models (docs/run-format.md): config.json, a personas.jsonl row, a
records.jsonl row and summary.json. Events are the models of agents/events.py.

Persona parts and verdicts are the domain models of personas/models.py, not copies. Every model keeps keys it
does not know (`extra="allow"`): a reader of this version passes on what a newer writer added. Which format a
run folder is in is config.json's `format` (personagen/runformat/versions.py reads older ones).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from personagen.personas.models import BasePersona, RejectedCandidate, Scenario, SocioCultural, Verdict
from personagen.personas.models import DroppedText as DroppedSlot

FORMAT = 2  # the run format this version writes: config.json `format` (runformat/versions.py: the history)


class Row(BaseModel):
    model_config = ConfigDict(extra="allow")


class TextCounts(Row):
    """A persona's (or the run's) text slots and what became of them."""

    accepted: int = Field(default=0, description="Texts kept by every enforced critic.")
    dropped: int = Field(default=0, description="Texts whose rewrite loop was exhausted.")
    requested: int = Field(default=0, description="Text slots: emotions x texts per emotion.")
    lost_to_errors: int = Field(default=0, description="Slots lost to failed model calls, not to critics.")


class PersonaCounts(Row):
    requested: int = Field(default=0, description="Personas asked for (0: a --texts run before its rounds).")
    accepted: int = Field(default=0, description="Personas that reached the writer.")
    dropped: int = Field(default=0, description="Personas a critic loop dropped.")


class Rejected(Row, RejectedCandidate):
    """A candidate a critic turned down before acceptance (the graph state's RejectedCandidate)."""


class DroppedText(Row, DroppedSlot):
    """A text slot whose rewrite loop was exhausted: the last draft, its verdicts and the cause (the graph state's
    DroppedText)."""


class PersonaRow(Row):
    """One row of personas.jsonl: a finished persona, accepted or dropped."""

    id: str = Field(description="The persona id, e.g. 'p000003'.")
    index: int = Field(description="Persona index in the run (drives the seed).")
    seed: int = Field(description="The persona's seed, from (run seed, index).")
    status: Literal["accepted", "dropped"] = Field(description="Reached the writer, or dropped by a critic loop.")
    base: BasePersona | None = Field(default=None, description="The accepted base persona.")
    socio: SocioCultural | None = Field(default=None, description="The accepted socio-cultural background.")
    scenario: Scenario | None = Field(default=None, description="The scenario.")
    attempts: dict[str, int] = Field(default_factory=dict, description="Attempts per persona stage.")
    rejected: list[Rejected] = Field(default_factory=list, description="Every candidate a critic turned down.")
    verdicts: list[Verdict] = Field(default_factory=list, description="Verdicts on the accepted candidates.")
    texts: TextCounts = Field(default_factory=TextCounts, description="The persona's text slots.")
    dropped_texts: list[DroppedText] = Field(default_factory=list, description="Text slots dropped.")
    drop_reason: Any = Field(default=None, description="Why the persona was dropped (null when accepted).")


class RecordRow(Row):
    """One row of records.jsonl: an accepted text, the dataset."""

    id: str = Field(description="'<persona id>-<emotion>-<slot>'.")
    persona_id: str = Field(description="The persona that wrote it.")
    emotion: str = Field(description="The target emotion.")
    text: str = Field(description="The text.")
    language: str = Field(default="en", description="The language of the text.")
    persona: dict[str, Any] | None = Field(default=None, description="The base persona (no provenance).")
    socio: dict[str, Any] | None = Field(default=None, description="The background (no provenance).")
    scenario: Scenario | None = Field(default=None, description="The scenario.")
    model: str | None = Field(default=None, description="The writer's model.")
    attempt: int = Field(default=1, description="Which writing attempt produced it.")
    method: str = Field(default="personagen", description="`personagen` or `baseline`.")
    verdicts: list[Verdict] = Field(default_factory=list, description="The verdicts that accepted it.")


class RunConfig(Row):
    """config.json: written once, when the run starts."""

    format: int = Field(default=FORMAT, description="The run format (this module's FORMAT when written).")
    run_id: str | None = Field(default=None, description="The run id (the folder's name).")
    created: str | None = Field(default=None, description="ISO time the run started.")
    version: str | None = Field(default=None, description="The personagen version that wrote the run.")
    emotions: list[str] = Field(default_factory=list, description="The resolved emotions.")
    language: str = Field(default="en", description="The language of the texts.")
    critics: list[str] = Field(default_factory=list, description="The critics the run used, in order.")
    settings: dict[str, Any] | None = Field(default=None, description="The full resolved settings (no keys).")
    merged_from: list[str] | None = Field(default=None, description="The shard runs a merge joined.")


class RunSummary(Row):
    """summary.json: written when the run ends (also on a clean stop)."""

    status: str = Field(description="finished, failed, interrupted, budget or short.")
    message: str | None = Field(default=None, description="Why it stopped, and how to continue.")
    started: float | None = Field(default=None, description="Unix time the process started.")
    finished: float | None = Field(default=None, description="Unix time it ended.")
    wall_s: float | None = Field(default=None, description="Wall time of this process.")
    cpu_s: float | None = Field(default=None, description="CPU time of this process.")
    personas: PersonaCounts = Field(default_factory=PersonaCounts, description="Personas by outcome.")
    texts: TextCounts = Field(default_factory=TextCounts, description="Texts by outcome.")
    cost_cap: dict[str, Any] | None = Field(default=None, description="The --max-cost report, if capped.")
