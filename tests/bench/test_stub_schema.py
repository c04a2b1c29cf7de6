"""The schema -> value generator: every value must validate against the schema it came from."""

from __future__ import annotations

import random
from typing import Literal

from pydantic import BaseModel, Field

from bench.stub_schema import generate, resolve_ref


class Verdict(BaseModel):
    """A critic verdict."""

    passed: bool = Field(description="accepted?")
    score: float = Field(ge=0, le=1, description="confidence")
    reasons: list[str] = Field(min_length=1, max_length=3, description="why")
    stage: Literal["base", "enrich", "express"] = Field(description="guarded stage")


class Persona(BaseModel):
    """Nested models, optionals, bounded ints, lists of models."""

    age: int = Field(ge=18, le=90)
    code: str = Field(min_length=5, max_length=8)
    nickname: str | None = None
    weight: float = Field(gt=40, lt=41)
    verdict: Verdict
    history: list[Verdict] = Field(default_factory=list, max_length=2)
    tags: list[Literal["a", "b", "c"]] = Field(min_length=3, max_length=3)


def test_pydantic_models_validate() -> None:
    schema = Persona.model_json_schema()
    for seed in range(50):
        value = generate(schema, random.Random(seed))
        persona = Persona.model_validate(value)
        assert persona.verdict.passed is True
        assert persona.nickname is not None


def test_same_seed_same_value() -> None:
    schema = Persona.model_json_schema()
    assert generate(schema, random.Random("x")) == generate(schema, random.Random("x"))
    assert generate(schema, random.Random("x")) != generate(schema, random.Random("y"))


def test_numeric_bounds_and_steps() -> None:
    rng = random.Random(1)
    for _ in range(200):
        assert 3 < generate({"type": "integer", "exclusiveMinimum": 3, "exclusiveMaximum": 6}, rng) < 6
        assert generate({"type": "integer", "minimum": 10, "maximum": 30, "multipleOf": 5}, rng) % 5 == 0
        assert -2.0 <= generate({"type": "number", "minimum": -2, "maximum": -1}, rng) <= -1.0
    assert generate({"type": "integer", "minimum": 7, "maximum": 7}, rng) == 7


def test_arrays_strings_and_keywords() -> None:
    rng = random.Random(2)
    arr = generate({"type": "array", "items": {"type": "string", "maxLength": 4}, "minItems": 5}, rng)
    assert len(arr) == 5 and all(1 <= len(s) <= 4 for s in arr)
    assert generate({"type": "array", "items": {"type": "integer"}, "maxItems": 0}, rng) == []
    unique = generate(
        {"type": "array", "items": {"enum": [1, 2, 3]}, "minItems": 3, "uniqueItems": True}, rng
    )
    assert sorted(unique) == [1, 2, 3]
    assert generate({"const": "fixed"}, rng) == "fixed"
    assert generate({"type": ["null", "integer"], "minimum": 1, "maximum": 1}, rng) == 1
    assert generate({"type": "string", "format": "date"}, rng) == "2024-05-17"
    assert len(generate({"type": "string", "minLength": 300}, rng)) >= 300


def test_refs_all_of_and_recursion_guard() -> None:
    schema = {
        "$defs": {"Node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/Node"}}}},
        "allOf": [{"$ref": "#/$defs/Node"}, {"properties": {"x": {"type": "boolean"}}}],
    }
    value = generate(schema, random.Random(3))
    assert value["x"] is True and "child" in value
    assert resolve_ref(schema, "#/$defs/Missing") == {}
