"""Population fidelity: TVD and the comparison with the locale tables."""

from __future__ import annotations

import pytest

from personagen.evaluation.population import candidates, population_metrics, tvd


def test_tvd_known_values():
    assert tvd({"a": 0.5, "b": 0.5}, {"a": 0.5, "b": 0.5}) == 0.0
    assert tvd({"a": 1.0}, {"b": 1.0}) == 1.0
    assert tvd({"a": 0.7, "b": 0.3}, {"a": 0.4, "b": 0.6}) == pytest.approx(0.3)


def personas_from_tables(n: int, reject_young: bool = False) -> list[dict]:
    from personagen.personas.sampling import persona_seed, sample_base, sample_socio

    rows = []
    for index in range(n):
        seed = persona_seed(3, index)
        base, rejected, attempt = sample_base("us", seed, index), [], 1
        while reject_young and base.age < 30 and attempt < 5:
            rejected.append({"stage": "base", "candidate": base.model_dump(mode="json")})
            attempt += 1
            base = sample_base("us", seed, index, attempt)
        socio = {k: v for k, (v, _) in sample_socio("us", base, seed).items()}
        rows.append(
            {
                "id": base.id,
                "status": "accepted",
                "base": base.model_dump(mode="json"),
                "socio": socio,
                "rejected": rejected,
            }
        )
    return rows


def test_population_without_critics_matches_before_and_is_near_target():
    result = population_metrics(personas_from_tables(400), "us")
    attrs = result["attributes"]
    assert {"age_band", "gender", "occupation_major_group", "mbti", "education", "religion"} <= set(attrs)
    for attr in attrs.values():
        assert attr["tvd_before_vs_accepted"] == 0.0
    assert attrs["gender"]["tvd_accepted_vs_target"] < 0.1
    assert attrs["age_band"]["tvd_accepted_vs_target"] < 0.2
    assert sum(attrs["mbti"]["target"].values()) == pytest.approx(1.0, abs=1e-3)


def test_rejecting_young_candidates_shows_in_before_vs_accepted():
    personas = personas_from_tables(200, reject_young=True)
    accepted, before = candidates(personas, "base")
    assert len(before) > len(accepted)
    result = population_metrics(personas, "us")
    assert result["attributes"]["age_band"]["tvd_before_vs_accepted"] > 0.05
