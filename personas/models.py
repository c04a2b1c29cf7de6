"""The domain records: what a persona, its background, its scenario, its texts and a critic's verdict are.

These models are shared by every layer. They know nothing of agents, graphs or models.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Stage(StrEnum):
    """The stage of the PersonaGen pipeline a critic guards."""

    BASE = "base"
    SOCIO = "socio"
    SCENARIO = "scenario"
    EXPRESSION = "expression"


class Sampled(BaseModel):
    """Where one sampled value came from: the table and the seed of the draw."""

    model_config = ConfigDict(frozen=True)

    table: str = Field(description="Name of the locale table the value was drawn from, e.g. 'us/age'.")
    seed: int = Field(description="Seed of the random generator that drew the value.")


class BasePersona(BaseModel):
    """Stage 1: the demographic core of a persona, sampled from real distributions."""

    id: str = Field(description="Stable persona id within a run, e.g. 'p000042'.")
    index: int = Field(description="Persona index in the run (drives the seed).")
    locale: str = Field(description="Locale whose tables produced the values, e.g. 'us' or 'jp'.")
    age: int = Field(ge=0, le=120, description="Age in years.")
    gender: str = Field(description="Gender, e.g. 'female' or 'male'.")
    occupation: str = Field(description="Occupation title.")
    occupation_code: str | None = Field(default=None, description="Occupation code (US SOC) when known.")
    mbti: str = Field(pattern=r"^[EI][SN][TF][JP]$", description="MBTI type, four letters.")
    provenance: dict[str, Sampled] = Field(
        default_factory=dict, description="For each sampled field, the table and seed that produced it."
    )

    def summary(self) -> str:
        return f"{self.age}-year-old {self.gender}, occupation: {self.occupation}, MBTI {self.mbti}"


class SocioCultural(BaseModel):
    """Stage 2: the socio-cultural background of a persona."""

    education: str = Field(description="Highest education attained.")
    residence: str = Field(description="Where the persona lives (kind of place and region).")
    family_structure: str = Field(description="Household and family situation.")
    religion: str = Field(description="Religious affiliation, or none.")
    beliefs: str = Field(description="Values and beliefs that shape how the persona sees the world.")
    income: str = Field(description="Income level or bracket.")
    provenance: dict[str, Sampled] = Field(
        default_factory=dict, description="For each field drawn from a table, the table and seed."
    )

    def summary(self) -> str:
        return (
            f"{self.education}; lives in {self.residence}; {self.family_structure}; "
            f"religion: {self.religion}; income: {self.income}; beliefs: {self.beliefs}"
        )


class Scenario(BaseModel):
    """Stage 3: the situation in which the persona writes."""

    location: str = Field(description="Kind of place, e.g. 'office' or 'train'.")
    activity: str = Field(description="What the persona is doing.")
    partner: str = Field(description="Relationship with the person addressed, e.g. 'close friend'.")
    medium: str = Field(description="Medium of the message, e.g. 'text message'.")
    language_style: str = Field(description="Register of the language, e.g. 'casual'.")
    description: str = Field(default="", description="One or two sentences setting the scene.")

    def summary(self) -> str:
        return (
            f"{self.activity} at {self.location}, writing to a {self.partner} by {self.medium} "
            f"({self.language_style})"
        )


class Expression(BaseModel):
    """Stage 4: one short first-person text meant to carry a target emotion."""

    emotion: str = Field(description="Target emotion label.")
    text: str = Field(description="The short first-person text.")
    slot: int = Field(default=0, description="Index of the text among the texts for this emotion.")
    attempt: int = Field(default=1, description="Which writing attempt produced this text (1 = first).")


class Verdict(BaseModel):
    """A critic's judgement of one candidate: the shared contract of every critic."""

    critic: str = Field(description="Name of the critic.")
    stage: Stage = Field(description="Stage the critic guards.")
    passed: bool = Field(description="True when the candidate is accepted.")
    score: float = Field(default=1.0, ge=0.0, le=1.0, description="Confidence of acceptance, 0..1.")
    reasons: list[str] = Field(default_factory=list, description="Why it passed or failed.")
    kind: str = Field(default="rule", description="'rule' (deterministic code) or 'llm'.")
    advisory: bool = Field(default=False, description="Recorded but not enforced: never causes a rejection.")
    error_kind: str | None = Field(default=None, description="Set when a failed model call, not a judgement, made "
                                   "this rejection: how it failed (content_filter, invalid, ...).")

    @property
    def blocks(self) -> bool:
        """True when this verdict rejects the candidate (a failing verdict that is not advisory): the one place
        this is decided."""
        return not self.passed and not self.advisory


def blocking_verdicts(verdicts: Iterable[Verdict | Mapping[str, Any]]) -> list[Verdict]:
    """The verdicts that reject their candidate (`Verdict.blocks`), read from models or from the rows that the run
    folder holds (personas.jsonl, records.jsonl)."""
    read = (v if isinstance(v, Verdict) else Verdict.model_validate(v) for v in verdicts)
    return [v for v in read if v.blocks]


def lost_to_error(verdicts: Iterable[Verdict | Mapping[str, Any]]) -> bool:
    """True when a rejected candidate was blocked by a failed model call rather than by a critic's judgement."""
    return any(v.error_kind for v in blocking_verdicts(verdicts))


# ---- how a persona's loops stand: the graph state's records, and the rows of personas.jsonl / records.jsonl ----


class AcceptedText(Expression):
    """A text every enforced critic accepted, with the verdicts on it (a records.jsonl row's `verdicts`)."""

    verdicts: list[Verdict] = Field(default_factory=list, description="The verdicts on the text.")


class DroppedText(BaseModel):
    """A text slot whose rewrite loop ran out of attempts: its last draft and the verdicts on it, and whether
    critics or failed model calls closed it."""

    emotion: str = Field(description="Target emotion label.")
    slot: int = Field(description="Index of the text among the texts for this emotion.")
    text: str | None = Field(default=None, description="The last draft (None: the model gave no usable text).")
    verdicts: list[Verdict] = Field(default_factory=list, description="The verdicts on the last draft.")
    cause: Literal["critic", "error"] = Field(default="critic", description=(
        "'error': failed model calls closed it, not critics (rows written before the field: critic)."))


class TextSlot(BaseModel):
    """One text a persona owes (an emotion and its index) and how its rewrite loop stands."""

    emotion: str = Field(description="Target emotion label.")
    slot: int = Field(description="Index of the text among the texts for this emotion.")
    attempts: int = Field(default=0, description="Drafts asked for so far.")
    status: Literal["open", "accepted", "dropped"] = Field(default="open", description="Open until closed.")
    last: Expression | None = Field(default=None, description="The last draft the critics judged.")
    last_verdicts: list[Verdict] = Field(default_factory=list, description="The verdicts on the last draft.")
    failed_call: bool = Field(default=False, description="The writer's last call gave this slot no text.")

    @property
    def key(self) -> tuple[str, int]:
        return self.emotion, self.slot


class RejectedCandidate(BaseModel):
    """A persona-stage candidate its critics rejected (None: the agent's model call gave no candidate)."""

    stage: Stage = Field(description="The stage whose critics rejected it.")
    attempt: int = Field(description="Which attempt of the stage it was.")
    candidate: BasePersona | SocioCultural | Scenario | None = Field(description="The candidate, as judged.")
    verdicts: list[Verdict] = Field(description="The verdicts on it.")
