"""Built-in rule critics: cheap, deterministic checks that run before any model is asked."""

from __future__ import annotations

import re
from functools import cache

from personagen.agents.critics.registry import Candidate, accept, critic, reject
from personagen.agents.examples import pool_texts
from personagen.personas.constraints import ConstraintGraph
from personagen.personas.locale import load_locale
from personagen.personas.models import Stage, Verdict
from personagen.personas.text_units import Gram, ngram_set, normalised, word_count, words

MIN_WORDS, MAX_WORDS = 3, 80
COPY_SHARE = 0.4  # share of trigrams in common that makes a text a copy of a few-shot example
SCAFFOLD = re.compile(r"^\s*(person|situation|emotion|example|texts?|message)\s*:", re.IGNORECASE | re.MULTILINE)
JSON_DEBRIS = re.compile(r"[{}]|\"texts\"")  # the answer format leaking into the text, e.g. a trailing '},'


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
        description=f"Text is {MIN_WORDS}-{MAX_WORDS} words and carries no prompt scaffolding or JSON debris.")
def text_shape(c: Candidate) -> Verdict:
    text = c.expression.text if c.expression else ""
    count = word_count(text)
    if count < MIN_WORDS or count > MAX_WORDS:
        return reject(f"{count} words; expected {MIN_WORDS}-{MAX_WORDS}")
    if SCAFFOLD.search(text):
        return reject("text repeats the prompt's scaffolding (e.g. 'Person:')")
    if JSON_DEBRIS.search(text):
        return reject("text carries pieces of the JSON answer format (braces)")
    return accept(f"{count} words")


def trigrams(text: str) -> frozenset[Gram]:
    """The word trigrams of a text (case and punctuation ignored)."""
    return ngram_set(words(text), 3)


@cache
def pool_trigrams(agent: str) -> tuple[frozenset[Gram], ...]:
    """The word trigrams of every text of the agent's few-shot pool (small models copy them)."""
    return tuple(trigrams(t) for t in pool_texts(agent))


@cache
def pool_normalised(agent: str) -> frozenset[str]:
    return frozenset(normalised(t) for t in pool_texts(agent))


def copies_an_example(text: str, agent: str = "emotion_writer") -> bool:
    """True when text and some text of the agent's pool share at least COPY_SHARE of the word trigrams of the
    shorter one (and at least 3): a verbatim copy, or one with a few words changed. One common phrase is not."""
    own = trigrams(text)
    return any(len(own & ex) >= max(3, COPY_SHARE * min(len(own), len(ex))) for ex in pool_trigrams(agent))


@critic("copied_background", stage=Stage.SOCIO,
        description="Residence and beliefs are not copied word for word from a few-shot example.")
def copied_background(c: Candidate) -> Verdict:
    fields = {"residence": c.socio.residence, "beliefs": c.socio.beliefs} if c.socio else {}
    copied = [name for name, value in fields.items() if normalised(value) in pool_normalised("socio_enricher")]
    return reject(*(f"{name} copies a few-shot example" for name in copied)) if copied else accept("own words")


@critic("copied_scene", stage=Stage.SCENARIO,
        description="The scene is not a few-shot example copied, even with a few words changed.")
def copied_scene(c: Candidate) -> Verdict:
    scene = c.scenario.description if c.scenario else ""
    if copies_an_example(scene, "scenario_designer"):
        return reject("the scene copies a few-shot example")
    return accept("own scene")


@critic("duplicates", stage=Stage.EXPRESSION,
        description="Text repeats neither one this persona already has nor a few-shot example.")
def duplicates(c: Candidate) -> Verdict:
    text = c.expression.text if c.expression else ""
    if any(normalised(t) == normalised(text) for t in c.earlier_texts):
        return reject("same text as an earlier one of this persona")
    if copies_an_example(text):
        return reject("copies an example from the writer's few-shot pool")
    return accept("new text")
