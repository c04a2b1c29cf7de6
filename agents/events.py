"""The events of a run: one pydantic model per event type, the contract of events.jsonl.

Writers: agents and critics call `AgentContext.emit`, which builds the event with `make_event` (validated once,
there) and hands the event model to the run's sink; the run folder stores `record(event)` (one line of
events.jsonl), the trace, the summary and the health watch read the model. Readers of a run folder (inspect,
browse, summary of a resumed or merged run, evaluation) parse lines with `parse_event_json`. Event data are the
domain models of personas/models.py (BasePersona, SocioCultural, Scenario, Expression, Verdict), not copies.
docs/run-format.md lists exactly these types (tests/docs/test_run_format.py checks it).

Every event has the common fields of `Event` (`v`, `ts`, `persona_id`, `agent`, `type`, `stage`, `attempt`)
and its type's `data` model. `v` is the format version: a line without it (written before versions) is
version 1; version 2 dropped `data.slot` ('joy#0') from `retry` and `drop` (the event's own `emotion` and `slot`
say which text) and added `tokens_reasoning` to `llm_call`. Unknown keys are kept (`extra="allow"`) so that a
newer run still reads; fields that are absent from a line when they are None (e.g. `emotion`, `slot`, `data.via`)
are listed in `OMIT_IF_NONE`.

Writing validates: pydantic's validation runs in Rust and costs less than `model_construct` (measured: ~2.5 us
against ~7 us per event), so the hot path gets the contract checked for free.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from personagen.personas.models import BasePersona, Expression, Scenario, SocioCultural, Stage, Verdict

EVENT_VERSION = 2
CRITIC_PREFIX = "critic:"  # the agent of a critic's events is "critic:<name>"


class EventType(StrEnum):
    """The value of `type` of every event a run writes."""

    SAMPLE = "sample"
    OUTPUT = "output"
    LLM_CALL = "llm_call"
    VERDICT = "verdict"
    RETRY = "retry"
    DROP = "drop"
    ERROR = "error"
    RESUME = "resume"


class Record(BaseModel):
    """A model written as JSON: unknown keys kept, keys in OMIT_IF_NONE left out when None. A domain model instance
    (personas/models.py) is read by its attributes, so a writer hands over the model it holds."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, from_attributes=True)
    OMIT_IF_NONE: ClassVar[tuple[str, ...]] = ()


# ---- data of each event type: the domain models of personas/models.py, as written to events.jsonl -----------


class SampleData(Record, BasePersona):
    """`sample`: the base persona the demographic sampler drew, with the table and seed of each value."""


class SocioData(Record, SocioCultural):
    """`output` of the socio-cultural enricher."""


class ScenarioData(Record, Scenario):
    """`output` of the scenario designer."""


class TextData(Record, Expression):
    """One candidate text in the emotion writer's `output` (a list of these)."""


class VerdictData(Record, Verdict):
    """`verdict`: a critic's Verdict (with `error_kind` when a failed model call, not a judgement, made it)."""

    OMIT_IF_NONE = ("error_kind",)


class LlmCallData(Record):
    """`llm_call`: the schema asked for and either the parsed answer or the error (and its kind)."""

    OMIT_IF_NONE = ("parsed", "error", "error_kind", "via")

    schema_name: str = Field(alias="schema", description="Name of the pydantic schema asked for.")
    parsed: dict[str, Any] | None = None
    error: str | None = None
    error_kind: str | None = Field(default=None, description="How the call failed for this candidate: an unusable "
                                   "answer (agents/answers.py) or a refusal (agents/call_errors.py).")
    via: Literal["content_fallback"] | None = Field(
        default=None, description="Set when a tool call was asked for and the JSON came in the content."
    )


class RetryData(Record):
    """`retry`: a rejection that triggers another attempt (of a text: the event's `emotion` and `slot` say which;
    lines written before format 2 also held `slot` 'joy#0' here, kept as an unknown key)."""

    stage: Stage
    reason: str


class DropData(Record):
    """`drop`: a loop ran out of attempts; the persona (or, when the event has `emotion` and `slot`, the text) is
    dropped."""

    stage: Stage
    reasons: list[str]


class ErrorData(Record):
    """`error`: a critic failed (and was skipped, or stopped the run)."""

    message: str


class ResumeData(Record):
    """`resume`: what `run --resume` repaired and kept."""

    done: int
    retried: int = Field(default=0, description="Finished personas run again: they lost text slots to model errors.")
    torn_lines: int = 0
    duplicate_rows: int = 0
    orphan_records: int = 0
    discarded_events: int = 0
    discarded_usage: dict[str, dict[str, int | float]] = Field(
        default_factory=dict, description="Calls and tokens per agent of the discarded events."
    )


# ---- the events ----------------------------------------------------------------------------------------------


class Event(Record):
    """The fields every event has."""

    v: int = Field(default=1, description="Format version (writers set EVENT_VERSION); a line without it is 1.")
    ts: float = Field(description="Unix seconds.")
    persona_id: str | None = Field(default=None, description="None for run-level events.")
    agent: str
    type: EventType
    stage: Stage | None = None
    attempt: int | None = None
    data: Any = None


class AboutText(Event):
    """An event about one text carries its target emotion and slot (absent otherwise)."""

    OMIT_IF_NONE = ("emotion", "slot")

    emotion: str | None = None
    slot: int | None = None


class SampleEvent(Event):
    type: Literal[EventType.SAMPLE]
    data: SampleData


class OutputEvent(Event):
    """An agent's output: socio or scenario (an object), or the writer's candidate texts (a list)."""

    type: Literal[EventType.OUTPUT]
    data: list[TextData] | SocioData | ScenarioData


class LlmCallEvent(AboutText):
    """One structured model call, also when its answer did not parse. `cost` is added by the run (which knows the
    prices, personagen/pricing.py) before the event is stored."""

    OMIT_IF_NONE = ("emotion", "slot", "cost", "tokens_reasoning")

    type: Literal[EventType.LLM_CALL]
    data: LlmCallData
    model: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    tokens_cached: int | None = Field(default=None, description="Of tokens_in, served from the prompt cache.")
    tokens_reasoning: int | None = Field(default=None, description=(
        "Of tokens_out, spent on reasoning, as the server reported it (absent: none reported)."))
    cost: float | None = Field(default=None, description="USD at the run's price of the model (absent: unpriced).")
    latency_s: float | None = None
    prompt: list[dict[str, Any]] = Field(default_factory=list, description="The messages: [{role, content}].")
    raw: str | None = Field(default=None, description="The model's raw answer.")


class VerdictEvent(AboutText):
    type: Literal[EventType.VERDICT]
    data: VerdictData


class RetryEvent(AboutText):
    type: Literal[EventType.RETRY]
    data: RetryData


class DropEvent(AboutText):
    type: Literal[EventType.DROP]
    data: DropData


class ErrorEvent(AboutText):
    type: Literal[EventType.ERROR]
    data: ErrorData


class ResumeEvent(Event):
    type: Literal[EventType.RESUME]
    data: ResumeData


AnyEvent = Annotated[
    SampleEvent | OutputEvent | LlmCallEvent | VerdictEvent | RetryEvent | DropEvent | ErrorEvent | ResumeEvent,
    Field(discriminator="type"),
]
EVENT_MODELS: dict[str, type[Event]] = {
    EventType.SAMPLE: SampleEvent,
    EventType.OUTPUT: OutputEvent,
    EventType.LLM_CALL: LlmCallEvent,
    EventType.VERDICT: VerdictEvent,
    EventType.RETRY: RetryEvent,
    EventType.DROP: DropEvent,
    EventType.ERROR: ErrorEvent,
    EventType.RESUME: ResumeEvent,
}
_ADAPTER: TypeAdapter[Event] = TypeAdapter(AnyEvent)


def make_event(fields: dict[str, Any]) -> Event:
    """A writer's event, validated by the model of its type (~2.5 us: cheaper than `model_construct`, which
    builds in Python); ValueError for a type that has no model here."""
    model = EVENT_MODELS.get(fields["type"])
    if model is None:
        raise ValueError(f"event type {fields['type']!r} has no model in agents/events.py")
    return model.model_validate({"v": EVENT_VERSION, **fields})


def record(event: Event) -> dict[str, Any]:
    """The event as one line of events.jsonl (a dict; JSON keys as documented in docs/run-format.md)."""
    out = event.model_dump(by_alias=True)
    _omit_none(out, event.OMIT_IF_NONE)
    if isinstance(event.data, Record) and event.data.OMIT_IF_NONE:
        _omit_none(out["data"], event.data.OMIT_IF_NONE)
    return out


def _omit_none(values: dict[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        if key in values and values[key] is None:
            del values[key]


def parse_event(line: dict[str, Any]) -> Event:
    """A line of events.jsonl (as a dict) as its typed event; pydantic's ValidationError when it is not a known
    event."""
    return _ADAPTER.validate_python(line)


def parse_event_json(line: bytes | str) -> Event:
    """A line of events.jsonl (its JSON text) as its typed event, in one pass; pydantic's ValidationError when it is
    not JSON or not a known event."""
    return _ADAPTER.validate_json(line)
