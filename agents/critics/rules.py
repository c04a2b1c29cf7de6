"""Built-in rule critics: cheap, deterministic checks that run before any model is asked.

The text rules read the candidate's language (`Candidate.language`): length is counted in words, or in
characters for a language written without spaces (Japanese); copies are found on the word trigrams of
`personagen.personas.text_units.words` for that language, against the few-shot pool of that language.
Length bounds and where they come from: docs/evaluation.md ("Tokenisation").
"""

from __future__ import annotations

from collections import Counter
from functools import cache, lru_cache

from personagen.agents.critics.registry import Candidate, accept, critic, reject
from personagen.agents.critics.scaffolding import scaffolding_reason
from personagen.agents.examples import pool_texts
from personagen.personas.constraints import ConstraintGraph
from personagen.personas.locale import load_locale
from personagen.personas.models import Stage, Verdict
from personagen.personas.text_units import Gram, base_language, ngram_set, normalised, text_length, words

MIN_WORDS, MAX_WORDS = 3, 80
# Languages written without spaces, in characters: the English bounds' ratio to the English few-shot messages
# (3-80 words against 8-25) applied to the Japanese ones (17-43 characters): 6-138, rounded to 6-140.
MIN_CHARS, MAX_CHARS = 6, 140
BOUNDS = {"words": (MIN_WORDS, MAX_WORDS), "characters": (MIN_CHARS, MAX_CHARS)}
COPY_SHARE = 0.4  # share of trigrams in common that makes a text a copy of a few-shot example


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
        description=f"Text is {MIN_WORDS}-{MAX_WORDS} words ({MIN_CHARS}-{MAX_CHARS} characters in a language written "
                    "without spaces) and carries no answer-format scaffolding ('Emotion: anger.', 'Text:') or "
                    "JSON debris, and does not stop at a comma (agents/critics/scaffolding.py).")
def text_shape(c: Candidate) -> Verdict:
    text = c.expression.text if c.expression else ""
    count, unit = text_length(text, c.language)
    low, high = BOUNDS[unit]
    if count < low or count > high:
        return reject(f"{count} {unit}; expected {low}-{high}")
    if reason := scaffolding_reason(text, c.language):
        return reject(reason)
    return accept(f"{count} {unit}")


def trigrams(text: str, language: str = "en") -> frozenset[Gram]:
    """The word trigrams of a text (case and punctuation ignored)."""
    return ngram_set(words(text, language), 3)


@cache
def pool_trigrams(agent: str, language: str = "en") -> tuple[frozenset[Gram], ...]:
    """The word trigrams of every text of the agent's few-shot pool (small models copy them)."""
    return tuple(trigrams(t, language) for t in pool_texts(agent, language))


@cache
def pool_index(agent: str, language: str = "en") -> dict[Gram, tuple[int, ...]]:
    """Trigram -> the pool texts (indices into `pool_trigrams`) holding it: a candidate is compared with the
    pool texts it shares a trigram with, not with all of them (one lookup per trigram, not one set intersection per
    pool text: the per-text cost of the rule critics is what grew with the texts per call, docs/benchmarks.md)."""
    index: dict[Gram, list[int]] = {}
    for i, grams in enumerate(pool_trigrams(agent, language)):
        for gram in grams:
            index.setdefault(gram, []).append(i)
    return {gram: tuple(found) for gram, found in index.items()}


@lru_cache(maxsize=8192)
def normalised_text(text: str, language: str) -> str:
    """`normalised`, remembered: the duplicates critic compares each candidate with every earlier text of its
    persona, so without it a persona's k texts are normalised k times over."""
    return normalised(text, language)


@cache
def pool_normalised(agent: str, language: str = "en") -> frozenset[str]:
    return frozenset(normalised(t, language) for t in pool_texts(agent, language))


def copies_an_example(text: str, agent: str = "emotion_writer", language: str = "en") -> bool:
    """True when text and some text of the agent's pool (for `language`) share at least COPY_SHARE of the word
    trigrams of the shorter one (and at least 3): a verbatim copy, or one with a few words changed. One common
    phrase is not."""
    own, lang = trigrams(text, language), base_language(language)
    pool, index = pool_trigrams(agent, lang), pool_index(agent, lang)
    shared = Counter(i for gram in own for i in index.get(gram, ()))
    return any(n >= max(3, COPY_SHARE * min(len(own), len(pool[i]))) for i, n in shared.items())


@critic("copied_background", stage=Stage.SOCIO,
        description="Residence and beliefs are not copied word for word from a few-shot example.")
def copied_background(c: Candidate) -> Verdict:
    fields = {"residence": c.socio.residence, "beliefs": c.socio.beliefs} if c.socio else {}
    pool = pool_normalised("socio_enricher", base_language(c.language))
    copied = [name for name, value in fields.items() if normalised(value, c.language) in pool]
    return reject(*(f"{name} copies a few-shot example" for name in copied)) if copied else accept("own words")


@critic("copied_scene", stage=Stage.SCENARIO,
        description="The scene is not a few-shot example copied, even with a few words changed.")
def copied_scene(c: Candidate) -> Verdict:
    scene = c.scenario.description if c.scenario else ""
    if copies_an_example(scene, "scenario_designer", c.language):
        return reject("the scene copies a few-shot example")
    return accept("own scene")


@critic("duplicates", stage=Stage.EXPRESSION,
        description="Text repeats neither one this persona already has nor a few-shot example.")
def duplicates(c: Candidate) -> Verdict:
    text = c.expression.text if c.expression else ""
    own = normalised_text(text, c.language)
    if any(normalised_text(t, c.language) == own for t in c.earlier_texts):
        return reject("same text as an earlier one of this persona")
    if copies_an_example(text, language=c.language):
        return reject("copies an example from the writer's few-shot pool")
    return accept("new text")
