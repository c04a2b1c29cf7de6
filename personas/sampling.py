"""Seeded sampling of personas from locale tables: pure functions, no global random state.

Inputs: a locale (name or `Locale`), a persona seed (`persona_seed(run_seed, index)`) and an attempt number.
Outputs: a `BasePersona` (stage 1) or table-backed socio-cultural values (stage 2), each value with the table
name and the seed of the generator that drew it, so `random.Random(seed)` replays the draw exactly.
Same inputs give the same persona in any process; a new attempt gives an independent draw.
"""

from __future__ import annotations

import hashlib
import random

from personagen.personas.locale import Locale, Row, load_locale
from personagen.personas.models import BasePersona, Sampled, Stage

SEED_BITS = 63


def derive_seed(*parts: object) -> int:
    """A non-negative 63-bit seed from `parts`, stable across processes and Python versions (BLAKE2b)."""
    digest = hashlib.blake2b(":".join(str(p) for p in parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> (64 - SEED_BITS)


def persona_seed(run_seed: int, index: int) -> int:
    """The seed of persona `index` in a run seeded with `run_seed`."""
    return derive_seed("persona", run_seed, index)


def _locale(locale: Locale | str) -> Locale:
    return locale if isinstance(locale, Locale) else load_locale(locale)


def sample_base(locale: Locale | str, seed: int, index: int, attempt: int = 1) -> BasePersona:
    """Draw age, gender, occupation (by employment) and MBTI (by gender) for persona `index`.

    Input: locale, the persona seed, the persona index and the attempt (1 = first draw).
    Output: a BasePersona with id f"p{index:06d}" and provenance {field: Sampled(table, draw seed)}.
    """
    loc = _locale(locale)
    draw_seed = derive_seed(Stage.BASE, seed, attempt)
    rng = random.Random(draw_seed)
    band = loc.age.draw(rng)
    age = rng.randint(int(band["age_min"]), int(band["age_max"]))
    gender = loc.gender.draw(rng)["gender"]
    occupation = loc.occupations.draw(rng)
    mbti_table = loc.mbti_for(gender)
    mbti = mbti_table.draw(rng)["type"]
    prov = {
        "age": Sampled(table=loc.age.name, seed=draw_seed),
        "gender": Sampled(table=loc.gender.name, seed=draw_seed),
        "occupation": Sampled(table=loc.occupations.name, seed=draw_seed),
        "mbti": Sampled(table=mbti_table.name, seed=draw_seed),
    }
    return BasePersona(
        id=f"p{index:06d}", index=index, locale=loc.name, age=age, gender=gender,
        occupation=occupation["title"], occupation_code=occupation["code"] or None, mbti=mbti,
        provenance=prov,
    )


def feasible_education(loc: Locale, base: BasePersona) -> list[Row]:
    """Education rows open to `base`: old enough for the level and meeting the occupation's minimum."""
    need = loc.requirement_for(base.occupation_code).min_education
    min_rank = int(loc.education_level(need)["rank"]) if need else 0
    return [r for r in loc.education.rows if int(r["min_age"]) <= base.age and int(r["rank"]) >= min_rank]


def income_bracket(loc: Locale, code: str | None) -> str | None:
    """The income bracket holding the annual median wage of occupation `code`; None when it has no wage."""
    occ = loc.occupation(code)
    wage = (occ or {}).get("annual_median_wage", "").strip()
    if not wage or loc.income is None:
        return None
    value = int(wage)
    for row in loc.income:
        hi = row["income_max"].strip()
        if value >= int(row["income_min"]) and (not hi or value <= int(hi)):
            return row["label"]
    return None


def sample_socio(
    locale: Locale | str, base: BasePersona, seed: int, attempt: int = 1
) -> dict[str, tuple[str, Sampled]]:
    """Draw the table-backed socio-cultural fields of `base`.

    Input: locale, the accepted base persona, the persona seed and the socio attempt (1 = first draw).
    Output: {field: (value, Sampled)} for education, religion, family_structure and, where the locale has an
    income table and the occupation a median wage, income. Education is drawn from the table conditioned on
    the hard constraints (minimum age of the level, the occupation's minimum education); family structure on
    the minimum age of each row. Income is not drawn: it is the bracket of the occupation's median wage.
    """
    loc = _locale(locale)
    draw_seed = derive_seed(Stage.SOCIO, seed, attempt)
    rng = random.Random(draw_seed)
    keep_edu = {id(r) for r in feasible_education(loc, base)}
    education = loc.education.subset(lambda r: id(r) in keep_edu) or loc.education
    family = loc.family_structure.subset(lambda r: int(r["min_age"]) <= base.age) or loc.family_structure
    out = {
        "education": (education.draw(rng)["label"], Sampled(table=education.name, seed=draw_seed)),
        "religion": (loc.religion.draw(rng)["religion"], Sampled(table=loc.religion.name, seed=draw_seed)),
        "family_structure": (
            family.draw(rng)["family_structure"], Sampled(table=family.name, seed=draw_seed)
        ),
    }
    income = income_bracket(loc, base.occupation_code)
    if income is not None:
        out["income"] = (income, Sampled(table=f"{loc.name}/income", seed=draw_seed))
    return out
