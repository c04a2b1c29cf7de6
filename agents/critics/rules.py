"""Built-in rule critics: cheap, deterministic checks that run before any model is asked."""

from __future__ import annotations

import re
from functools import cache

from agents.critics.registry import Candidate, accept, critic, reject
from agents.emotion_writer import example_bank
from personas.constraints import ConstraintGraph
from personas.locale import load_locale
from personas.models import Stage, Verdict

MIN_WORDS, MAX_WORDS = 3, 80
SCAFFOLD = re.compile(r"^\s*(person|situation|emotion|example|texts?|message)\s*:", re.IGNORECASE | re.MULTILINE)


@cache
def constraint_graph(locale: str) -> ConstraintGraph:
    return ConstraintGraph.for_locale(load_locale(locale))


def from_violations(violations: list[str]) -> Verdict:
    return reject(*violations) if violations else accept("no constraint violated")


@critic("constraints", stage=Stage.BASE, description="Attribute constraint graph: age, occupation, education rules.")
def constraints(c: Candidate) -> Verdict:
    return from_violations(constraint_graph(c.persona.locale).check_base(c.persona))


@critic("socio_constraints", stage=Stage.SOCIO,
        description="Attribute constraint graph on the background: education and household against age and job.")
def socio_constraints(c: Candidate) -> Verdict:
    fields = c.socio.model_dump(exclude={"provenance"}) if c.socio else {}
    return from_violations(constraint_graph(c.persona.locale).check_socio(c.persona, fields))


@critic("text_shape", stage=Stage.EXPRESSION,
        description=f"Text is {MIN_WORDS}-{MAX_WORDS} words and carries no prompt scaffolding.")
def text_shape(c: Candidate) -> Verdict:
    text = c.expression.text if c.expression else ""
    words = len(text.split())
    if words < MIN_WORDS or words > MAX_WORDS:
        return reject(f"{words} words; expected {MIN_WORDS}-{MAX_WORDS}")
    if SCAFFOLD.search(text):
        return reject("text repeats the prompt's scaffolding (e.g. 'Person:')")
    return accept(f"{words} words")


def normalised(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", "", text.lower()).split())


@cache
def example_texts() -> frozenset[str]:
    """Every message of the writer's few-shot pool, normalised (small models copy them)."""
    return frozenset(normalised(t) for pairs in example_bank()["texts"].values() for pair in pairs for t in pair)


@critic("duplicates", stage=Stage.EXPRESSION,
        description="Text repeats neither one this persona already has nor a prompt example.")
def duplicates(c: Candidate) -> Verdict:
    text = normalised(c.expression.text if c.expression else "")
    if any(normalised(t) == text for t in c.earlier_texts):
        return reject("same text as an earlier one of this persona")
    if text in example_texts():
        return reject("copies an example from the writer's few-shot pool")
    return accept("new text")
