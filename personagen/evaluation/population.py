"""Population fidelity: do the personas of a run follow the locale's real distributions?

Input: the rows of personas.jsonl and the run's locale (target tables via `personagen.personas.locale.load_locale`).
Output: for each sampled attribute (age band, gender, occupation major group, MBTI, education, religion,
family structure), the total variation distance (TVD) between the accepted personas and the target table,
and between the population sampled before critics (rejected candidates of the stage + every final candidate)
and the accepted one, with the three distributions.
Note: education and family structure are drawn conditioned on age/occupation, so their marginal can differ
from the table's even with no critic at all.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from personagen.personas.locale import Locale, WeightedTable, load_locale
from personagen.personas.models import Stage

Distribution = dict[str, float]
OTHER = "(not in table)"


def tvd(p: Distribution, q: Distribution) -> float:
    """Total variation distance: half the L1 distance over the union of categories."""
    return 0.5 * sum(abs(p.get(k, 0.0) - q.get(k, 0.0)) for k in set(p) | set(q))


def normalise(counts: Counter) -> Distribution:
    total = sum(counts.values())
    return {str(k): v / total for k, v in counts.items()} if total else {}


def table_distribution(table: WeightedTable, key: Callable[[dict[str, str]], str]) -> Distribution:
    """Shares of a weighted table, grouped by `key(row)`."""
    out: defaultdict[str, float] = defaultdict(float)
    for row, share in zip(table.rows, table.shares(), strict=True):
        out[key(row)] += share
    return dict(out)


def major_group(code: str | None) -> str:
    """Occupation major group: the first two digits of a SOC code, or a letter code as it is."""
    code = (code or "").strip()
    return code[:2] if code[:2].isdigit() else code or OTHER


def age_band_of(locale: Locale) -> Callable[[Any], str]:
    bands = [(int(r["age_min"]), int(r["age_max"])) for r in locale.age.rows]

    def band(age: Any) -> str:
        for low, high in bands:
            if isinstance(age, int | float) and low <= age <= high:
                return f"{low}-{high}"
        return OTHER

    return band


def mbti_target(locale: Locale) -> Distribution:
    """The MBTI marginal: per-gender columns mixed by the gender table, else the total column."""
    genders = table_distribution(locale.gender, lambda r: r["gender"])
    if not all(g in locale.mbti for g in genders):
        return table_distribution(locale.mbti["total"], lambda r: r["type"])
    mixed: defaultdict[str, float] = defaultdict(float)
    for gender, share in genders.items():
        for t, s in table_distribution(locale.mbti[gender], lambda r: r["type"]).items():
            mixed[t] += share * s
    return dict(mixed)


def attributes(locale: Locale) -> dict[str, tuple[Stage, Callable[[dict], Any], Distribution]]:
    """For each attribute: its stage, how to read its value from a candidate, and its target distribution."""
    band = age_band_of(locale)
    code_of = {r["title"]: r["code"] for r in locale.occupations.rows}
    return {
        "age_band": (
            Stage.BASE,
            lambda c: band(c.get("age")),
            table_distribution(locale.age, lambda r: f"{r['age_min']}-{r['age_max']}"),
        ),
        "gender": (
            Stage.BASE,
            lambda c: c.get("gender"),
            table_distribution(locale.gender, lambda r: r["gender"]),
        ),
        "occupation_major_group": (
            Stage.BASE,
            lambda c: major_group(c.get("occupation_code") or code_of.get(c.get("occupation", ""))),
            table_distribution(locale.occupations, lambda r: major_group(r["code"])),
        ),
        "mbti": (Stage.BASE, lambda c: c.get("mbti"), mbti_target(locale)),
        "education": (
            Stage.SOCIO,
            lambda c: c.get("education"),
            table_distribution(locale.education, lambda r: r["label"]),
        ),
        "religion": (
            Stage.SOCIO,
            lambda c: c.get("religion"),
            table_distribution(locale.religion, lambda r: r["religion"]),
        ),
        "family_structure": (
            Stage.SOCIO,
            lambda c: c.get("family_structure"),
            table_distribution(locale.family_structure, lambda r: r["family_structure"]),
        ),
    }


def candidates(personas: list[dict[str, Any]], stage: Stage) -> tuple[list[dict], list[dict]]:
    """(accepted, sampled-before-critics) candidates of a stage: accepted personas' values; every rejected
    candidate of the stage plus every persona's final value."""
    accepted, before = [], []
    for persona in personas:
        final = persona.get(stage)
        if isinstance(final, dict):
            before.append(final)
            if persona.get("status") == "accepted":
                accepted.append(final)
        before += [
            r["candidate"]
            for r in persona.get("rejected") or []
            if r.get("stage") == stage and isinstance(r.get("candidate"), dict)
        ]
    return accepted, before


def _distribution(rows: list[dict], read: Callable[[dict], Any], known: Distribution) -> Distribution:
    values = Counter()
    for row in rows:
        value = read(row)
        if value is not None:
            values[str(value) if str(value) in known else OTHER] += 1
    return normalise(values)


def population_metrics(personas: list[dict[str, Any]], locale_name: str) -> dict[str, Any]:
    """TVD per attribute: accepted vs target, sampled-before-critics vs accepted."""
    locale = load_locale(locale_name)
    result: dict[str, Any] = {"locale": locale_name, "attributes": {}}
    for name, (stage, read, target) in attributes(locale).items():
        accepted_rows, before_rows = candidates(personas, stage)
        accepted = _distribution(accepted_rows, read, target)
        if not accepted:
            continue
        before = _distribution(before_rows, read, target)
        result["attributes"][name] = {
            "stage": stage,
            "n_accepted": len(accepted_rows),
            "n_before_critics": len(before_rows),
            "tvd_accepted_vs_target": round(tvd(accepted, target), 4),
            "tvd_before_vs_accepted": round(tvd(before, accepted), 4) if before else None,
            "target": _rounded(target),
            "accepted": _rounded(accepted),
            "before_critics": _rounded(before),
        }
    values = [a["tvd_accepted_vs_target"] for a in result["attributes"].values()]
    result["mean_tvd_accepted_vs_target"] = round(sum(values) / len(values), 4) if values else None
    result["n_personas"] = len(personas)
    result["n_accepted"] = sum(1 for p in personas if p.get("status") == "accepted")
    return result


def _rounded(dist: Distribution) -> Distribution:
    return {k: round(v, 5) for k, v in sorted(dist.items(), key=lambda kv: -kv[1])}
