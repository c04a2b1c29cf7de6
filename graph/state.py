"""The state of one persona thread: what each agent reads and writes, and the loop counters.

One graph thread per persona; nothing here is shared between personas, so no reducers are needed
(no key is written by parallel branches). Every value is a model of personas/models.py (candidates, verdicts,
text slots, rejected candidates) or a plain counter; nodes return new values rather than change the ones they got.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from personagen.agents.llm import ModelAnswerError
from personagen.personas.models import (
    AcceptedText,
    BasePersona,
    DroppedText,
    Expression,
    RejectedCandidate,
    Scenario,
    SocioCultural,
    Stage,
    TextSlot,
    Verdict,
)

PERSONA_STAGES = (Stage.BASE, Stage.SOCIO, Stage.SCENARIO)


class PersonaState(TypedDict):
    index: int
    seed: int
    persona_id: str
    stages: list[Stage]  # the pipeline stages of this run: base, socio, scenario (empty for the baseline)
    max_attempts: dict[Stage, int]  # loop bounds per persona stage
    attempts: dict[Stage, int]  # candidates made so far per persona stage
    base: BasePersona | None
    socio: SocioCultural | None
    scenario: Scenario | None
    stage_error: ModelAnswerError | None  # why the last agent's model call gave no candidate, if it did not
    passed: bool  # the last persona-stage critique's outcome
    last_reason: str
    verdicts: list[Verdict]  # passing verdicts of the persona stages
    rejected: list[RejectedCandidate]  # every rejected candidate with its verdicts
    slots: dict[tuple[str, int], TextSlot]  # (emotion, index) -> the slot's loop
    pending: list[Expression]
    texts: list[AcceptedText]
    dropped_texts: list[DroppedText]
    status: Literal["running", "accepted", "dropped"]
    drop_reason: str | None


def initial_state(index: int, seed: int, emotions: list[str], texts_per_emotion: int, stages: list[Stage],
                  max_attempts: dict[Stage, int]) -> PersonaState:
    """The state a persona thread starts from."""
    slots = [TextSlot(emotion=e, slot=i) for e in emotions for i in range(texts_per_emotion)]
    return PersonaState(
        index=index, seed=seed, persona_id=f"p{index:06d}", stages=stages, max_attempts=max_attempts,
        attempts=dict.fromkeys(PERSONA_STAGES, 0), base=None, socio=None, scenario=None, stage_error=None,
        passed=False, last_reason="", verdicts=[], rejected=[], slots={s.key: s for s in slots}, pending=[],
        texts=[], dropped_texts=[], status="running", drop_reason=None,
    )

