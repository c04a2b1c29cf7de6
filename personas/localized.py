"""The persona in the language of the texts: the lines a prompt shows of a persona, background and scenario.

Input: a persona (and its background, its scenario) and the run's language. Output: one line each, in that
language. A locale table may carry a `label_<language>` column (the jp tables carry `label_ja`:
personas/tables/SOURCES.md) holding each value in that language; the persona keeps the table's own value (the
dataset's records and the constraint graph read it), and a prompt in that language shows the label. Values a model
wrote (residence, beliefs, income in a Japanese run) are shown as written; values no table labels (a us
occupation in a Japanese run) as they are. English, and a language without lines here, get the models' own `summary()`.
"""

from __future__ import annotations

from functools import cache

from personagen.personas.locale import available_locales, load_locale
from personagen.personas.models import BasePersona, Scenario, SocioCultural
from personagen.personas.text_units import base_language

TABLE_KEYS = {"gender": "gender", "occupations": "title", "education": "label", "family_structure": "family_structure",
              "religion": "religion"}
LOCALES_JA = {"jp": "日本在住", "us": "アメリカ在住"}
FIELDS_JA = {"education": "学歴", "religion": "宗教", "family_structure": "世帯", "household": "世帯", "income": "収入"}


@cache
def labels(locale: str, language: str) -> dict[str, str]:
    """Each value of the locale's tables -> its label in `language` (empty when no table has one)."""
    loc, column = load_locale(locale), f"label_{base_language(language)}"
    out: dict[str, str] = {}
    for table, key in TABLE_KEYS.items():
        for row in getattr(loc, table).rows:
            if row.get(column):
                out[row[key]] = row[column]
    return out


def label(value: str, locale: str, language: str) -> str:
    """`value` in `language` when its table has a label for it (else another locale's table, e.g. the jp gender
    labels for a us persona), else as it is."""
    own = labels(locale, language).get(value)
    if own is not None:
        return own
    return next((found[value] for other in available_locales() if value in (found := labels(other, language))),
                value)


def japanese(language: str | None) -> bool:
    return base_language(language) == "ja"


def base_line(base: BasePersona, language: str | None) -> str:
    """The base persona as one line: "41歳の男性、職業: 輸送・機械運転従事者、MBTI ESFP" in Japanese."""
    if not japanese(language):
        return base.summary()
    t = lambda value: label(value, base.locale, "ja")  # noqa: E731
    return f"{base.age}歳の{t(base.gender)}、職業: {t(base.occupation)}、MBTI {base.mbti}"


def socio_line(socio: SocioCultural, locale: str, language: str | None) -> str:
    """The background as one line, its table values labelled in the language."""
    if not japanese(language):
        return socio.summary()
    t = lambda value: label(value, locale, "ja")  # noqa: E731
    return (f"学歴: {t(socio.education)}、住まい: {socio.residence}、世帯: {t(socio.family_structure)}、"
            f"宗教: {t(socio.religion)}、収入: {socio.income}、価値観: {socio.beliefs}")


def known_line(fields: dict[str, str], names: dict[str, str], locale: str, language: str | None) -> str:
    """The table-drawn background fields a model is given ("education: ...; religion: ..."), `names` giving each
    field's English name, in the language."""
    if not japanese(language):
        return "; ".join(f"{label_}: {fields[name]}" for name, label_ in names.items() if name in fields)
    return "、".join(f"{FIELDS_JA.get(name, name)}: {label(fields[name], locale, 'ja')}"
                    for name in names if name in fields)


def enricher_line(base: BasePersona, fields: dict[str, str], names: dict[str, str], language: str | None) -> str:
    """The persona and its table-drawn background fields, as the socio enricher's prompt shows them."""
    known = known_line(fields, names, base.locale, language)
    if japanese(language):
        return f"{base_line(base, language)}、{LOCALES_JA.get(base.locale, f'ロケール {base.locale}')}; {known}"
    return f"{base.summary()}, locale {base.locale}; {known}"


def scene_line(scenario: Scenario, language: str | None) -> str:
    """The scenario's slots as one line: "バスの営業所で出番前の待機中、弟にLINEで（くだけた）" in Japanese."""
    if not japanese(language):
        return scenario.summary()
    return (f"{scenario.location}で{scenario.activity}、{scenario.partner}に{scenario.medium}で"
            f"（{scenario.language_style}）")
