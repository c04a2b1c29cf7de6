"""Control cases: before an LLM critic's verdicts are enforced, its model must judge obvious cases right.

`[critics] controls = ["plausibility", ...]` names the critics to check. Each built-in LLM critic has control
cases below: candidates it must pass (an ordinary teacher) and candidates it must reject (a 6-year-old surgeon).
The first time a named, enforced critic is about to judge a candidate, it judges every control case, through its
own prompt, schema and model (each call an `llm_call` event with no persona). A critic that gets any case wrong,
or gets no usable answer, stops the run (ControlsFailed, exit 1) naming the critic, the cases it got wrong and
the fix: its verdicts would pass and reject candidates at random (measured: the embedded Gemma 3 270M base
model's plausibility verdicts flip between runs, docs/local-model.md). Persona threads that reach the critic
meanwhile wait for the same check; it runs once per run. An advisory critic is not checked (it never blocks).

Input: the critic, the run's context (models, event sink). Output: nothing, or ControlsFailed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel

from personagen.agents.critics.registry import Candidate, CriticError, CriticSpec
from personagen.agents.llm import ModelAnswerError
from personagen.personas.models import BasePersona, Expression, SocioCultural, Stage

Ask = Callable[[list[Any], type[BaseModel]], Awaitable[Any]]


class ControlsFailed(CriticError):
    """An enforced LLM critic judged its control cases wrongly: its model cannot make that judgement."""

    resumable = False  # every fix (another model, advisory, --no-critic) changes the critics' settings


@dataclass(frozen=True)
class Control:
    """One control case: what the critic judges, whether it must pass it, and how the failure message shows it."""

    label: str
    expect: bool
    candidate: Candidate


def person(age: int, gender: str, occupation: str, mbti: str) -> BasePersona:
    return BasePersona(id="control", index=-1, locale="us", age=age, gender=gender, occupation=occupation, mbti=mbti)


def base(label: str, expect: bool, *who: Any) -> Control:
    return Control(label, expect, Candidate(stage=Stage.BASE, persona=person(*who)))


def socio(label: str, expect: bool, who: BasePersona, *background: str) -> Control:
    fields = dict(zip(("education", "residence", "family_structure", "religion", "beliefs", "income"), background,
                      strict=True))
    return Control(label, expect, Candidate(stage=Stage.SOCIO, persona=who, socio=SocioCultural(**fields)))


def text(emotion: str, words: str, expect: bool) -> Control:
    label = f'"{words}" as {emotion}'
    expression = Expression(emotion=emotion, text=words, slot=0, attempt=1)
    return Control(label, expect, Candidate(stage=Stage.EXPRESSION, persona=person(35, "female", "Cashiers", "ESFJ"),
                                            expression=expression, emotions=["joy", "anger", "sadness"]))


TEACHER = person(45, "female", "Elementary School Teachers", "ENFJ")
ELECTRICIAN = person(52, "male", "Electricians", "ISTP")
# obvious cases only, none of them a few-shot example of the critic's prompt (agents/prompts/)
CONTROLS: dict[str, tuple[Control, ...]] = {
    "plausibility": (
        base("a 45-year-old teacher", True, 45, "female", "Elementary School Teachers", "ENFJ"),
        base("a 29-year-old software developer", True, 29, "male", "Software Developers", "INTP"),
        base("a 52-year-old electrician", True, 52, "male", "Electricians", "ISTP"),
        base("a 6-year-old surgeon", False, 6, "female", "Surgeons", "ENTJ"),
        base("a 9-year-old airline pilot", False, 9, "male", "Airline Pilots, Copilots, and Flight Engineers", "ISTJ"),
        base("a 104-year-old firefighter", False, 104, "female", "Firefighters", "ESTP"),
    ),
    "consistency": (
        socio("a teacher with a degree and a family", True, TEACHER, "bachelor's degree in education",
              "a suburb of Columbus", "married with two children", "Catholic", "believes in hard work",
              "middle income"),
        socio("an electrician with a trade licence", True, ELECTRICIAN, "high school diploma and an apprenticeship",
              "a small town in Ohio", "married, two grown children", "Methodist", "values doing things right",
              "middle income"),
        socio("a teacher who never went to school", False, TEACHER, "never attended any school",
              "a retirement home", "a widow with nine great-grandchildren", "none", "values quiet",
              "no income"),
        socio("an electrician living as a toddler with his parents", False, ELECTRICIAN,
              "currently in preschool", "his parents' house", "lives with his mother and father as their "
              "3-year-old son", "none", "likes cartoons", "pocket money"),
    ),
    "emotion_fidelity": (
        text("joy", "We just found out we're having a baby girl and I can't stop smiling!", True),
        text("anger", "They towed my car again for no reason and I am absolutely furious.", True),
        text("sadness", "The house is so quiet since Dad passed; I keep setting a plate for him.", True),
        text("joy", "My dog died this morning and I can't stop crying.", False),
        text("sadness", "I got the scholarship!!! Best day of my whole life!", False),
        text("joy", "If my neighbour blocks my driveway one more time I swear I'll scream at him.", False),
    ),
}


def check_names(names: list[str], critics: list[CriticSpec]) -> frozenset[str]:
    """The critics of `[critics] controls`, or CriticError naming one that is not in the run or has no cases."""
    in_run = {c.name for c in critics}
    unknown = [n for n in names if n not in in_run]
    if unknown:
        raise CriticError(f"[critics] controls names critics not in this run: {', '.join(unknown)}")
    without = [n for n in names if n not in CONTROLS]
    if without:
        raise CriticError(f"[critics] controls: no control cases for {', '.join(without)}; the critics with "
                          f"control cases are {', '.join(CONTROLS)}")
    return frozenset(names)


async def judge_controls(spec: CriticSpec, ask: Ask, model: str) -> None:
    """Judge every control case of `spec` (one at a time); ControlsFailed names the ones judged wrongly."""
    wrong = []
    cases = CONTROLS[spec.name]
    for case in cases:
        try:
            verdict = await spec.run(replace(case.candidate, asker=ask))
        except ModelAnswerError as exc:
            wrong.append(f"{case.label}: no usable answer ({exc.kind})")
            continue
        if verdict.passed is not case.expect:
            said = "passed" if verdict.passed else "rejected"
            wrong.append(f"{case.label}: {said} ({'; '.join(verdict.reasons)[:120]})")
    if wrong:
        name = spec.name
        raise ControlsFailed(
            f"critic {name} judged {len(wrong)} of its {len(cases)} control cases wrongly ([critics] controls), "
            f"so its model ({model}) cannot make this judgement and its verdicts would pass and reject candidates "
            f"at random: {'; '.join(wrong)}. Fix: judge with a larger model ([models.{name}] model = ...), or "
            f"make the critic advisory ([critics] advisory = [\"{name}\"]: recorded, not enforced), or disable it "
            f"(--no-critic {name})")


async def ensure_controls(checks: dict[str, asyncio.Task[None]], spec: CriticSpec, ask: Ask, model: str) -> None:
    """Run the control check of `spec` once per run (`checks` holds it); every caller waits for the same one."""
    task = checks.get(spec.name)
    if task is None or (not task.done() and task.get_loop() is not asyncio.get_running_loop()):  # a new loop
        task = checks[spec.name] = asyncio.ensure_future(judge_controls(spec, ask, model))
    if task.done():
        task.result()  # raises ControlsFailed again for every caller
        return
    await asyncio.shield(task)
