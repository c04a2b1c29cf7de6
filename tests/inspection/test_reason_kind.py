"""Rejection reasons are counted by kind: the judge's free-text explanation after the colon is left out."""

from personagen.inspection.funnel import reason_kind


def test_reasons_group_by_the_part_before_the_colon():
    assert reason_kind("reads as joy, not anger: the writer sounds pleased") == "reads as joy, not anger"
    assert reason_kind("reads as joy, not anger: another explanation") == "reads as joy, not anger"
    assert reason_kind("Surgeons needs age >= 27, got 19") == "Surgeons needs age >= 27, got 19"
