"""Locale tables: shipped tables load; malformed tables raise TableError naming the file."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from personagen.personas.locale import TableError, available_locales, load_locale


def _rewrite(path: Path, edit) -> None:
    rows = list(csv.reader(path.open(encoding="utf-8")))
    edit(rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


def test_available_and_cached():
    assert available_locales() == ["jp", "us"]
    assert load_locale("us") is load_locale("us")


def test_us_tables_match_sources():
    us = load_locale("us")
    assert len(us.occupations.rows) == 830
    assert {r["gender"] for r in us.gender.rows} == {"female", "male"}
    ages = [(int(r["age_min"]), int(r["age_max"])) for r in us.age.rows]
    assert ages[0] == (18, 19) and ages[-1] == (80, 84)
    nurses = us.occupation("291141")
    assert nurses["title"] == "Registered Nurses" and nurses["employment"] == "3379720"
    assert len(us.mbti["male"].rows) == 16 and us.income is not None


def test_jp_has_no_income_and_us_mbti():
    jp = load_locale("jp")
    assert jp.income is None
    us = load_locale("us")
    assert [r["female"] for r in jp.mbti["female"].rows] == [r["female"] for r in us.mbti["female"].rows]


def test_requirement_longest_prefix():
    us = load_locale("us")
    assert us.requirement_for("291242").code_prefix == "2912"
    assert us.requirement_for("251194").min_education is None  # overrides 2510 (postsecondary, master)
    assert us.requirement_for("251011").min_education == "master"
    assert us.requirement_for("999999").code_prefix == ""
    assert us.requirement_for(None).min_age == 16


def test_every_requirement_prefix_matches_an_occupation():
    for name in available_locales():
        loc = load_locale(name)
        codes = [r["code"] for r in loc.occupations.rows]
        for req in loc.requirements[1:]:
            assert any(c.startswith(req.code_prefix) for c in codes), (name, req.code_prefix)


def test_unknown_locale(tables_copy):
    with pytest.raises(TableError, match="unknown locale 'xx'.*jp, us"):
        load_locale("xx", tables_copy)


@pytest.mark.parametrize(
    ("file", "edit", "problem"),
    [
        ("age.csv", lambda rows: rows[0].__setitem__(2, "wt"), "missing column"),
        ("occupations.csv", lambda rows: rows[1].__setitem__(2, "-5"), "must be a finite number >= 0"),
        ("occupations.csv", lambda rows: rows[1].__setitem__(2, "lots"), "is not a number"),
        ("gender.csv", lambda rows: [r.__setitem__(1, "0") for r in rows[1:]], "all weights .* are zero"),
        ("mbti.csv", lambda rows: rows[1].__setitem__(0, "XXXX"), "not an MBTI type"),
        ("education.csv", lambda rows: rows[1].__setitem__(3, "old"), "is not an integer"),
        ("age.csv", lambda rows: rows[1].append("extra"), "wrong number of fields"),
        ("age.csv", lambda rows: rows[1].__setitem__(0, "30"), "bad age range"),
        ("occupation_requirements.csv", lambda rows: rows[2].__setitem__(4, "x"), "unknown education"),
        ("religion.csv", lambda rows: rows.__delitem__(slice(1, None)), "no rows"),
    ],
)
def test_malformed_table_names_file(tables_copy, file, edit, problem):
    _rewrite(tables_copy / "us" / file, edit)
    with pytest.raises(TableError, match=problem) as err:
        load_locale("us", tables_copy)
    assert str(tables_copy / "us" / file) in str(err.value)


def test_missing_table_file(tables_copy):
    (tables_copy / "jp" / "religion.csv").unlink()
    with pytest.raises(TableError, match=r"religion\.csv: table file is missing"):
        load_locale("jp", tables_copy)


def test_table_error_is_value_error():
    assert issubclass(TableError, ValueError)
