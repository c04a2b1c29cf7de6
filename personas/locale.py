"""Locale tables: the real marginal distributions personas are sampled from.

Input: a folder personas/tables/<locale>/ of CSV files (see personas/tables/SOURCES.md) plus meta.json.
Output: a validated, immutable `Locale` whose weighted tables carry precomputed cumulative weights, so a
draw is one `random()` and one `bisect`. A malformed table raises `TableError` naming the file and problem.
"""

from __future__ import annotations

import bisect
import csv
import json
import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from personagen.errors import InputError

TABLES_DIR = Path(__file__).parent / "tables"
Row = dict[str, str]


class TableError(InputError):
    """A locale table is missing or malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class WeightedTable:
    """Rows of one table with cumulative weights; `name` is the provenance name, e.g. 'us/age'."""

    name: str
    rows: tuple[Row, ...]
    cum: tuple[float, ...]

    @classmethod
    def build(cls, name: str, rows: list[Row], weights: list[float]) -> WeightedTable:
        """Precompute cumulative weights (rows with weight 0 are kept but never drawn)."""
        cum, total = [], 0.0
        for w in weights:
            total += w
            cum.append(total)
        return cls(name, tuple(rows), tuple(cum))

    @property
    def total(self) -> float:
        return self.cum[-1] if self.cum else 0.0

    def draw(self, rng: random.Random) -> Row:
        """Draw one row with probability proportional to its weight."""
        i = bisect.bisect_right(self.cum, rng.random() * self.cum[-1])
        return self.rows[min(i, len(self.rows) - 1)]

    def shares(self) -> list[float]:
        """Probability of each row, in table order."""
        prev, out = 0.0, []
        for c in self.cum:
            out.append((c - prev) / self.total)
            prev = c
        return out

    def subset(self, keep: Callable[[Row], bool]) -> WeightedTable | None:
        """The same table conditioned on `keep` (None when no row with positive weight is kept)."""
        shares = self.shares()
        pairs = [(r, s) for r, s in zip(self.rows, shares, strict=True) if keep(r) and s > 0]
        if not pairs:
            return None
        return WeightedTable.build(self.name, [r for r, _ in pairs], [s for _, s in pairs])


@dataclass(frozen=True)
class Requirement:
    """What an occupation (matched by code prefix, longest wins) requires of a persona."""

    code_prefix: str
    label: str
    min_age: int | None
    max_age: int | None
    min_education: str | None
    reason: str


@dataclass(frozen=True, eq=False)
class Locale:
    """All tables of one locale, validated and ready to sample from."""

    name: str
    root: Path
    meta: dict
    age: WeightedTable
    gender: WeightedTable
    occupations: WeightedTable
    mbti: dict[str, WeightedTable]
    education: WeightedTable
    religion: WeightedTable
    family_structure: WeightedTable
    income: tuple[Row, ...] | None
    requirements: tuple[Requirement, ...]
    _by_code: dict[str, Row] = field(default_factory=dict, repr=False)

    def mbti_for(self, gender: str) -> WeightedTable:
        """MBTI table for a gender, falling back to the total column."""
        return self.mbti.get(gender, self.mbti["total"])

    def occupation(self, code: str | None) -> Row | None:
        """The occupation row with this code, or None."""
        return self._by_code.get(code or "")

    def requirement_for(self, code: str | None) -> Requirement:
        """The requirement row with the longest code prefix matching `code` (the '' row is the default)."""
        best = self.requirements[0]
        for req in self.requirements:
            if (code or "").startswith(req.code_prefix) and len(req.code_prefix) > len(best.code_prefix):
                best = req
        return best

    def education_level(self, level: str) -> Row:
        """The education row with key `level` (KeyError if unknown)."""
        for row in self.education.rows:
            if row["level"] == level:
                return row
        raise KeyError(level)


def _read_csv(path: Path, columns: tuple[str, ...]) -> list[Row]:
    """Read a CSV file, checking it exists, has the columns, and has no ragged or empty rows."""
    if not path.is_file():
        raise TableError(f"{path}: table file is missing")
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise TableError(f"{path}: missing column(s) {', '.join(missing)} (has {reader.fieldnames})")
            rows = list(reader)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise TableError(f"{path}: unreadable CSV ({exc})") from exc
    for n, row in enumerate(rows, start=2):
        if None in row or any(v is None for v in row.values()):
            raise TableError(f"{path}: line {n} has the wrong number of fields")
    if not rows:
        raise TableError(f"{path}: table has no rows")
    return rows


def _number(path: Path, n: int, column: str, value: str, *, integer: bool = False) -> float:
    try:
        num = int(value) if integer else float(value)
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise TableError(f"{path}: line {n}, column {column!r}: {value!r} is not {kind}") from None
    if num < 0 or not math.isfinite(num):
        raise TableError(f"{path}: line {n}, column {column!r}: {value!r} must be a finite number >= 0")
    return num


def _optional_int(path: Path, n: int, column: str, value: str) -> int | None:
    return None if value.strip() == "" else int(_number(path, n, column, value, integer=True))


def _weighted(root: Path, locale: str, table: str, columns: tuple[str, ...], weight: str,
              ints: tuple[str, ...] = ()) -> WeightedTable:
    """Load and validate a weighted table: `weight` numeric and >= 0, not all zero; `ints` integer columns."""
    path = root / f"{table}.csv"
    rows = _read_csv(path, (*columns, weight))
    weights = []
    for n, row in enumerate(rows, start=2):
        weights.append(_number(path, n, weight, row[weight]))
        for col in ints:
            _number(path, n, col, row[col], integer=True)
        if not row[columns[0]].strip():
            raise TableError(f"{path}: line {n}, column {columns[0]!r} is empty")
    if sum(weights) <= 0:
        raise TableError(f"{path}: all weights in column {weight!r} are zero")
    return WeightedTable.build(f"{locale}/{table}", rows, weights)


def _load_mbti(root: Path, locale: str) -> dict[str, WeightedTable]:
    path = root / "mbti.csv"
    header = _read_csv(path, ("type", "total"))[0].keys()
    out = {}
    for col in header:
        if col != "type":
            out[col] = _weighted(root, locale, "mbti", ("type",), col)
    for n, row in enumerate(out["total"].rows, start=2):
        if not re.fullmatch(r"[EI][SN][TF][JP]", row["type"]):
            raise TableError(f"{path}: line {n}: {row['type']!r} is not an MBTI type")
    return out


def _load_requirements(root: Path, education: WeightedTable) -> tuple[Requirement, ...]:
    path = root / "occupation_requirements.csv"
    rows = _read_csv(path, ("code_prefix", "label", "min_age", "max_age", "min_education", "reason"))
    levels = {r["level"] for r in education.rows}
    reqs = []
    for n, row in enumerate(rows, start=2):
        edu = row["min_education"].strip() or None
        if edu is not None and edu not in levels:
            raise TableError(f"{path}: line {n}: unknown education level {edu!r} (known: {sorted(levels)})")
        min_age = _optional_int(path, n, "min_age", row["min_age"])
        max_age = _optional_int(path, n, "max_age", row["max_age"])
        prefix = row["code_prefix"].strip()
        reqs.append(Requirement(prefix, row["label"], min_age, max_age, edu, row["reason"]))
    if not reqs or reqs[0].code_prefix != "":
        raise TableError(f"{path}: the first row must be the default requirement (empty code_prefix)")
    return tuple(reqs)


def _load_income(root: Path) -> tuple[Row, ...] | None:
    path = root / "income.csv"
    if not path.exists():
        return None
    rows = _read_csv(path, ("income_min", "income_max", "label"))
    for n, row in enumerate(rows, start=2):
        _number(path, n, "income_min", row["income_min"], integer=True)
        _optional_int(path, n, "income_max", row["income_max"])
    return tuple(rows)


def available_locales(tables_dir: Path | None = None) -> list[str]:
    """Names of the locales shipped in `tables_dir` (default: personas/tables), sorted."""
    root = tables_dir or TABLES_DIR
    return sorted(p.name for p in root.iterdir() if (p / "meta.json").is_file())


@lru_cache(maxsize=32)
def load_locale(name: str, tables_dir: Path | None = None) -> Locale:
    """Load and validate the tables of locale `name` (cached). Raises TableError on any problem."""
    base = tables_dir or TABLES_DIR
    known = available_locales(base) if base.is_dir() else []
    if name not in known:
        raise TableError(f"{base}: unknown locale {name!r} (available: {', '.join(known) or 'none'})")
    root = base / name
    try:
        meta = json.loads((root / "meta.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise TableError(f"{root / 'meta.json'}: invalid JSON ({exc})") from exc
    education = _weighted(root, name, "education", ("level", "label", "rank", "min_age", "aliases"), "weight",
                          ints=("rank", "min_age"))
    occupations = _weighted(root, name, "occupations", ("code", "title"), "employment")
    by_code = {r["code"]: r for r in occupations.rows}
    age = _weighted(root, name, "age", ("age_min", "age_max"), "weight", ints=("age_min", "age_max"))
    for n, row in enumerate(age.rows, start=2):
        if int(row["age_min"]) > int(row["age_max"]) or int(row["age_max"]) > 120:
            raise TableError(f"{root / 'age.csv'}: line {n}: bad age range {row['age_min']}-{row['age_max']}")
    return Locale(
        name=name, root=root, meta=meta, age=age,
        gender=_weighted(root, name, "gender", ("gender",), "weight"),
        occupations=occupations, mbti=_load_mbti(root, name), education=education,
        religion=_weighted(root, name, "religion", ("religion",), "weight"),
        family_structure=_weighted(root, name, "family_structure", ("family_structure", "min_age", "aliases"),
                                   "weight", ints=("min_age",)),
        income=_load_income(root), requirements=_load_requirements(root, education), _by_code=by_code,
    )
