"""Built-in LLM critics: a model judges plausibility, background consistency and emotion fidelity."""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import BaseModel, Field, create_model

from agents.critics.registry import Candidate, accept, critic, reject
from agents.prompting import render
from personas.models import Stage, Verdict


class Judgement(BaseModel):
    """A yes/no judgement with its reason."""

    reason: str = Field(description="One sentence explaining the judgement.")
    plausible: bool = Field(description="True when the person (or background) is realistic.")
    confidence: float = Field(default=0.8, ge=0.0, le=1.0, description="Confidence in the judgement, 0 to 1.")


class EmotionReading(BaseModel):
    """Which emotion a text carries."""

    reason: str = Field(description="One sentence on what in the text shows the emotion.")
    emotion: str = Field(description="The single emotion the text expresses most clearly, one of the options.")


@cache
def reading_schema(options: tuple[str, ...]) -> type[EmotionReading]:
    """EmotionReading whose `emotion` must be one of the run's emotions (an enum the model is held to)."""
    return create_model("EmotionReading", __base__=EmotionReading,
                        emotion=(Literal[options], Field(description="The single emotion the text expresses most "
                                                         "clearly, one of the options.")))


def from_judgement(j: Judgement) -> Verdict:
    score = j.confidence if j.plausible else 1.0 - j.confidence
    return accept(j.reason, score=score) if j.plausible else reject(j.reason, score=score)


def persona_text(c: Candidate) -> str:
    return f"{c.persona.summary()}, locale {c.persona.locale}"


@critic("plausibility", stage=Stage.BASE, kind="llm", description="LLM judge: could this base persona exist?")
async def plausibility(c: Candidate) -> Verdict:
    return from_judgement(await c.ask(render("plausibility", persona=persona_text(c)), Judgement))


@critic("consistency", stage=Stage.SOCIO, kind="llm",
        description="LLM judge: is the socio-cultural background consistent with the persona?")
async def consistency(c: Candidate) -> Verdict:
    background = c.socio.summary() if c.socio else ""
    return from_judgement(await c.ask(render("consistency", persona=persona_text(c), background=background),
                                      Judgement))


@critic("emotion_fidelity", stage=Stage.EXPRESSION, kind="llm",
        description="LLM judge: which emotion does the text carry? Rejects texts that miss the target.")
async def emotion_fidelity(c: Candidate) -> Verdict:
    target = c.expression.emotion
    options = ", ".join(c.emotions or [target])
    schema = reading_schema(tuple(c.emotions or [target]))
    reading = await c.ask(render("emotion_fidelity", options=options, text=c.expression.text), schema)
    found = reading.emotion.strip().lower()
    if found == target:
        return accept(f"reads as {found}: {reading.reason}")
    return reject(f"reads as {found or 'nothing'}, not {target}: {reading.reason}")
