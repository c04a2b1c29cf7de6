"""What reaches every agent at run time (through the graph's runtime context): settings, models, critics, events.

Agents never build models or open files themselves; the application shell fills this context and the graph hands
it to each node. Tests fill it with scripted fake models.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from langchain_core.messages import BaseMessage
from pydantic import BaseModel, ConfigDict, Field

from personagen.agents.critics.registry import CriticSpec
from personagen.agents.events import Event, make_event
from personagen.agents.llm import Answer, ModelAnswerError, ModelHandle, ask
from personagen.personas.scenario_slots import SlotPlan
from personagen.personas.vocab import Vocab

T = TypeVar("T", bound=BaseModel)

LANGUAGES = {"en": "English", "ja": "Japanese"}


class ModelSet(Protocol):
    """Gives each agent its model (multi-LLM): the agent's own entry, else the default."""

    def for_agent(self, agent: str) -> ModelHandle: ...


class Limits(BaseModel):
    """Bounds of the run: how many candidates a stage may try before it gives up, and when a run that cannot
    succeed stops early. The `[limits]` section of the config file is this model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_attempts: int = Field(default=4, gt=0, le=100, description="Base persona candidates before it is dropped.")
    socio_attempts: int = Field(default=3, gt=0, le=100, description="Socio-cultural backgrounds tried per persona.")
    scenario_attempts: int = Field(default=3, gt=0, le=100, description="Scenarios tried per persona.")
    text_attempts: int = Field(default=3, gt=0, le=100, description="Drafts tried per text slot before it is dropped.")
    early_stop_answers: int = Field(default=20, ge=0, description=(
        "The run fails (resumable) when its last N model answers all failed; 0: never."))
    early_stop_personas: int = Field(default=10, ge=0, description=(
        "... or when, of its last N finished personas, more than early_stop_share yielded no text; 0: never."))
    early_stop_share: float = Field(default=0.8, gt=0.0, le=1.0, description="The share for early_stop_personas.")
    probe_timeout_s: float = Field(default=60.0, gt=0.0, description=(
        "A structured-output mode whose probe question gets no answer within this many seconds is skipped as too "
        "slow."))
    max_error_share: float = Field(default=0.2, ge=0.0, le=1.0, description=(
        "A finished run that lost more than this share of its text slots to failed model calls (not to critics) "
        "ends with status `short` (exit 4); `--resume` re-attempts them; 1: never short."))


EventSink = Callable[[Event], None]  # gets every event as its typed model (agents/events.py)


@dataclass
class AgentContext:
    """Settings and services for one run, shared by every persona thread."""

    models: ModelSet
    emotions: list[str]
    texts_per_emotion: int = 2
    locale: str = "us"
    language: str = "en"
    method: str = "personagen"
    stages: str = "full"
    limits: Limits = field(default_factory=Limits)
    vocab: Vocab | None = None
    slot_plan: SlotPlan = field(default_factory=SlotPlan)  # how scenario values are drawn ([coverage])
    critics: list[CriticSpec] = field(default_factory=list)
    on_critic_error: str = "skip"
    advisory: frozenset[str] = frozenset()  # critics whose verdicts are recorded, never enforced
    feedback: bool = True  # rewrites see the rejected draft and why (agents/drafting.py)
    controls: frozenset[str] = frozenset()  # critics checked on their control cases first (critics/controls.py)
    control_checks: dict[str, Any] = field(default_factory=dict)  # the check of each, run once per run
    drafts: int = 1  # drafts per text slot and attempt; the best by the rule critics' scores is kept (agents/drafts.py)
    sink: EventSink = lambda event: None

    @property
    def language_name(self) -> str:
        return LANGUAGES.get(self.language, self.language)

    def emit(self, persona_id: str | None, agent: str, type_: str, *, stage: str | None = None,
             attempt: int | None = None, data: Any = None, **extra: Any) -> None:
        """Record one agent decision (shown live, stored in events.jsonl) as the typed event of agents/events.py;
        `extra` holds the type's own fields (e.g. emotion and slot, or a model call's measurements)."""
        self.sink(make_event({"ts": time.time(), "persona_id": persona_id, "agent": agent, "type": type_,
                              "stage": stage, "attempt": attempt, "data": data, **extra}))

    async def ask(self, agent: str, persona_id: str | None, messages: list[BaseMessage], schema: type[T], *,
                  stage: str | None = None, attempt: int | None = None, **extra: Any) -> T:
        """One structured call on the agent's model, recorded as an `llm_call` event (also when it fails).

        `extra` (e.g. emotion, slot) is added to the event.
        """
        handle = self.models.for_agent(agent)
        try:
            answer: Answer[T] = await ask(handle, messages, schema)
        except ModelAnswerError as exc:
            self._emit_call(agent, persona_id, stage, attempt, exc,
                            {"schema": schema.__name__, "error": str(exc), "error_kind": exc.kind}, extra)
            raise
        data = {"schema": schema.__name__, "parsed": answer.parsed.model_dump(mode="json")}
        if answer.via == "content_fallback":  # a tool call was asked for, JSON came in the content
            data["via"] = answer.via
        self._emit_call(agent, persona_id, stage, attempt, answer, data, extra)
        return answer.parsed

    def _emit_call(self, agent: str, persona_id: str | None, stage: str | None, attempt: int | None,
                   call: Answer | ModelAnswerError, data: dict[str, Any], extra: dict[str, Any]) -> None:
        self.emit(persona_id, agent, "llm_call", stage=stage, attempt=attempt, data=data, model=call.model,
                  tokens_in=call.tokens_in, tokens_out=call.tokens_out, tokens_cached=call.tokens_cached,
                  tokens_reasoning=call.reasoning_tokens or None,
                  latency_s=round(call.latency_s, 4),
                  prompt=call.prompt, raw=call.raw, **extra)
