"""The state of one persona thread: what each agent reads and writes, and the loop counters.

One graph thread per persona; nothing here is shared between personas, so no reducers are needed
(no key is written by parallel branches).
"""

from __future__ import annotations

from typing import Any, TypedDict

from personagen.agents.llm import ModelAnswerError
from personagen.personas.models import BasePersona, Expression, Scenario, SocioCultural


class PersonaState(TypedDict, total=False):
    index: int
    seed: int
    persona_id: str
    stages: list[str]  # the pipeline stages of this run: base, socio, scenario (empty for the baseline)
    max_attempts: dict[str, int]  # loop bounds per stage: base, socio, scenario
    base: BasePersona | None
    socio: SocioCultural | None
    scenario: Scenario | None
    base_attempts: int
    socio_attempts: int
    scenario_attempts: int
    stage_error: ModelAnswerError | None  # why the last agent's model call gave no candidate, if it did not
    passed: bool  # the last persona-stage critique's outcome
    last_reason: str
    verdicts: list[dict[str, Any]]  # passing verdicts of the persona stages
    rejected: list[dict[str, Any]]  # every rejected candidate with its verdicts
    slots: dict[str, dict[str, Any]]  # "emotion#i" -> {emotion, slot, attempts, status, last}
    pending: list[Expression]
    texts: list[dict[str, Any]]  # accepted texts with their verdicts
    dropped_texts: list[dict[str, Any]]
    status: str  # running / accepted / dropped
    drop_reason: str | None


def initial_state(index: int, seed: int, emotions: list[str], texts_per_emotion: int, stages: list[str],
                  max_attempts: dict[str, int]) -> PersonaState:
    """The state a persona thread starts from."""
    slots = {f"{e}#{i}": {"emotion": e, "slot": i, "attempts": 0, "status": "open"}
             for e in emotions for i in range(texts_per_emotion)}
    return PersonaState(
        index=index, seed=seed, persona_id=f"p{index:06d}", stages=stages, max_attempts=max_attempts,
        base=None, socio=None, scenario=None, base_attempts=0, socio_attempts=0, scenario_attempts=0,
        stage_error=None, passed=False, last_reason="", verdicts=[], rejected=[], slots=slots, pending=[],
        texts=[], dropped_texts=[], status="running", drop_reason=None,
    )
