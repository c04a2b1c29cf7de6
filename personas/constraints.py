"""The attribute constraint graph: hard requirements between persona attributes, as a networkx DiGraph.

Input: a `Locale` (its occupation_requirements, education and family_structure tables).
Output: `ConstraintGraph`, whose `.graph` can be drawn or inspected and whose checks return human-readable
violations (an empty list means the persona is consistent).

Nodes carry `kind`: 'occupation' (one per occupation row), 'education' and 'family' (one per table row),
'requirement' (a condition such as 'age>=27', 'age<=65' or 'education>=professional', with field/op/value).
Edges carry `relation`: 'requires' (attribute value -> condition it needs, with the table's reason) or
'satisfies' (education level -> every 'education>=X' condition it meets).
"""

from __future__ import annotations

import re

import networkx as nx

from personagen.personas.locale import Locale, Row, load_locale
from personagen.personas.models import BasePersona

_CACHE: dict[tuple[str, str], ConstraintGraph] = {}


def _req_node(field: str, op: str, value: int | str) -> str:
    return f"{field}{op}{value}"


def _phrase_pattern(aliases: str) -> re.Pattern[str]:
    """A regex matching any '|'-separated alias as a whole phrase (not inside a longer word)."""
    phrases = [re.escape(a.strip().lower()) for a in aliases.split("|") if a.strip()]
    if not phrases:
        return re.compile(r"(?!x)x")
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(phrases) + r")(?![a-z0-9])")


def _norm(text: str) -> str:
    return text.lower().replace("\u2019", "'").strip()


class ConstraintGraph:
    """Hard constraints of one locale; build with `ConstraintGraph.for_locale(locale)`."""

    def __init__(self, locale: Locale) -> None:
        self.locale = locale
        self.graph: nx.DiGraph = nx.DiGraph(locale=locale.name)
        self._education = {r["level"]: r for r in locale.education.rows}
        self._edu_patterns = {r["level"]: _phrase_pattern(r["aliases"]) for r in locale.education.rows}
        self._family_patterns = [(r, _phrase_pattern(r["aliases"])) for r in locale.family_structure.rows]
        self._add_education()
        self._add_family()
        self._add_occupations()

    @classmethod
    def for_locale(cls, locale: Locale | str) -> ConstraintGraph:
        """The (cached) constraint graph of a locale given by name or as a loaded `Locale`."""
        loc = locale if isinstance(locale, Locale) else load_locale(locale)
        key = (loc.name, str(loc.root))
        if key not in _CACHE or _CACHE[key].locale is not loc:
            _CACHE[key] = cls(loc)
        return _CACHE[key]

    # -- building -------------------------------------------------------------------------------
    def _require(self, node: str, field: str, op: str, value: int | str, reason: str) -> None:
        target = _req_node(field, op, value)
        self.graph.add_node(target, kind="requirement", field=field, op=op, value=value)
        self.graph.add_edge(node, target, relation="requires", reason=reason)

    def _add_education(self) -> None:
        for level, row in self._education.items():
            rank = int(row["rank"])
            self.graph.add_node(f"education:{level}", kind="education", label=row["label"], rank=rank)
            if int(row["min_age"]) > 0:
                self._require(f"education:{level}", "age", ">=", int(row["min_age"]),
                              f"{row['label']} is not completed before age {row['min_age']}")

    def _add_family(self) -> None:
        for row in self.locale.family_structure.rows:
            node = f"family:{row['family_structure']}"
            self.graph.add_node(node, kind="family", label=row["family_structure"])
            if int(row["min_age"]) > 0:
                self._require(node, "age", ">=", int(row["min_age"]), "minors cannot be married")

    def _add_occupations(self) -> None:
        for row in self.locale.occupations.rows:
            node = f"occupation:{row['code']}"
            self.graph.add_node(node, kind="occupation", title=row["title"], code=row["code"])
            req = self.locale.requirement_for(row["code"])
            if req.min_age is not None:
                self._require(node, "age", ">=", req.min_age, req.reason)
            if req.max_age is not None:
                self._require(node, "age", "<=", req.max_age, req.reason)
            if req.min_education is not None:
                self._require(node, "education", ">=", req.min_education, req.reason)
        for level, row in self._education.items():
            for target, data in self.graph.nodes(data=True):
                if data.get("field") == "education":
                    if int(row["rank"]) >= int(self._education[data["value"]]["rank"]):
                        self.graph.add_edge(f"education:{level}", target, relation="satisfies")

    # -- checking -------------------------------------------------------------------------------
    def occupation_node(self, code: str | None, title: str) -> str | None:
        """The graph node of an occupation, by code or else by title (case-insensitive); None if unknown."""
        if code and f"occupation:{code}" in self.graph:
            return f"occupation:{code}"
        for node, data in self.graph.nodes(data=True):
            if data.get("kind") == "occupation" and data["title"].lower() == title.lower():
                return node
        return None

    def requirements(self, node: str) -> list[tuple[dict, str]]:
        """The requirement nodes `node` points to, as (node data, reason) pairs."""
        return [
            (self.graph.nodes[t], d["reason"])
            for _, t, d in self.graph.out_edges(node, data=True)
            if d["relation"] == "requires"
        ]

    def _age_violations(self, node: str, subject: str, age: int) -> list[str]:
        out = []
        for req, reason in self.requirements(node):
            if req["field"] != "age":
                continue
            ok = age >= req["value"] if req["op"] == ">=" else age <= req["value"]
            if not ok:
                out.append(f"{subject} needs age {req['op']} {req['value']}, got {age} ({reason})")
        return out

    def check_base(self, base: BasePersona) -> list[str]:
        """Violations of the base persona: its age against its occupation's age limits."""
        node = self.occupation_node(base.occupation_code, base.occupation)
        if node is None:
            req = self.locale.requirement_for(None)
            if req.min_age is not None and base.age < req.min_age:
                return [f"{base.occupation} needs age >= {req.min_age}, got {base.age} ({req.reason})"]
            return []
        return self._age_violations(node, base.occupation, base.age)

    def education_level(self, text: str) -> str | None:
        """The education level key named by `text` (key, label or alias; highest level mentioned), or None."""
        norm = _norm(text)
        for level, row in self._education.items():
            if norm in (level, _norm(row["label"])):
                return level
        found = [lvl for lvl, pat in self._edu_patterns.items() if pat.search(norm)]
        return max(found, key=lambda lvl: int(self._education[lvl]["rank"])) if found else None

    def family_rows(self, text: str) -> list[Row]:
        """Family-structure rows named by `text` (exact label, else every row whose alias it mentions)."""
        norm = _norm(text)
        exact = [r for r, _ in self._family_patterns if _norm(r["family_structure"]) == norm]
        return exact or [r for r, pat in self._family_patterns if pat.search(norm)]

    def check_socio(self, base: BasePersona, socio_fields: dict[str, str]) -> list[str]:
        """Violations of socio-cultural values (education, family_structure) against the base persona.

        Values the graph cannot recognise are not judged here (the LLM consistency critic sees them).
        """
        out: list[str] = []
        level = self.education_level(socio_fields.get("education", ""))
        if level is not None:
            edu_node = f"education:{level}"
            out += self._age_violations(edu_node, self._education[level]["label"], base.age)
            occ = self.occupation_node(base.occupation_code, base.occupation)
            for req, reason in self.requirements(occ) if occ else []:
                target = _req_node("education", ">=", req["value"])
                if req["field"] == "education" and not self.graph.has_edge(edu_node, target):
                    need = self._education[req["value"]]["label"]
                    out.append(f"{base.occupation} needs education >= {need}, got {socio_fields['education']}"
                               f" ({reason})")
        for row in self.family_rows(socio_fields.get("family_structure", "")):
            label = row["family_structure"]
            out += self._age_violations(f"family:{label}", label, base.age)
        return out
