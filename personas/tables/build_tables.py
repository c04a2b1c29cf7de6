"""Regenerate the derived locale tables from the shared demographic source files.

Input: a folder holding age_wpp2022_jpn_usa_2021.csv, mbti_us_1998.csv and oews_may2025_national_detailed.csv.
Output: us/age.csv, us/occupations.csv, us/mbti.csv, jp/age.csv, jp/mbti.csv beside this file.
The program never reads the source folder at run time: the generated tables ship with the repository.

Usage: python -m personagen.personas.tables.build_tables /path/to/demographics
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

HERE = Path(__file__).parent
ADULT_MIN, ADULT_MAX = 18, 84


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def build_age(src: Path, iso3: str, out: Path) -> None:
    """Adult age groups (18-84) from WPP 2022; the 15-19 group is cut to 18-19 (2/5 of its population)."""
    rows = []
    for row in csv.DictReader((src / "age_wpp2022_jpn_usa_2021.csv").open(encoding="utf-8")):
        if row["iso3"] != iso3 or row["age_group"].endswith("+"):
            continue
        lo, hi = (int(x) for x in row["age_group"].split("-"))
        if hi < ADULT_MIN or lo > ADULT_MAX:
            continue
        pop = float(row["pop_thousands"])
        lo2 = max(lo, ADULT_MIN)
        weight = pop * (hi - lo2 + 1) / (hi - lo + 1)
        rows.append([lo2, min(hi, ADULT_MAX), round(weight, 1)])
    _write(out, ["age_min", "age_max", "weight"], rows)


def build_occupations(src: Path, out: Path) -> None:
    """Level-3 (detailed) OEWS occupations with employment and annual median wage ('' when BLS gives none)."""
    rows = []
    for row in csv.DictReader((src / "oews_may2025_national_detailed.csv").open(encoding="utf-8")):
        if row["level"] != "3":
            continue
        wage = row["annual_median_wage"] if row["annual_median_wage"].isdigit() else ""
        rows.append([row["soc"], row["title"], row["employment"], wage])
    _write(out, ["code", "title", "employment", "annual_median_wage"], rows)


def build_mbti(src: Path, out: Path) -> None:
    """MBTI type shares by gender (MBTI Manual 1998, US national sample)."""
    rows = [
        [r["type"], r["male_pct"], r["female_pct"], r["total_pct"]]
        for r in csv.DictReader((src / "mbti_us_1998.csv").open(encoding="utf-8"))
    ]
    _write(out, ["type", "male", "female", "total"], rows)


def main(argv: list[str]) -> None:
    src = Path(argv[0])
    build_age(src, "USA", HERE / "us" / "age.csv")
    build_age(src, "JPN", HERE / "jp" / "age.csv")
    build_occupations(src, HERE / "us" / "occupations.csv")
    build_mbti(src, HERE / "us" / "mbti.csv")
    build_mbti(src, HERE / "jp" / "mbti.csv")


if __name__ == "__main__":
    main(sys.argv[1:])
