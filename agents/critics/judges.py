"""Built-in LLM critics: a model judges plausibility, background consistency and emotion fidelity."""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import BaseModel, Field, create_model

from personagen.agents.critics.registry import Candidate, accept, critic, reject
from personagen.agents.prompting import render
from personagen.personas.models import Stage, Verdict


class Judgement(BaseModel):
    """A yes/no judgement with its reason."""

    reason: str = Field(description="One sentence explaining the judgement.")
    plausible: bool = Field(description="True when the person (or background) is realistic.")
    confidence: float = Field(ge=0.0, le=1.0, description="How sure you are of the judgement: 1 certain, 0.5 a guess.")


OTHER = "other"


class EmotionReading(BaseModel):
    """Which emotion a text carries."""

    reason: str = Field(description="One sentence on what in the text shows the emotion.")
    emotion: str = Field(description="The single emotion the text expresses most clearly, one of the options; "
                                     f'"{OTHER}" when it carries none of them.')


@cache
def reading_schema(options: tuple[str, ...]) -> type[EmotionReading]:
    """EmotionReading whose `emotion` must be one of the run's emotions or "other" (an enum the model is held to).

    "other" keeps a way to reject open on servers that enforce the schema: with one target emotion the enum
    would otherwise be a single value, an answer that can only agree.
    """
    choices = tuple(dict.fromkeys((*options, OTHER)))
    return create_model("EmotionReading", __base__=EmotionReading,
                        emotion=(Literal[choices], Field(description=EmotionReading.model_fields["emotion"]
                                                         .description)))


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
    emotions = c.emotions or [target]
    options = ", ".join(emotions)
    reading = await c.ask(render("emotion_fidelity", options=options, text=c.expression.text),
                          reading_schema(tuple(emotions)))
    found = reading.emotion.strip().lower()
    if found == target:
        return accept(f"reads as {found}: {reading.reason}")
    if found == OTHER:
        return reject(f"reads as none of {options}: {reading.reason}")
    return reject(f"reads as {found}, not {target}: {reading.reason}")
