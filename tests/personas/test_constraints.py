"""The attribute constraint graph: catches impossible personas, passes plausible ones."""

from __future__ import annotations

import networkx as nx
import pytest

from personagen.personas.constraints import ConstraintGraph
from personagen.personas.models import BasePersona


def _persona(age: int, occupation: str, code: str | None, locale: str = "us") -> BasePersona:
    return BasePersona(id="p000001", index=1, locale=locale, age=age, gender="female", occupation=occupation,
                       occupation_code=code, mbti="INTJ")


@pytest.fixture(scope="module")
def us() -> ConstraintGraph:
    return ConstraintGraph.for_locale("us")


def test_graph_is_inspectable(us):
    g = us.graph
    assert isinstance(g, nx.DiGraph)
    assert g.nodes["occupation:291249"]["title"] == "Surgeons, All Other"
    assert g.has_edge("occupation:291249", "age>=27")
    assert g.has_edge("occupation:291249", "education>=professional")
    assert g.has_edge("education:bachelor", "age>=21")
    assert g.has_edge("education:doctorate", "education>=professional")
    assert not g.has_edge("education:master", "education>=professional")
    assert g.has_edge("family:married, lives with spouse", "age>=18")
    assert g.has_edge("occupation:532011", "age<=65")
    assert sum(1 for _, d in g.nodes(data=True) if d["kind"] == "occupation") == 830
    assert ConstraintGraph.for_locale("us") is us


def test_young_surgeon_rejected_and_older_surgeon_passes(us):
    young = _persona(19, "Surgeons, All Other", "291249")
    problems = us.check_base(young)
    assert len(problems) == 1 and "needs age >= 27" in problems[0] and "got 19" in problems[0]
    older = _persona(45, "Surgeons, All Other", "291249")
    assert us.check_base(older) == []
    assert us.check_socio(older, {"education": "professional degree (MD, JD, DDS, PharmD, ...)",
                                  "family_structure": "married, lives with spouse"}) == []
    assert us.check_socio(older, {"education": "M.D., Johns Hopkins"}) == []


def test_surgeon_without_professional_degree(us):
    older = _persona(45, "Surgeons, All Other", "291249")
    problems = us.check_socio(older, {"education": "Bachelor's degree in biology"})
    assert len(problems) == 1 and "needs education >= professional degree" in problems[0]


@pytest.mark.parametrize(
    ("age", "occupation", "code", "fragment"),
    [
        (22, "Lawyers", "231011", "age >= 25"),
        (26, "Chief Executives", "111011", "age >= 30"),
        (15, "Cashiers", "412011", "age >= 16"),
        (70, "Airline Pilots, Copilots, and Flight Engineers", "532011", "age <= 65"),
        (17, "Roofers", "472181", "age >= 18"),
    ],
)
def test_base_violations(us, age, occupation, code, fragment):
    problems = us.check_base(_persona(age, occupation, code))
    assert any(fragment in p for p in problems), problems


def test_base_plausible_and_title_lookup(us):
    assert us.check_base(_persona(30, "Lawyers", "231011")) == []
    assert us.check_base(_persona(60, "Airline Pilots, Copilots, and Flight Engineers", "532011")) == []
    assert us.check_base(_persona(20, "lawyers", None))  # found by title
    assert us.check_base(_persona(14, "Astronaut", None))  # unknown occupation: default minimum age
    assert us.check_base(_persona(40, "Astronaut", None)) == []


def test_socio_education_age_and_marriage(us):
    cashier = _persona(19, "Cashiers", "412011")
    problems = us.check_socio(cashier, {"education": "master's degree", "family_structure": "lives alone"})
    assert len(problems) == 1 and "age >= 22" in problems[0]
    minor = _persona(17, "Cashiers", "412011")
    problems = us.check_socio(minor, {"education": "high school", "family_structure": "Married to Tom"})
    assert any("minors cannot be married" in p for p in problems)
    assert us.check_socio(minor, {"education": "high school", "family_structure": "lives alone"}) == []


def test_unrecognised_socio_text_is_not_judged(us):
    surgeon = _persona(45, "Surgeons, All Other", "291249")
    assert us.check_socio(surgeon, {"education": "self-taught", "family_structure": "it's complicated"}) == []


def test_education_level_parsing(us):
    assert us.education_level("PhD in chemistry") == "doctorate"
    assert us.education_level("GED") == "high_school"
    assert us.education_level("some college, no degree") == "some_college"
    assert us.education_level("Bachelor's, then an MBA") == "master"  # highest level mentioned
    assert us.education_level("madness") is None  # 'md' must be a whole word


def test_jp_graph():
    jp = ConstraintGraph.for_locale("jp")
    assert jp.check_base(_persona(16, "Security workers", "F", "jp"))
    assert jp.check_base(_persona(30, "Security workers", "F", "jp")) == []
    assert jp.check_socio(_persona(20, "Clerical workers", "C", "jp"), {"education": "university graduate"})
