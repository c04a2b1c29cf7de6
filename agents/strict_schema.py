"""The JSON schema of a pydantic model, cut down to what OpenAI-style servers accept in strict mode.

Input: a pydantic model class. Output: `strict_json_schema(model, constraints=False)`, the schema to send as
`json_schema` (`strict: true`) or as a function's `parameters` (`strict: true`): every object closed
(`additionalProperties: false`) with all its properties `required`, and no keyword outside the subset below.
A keyword outside it is removed and its meaning appended to the node's `description` ("between 0 and 1",
"exactly 3 items"), so the model still reads it; pydantic validation on our side still enforces it after
parsing. Pure: no network.

The subset, from the two documents (read them again when a server starts refusing a schema):
- OpenAI, Structured Outputs -> Supported schemas:
  https://platform.openai.com/docs/guides/structured-outputs#supported-schemas
  (now served at https://developers.openai.com/api/docs/guides/structured-outputs#supported-schemas).
  Types string, number, boolean, integer, object, array, enum, anyOf; the root an object, not anyOf; every field
  `required` (optional = a union with null); `additionalProperties: false` on every object; `$defs`/`$ref`
  (also recursive) supported; `allOf`, `not`, `if`/`then`/`else`, `dependentRequired`/`dependentSchemas` not.
  Per type it supports string `pattern`/`format`, number bounds/`multipleOf`, array `minItems`/`maxItems`, but
  none of these for fine-tuned models.
- Azure OpenAI, Structured outputs -> JSON Schema support and limitations:
  https://learn.microsoft.com/en-us/azure/ai-foundry/openai/how-to/structured-outputs
  "the same subset as OpenAI", but its table of unsupported type-specific keywords refuses the per-type
  constraints OpenAI allows (string minLength/maxLength/pattern/format, number minimum/maximum/multipleOf,
  array minItems/maxItems/uniqueItems, ...); `default` is in neither subset and Azure rejects it.
By default we keep the intersection, which every one of them accepts: structure only (types, enum/const, anyOf,
$ref/$defs, properties/required/additionalProperties, items) plus `description`; every constraint becomes words.
`constraints=True` keeps OpenAI's per-type constraints as keywords (for servers that enforce them: OpenAI's own
models, llama.cpp's grammars). `title` is dropped: neither document lists it, and the property or function name
already says it.
A field with a non-null default becomes required as it is (not nullable): any value the model may then send still
validates with the model; a field that may be None already is a union with null.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from pydantic import BaseModel

OPENAI_DOC = "https://platform.openai.com/docs/guides/structured-outputs#supported-schemas"
AZURE_DOC = "https://learn.microsoft.com/en-us/azure/ai-foundry/openai/how-to/structured-outputs"

# Keywords any node may carry, whatever its type (both documents' examples use them).
ANY_TYPE_KEYWORDS = frozenset({"type", "description", "enum", "const", "anyOf", "$ref"})
# Keywords a node may carry on top of those, per JSON type: structure only, the subset both documents allow.
TYPE_KEYWORDS: dict[str, frozenset[str]] = {
    "object": frozenset({"properties", "required", "additionalProperties"}),
    "array": frozenset({"items"}),
    "string": frozenset(),
    "number": frozenset(),
    "integer": frozenset(),
    "boolean": frozenset(),
    "null": frozenset(),
}
# OpenAI's "Supported properties" per type, which Azure's table (and OpenAI for fine-tuned models) refuses; kept
# only with `constraints=True`, for servers that enforce them (OpenAI's own models, llama.cpp's grammars).
OPENAI_NUMBER_CONSTRAINTS = frozenset({"multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum"})
OPENAI_CONSTRAINTS: dict[str, frozenset[str]] = {
    "string": frozenset({"pattern", "format"}),
    "number": OPENAI_NUMBER_CONSTRAINTS,
    "integer": OPENAI_NUMBER_CONSTRAINTS,
    "array": frozenset({"minItems", "maxItems"}),
}
OPENAI_FORMATS = frozenset({"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"})
# Keywords only the root may carry (the model's `$defs`, made strict like the rest).
ROOT_KEYWORDS = frozenset({"$defs"})
# Dropped without a word in the description: they say nothing the model needs.
SILENT_KEYWORDS = frozenset({"title", "$schema", "$id", "$comment", "deprecated", "readOnly", "writeOnly"})

# How a removed keyword reads in the description.
PHRASES: dict[str, str] = {
    "minimum": "at least {}",
    "maximum": "at most {}",
    "exclusiveMinimum": "more than {}",
    "exclusiveMaximum": "less than {}",
    "multipleOf": "a multiple of {}",
    "minLength": "at least {} characters",
    "maxLength": "at most {} characters",
    "pattern": "matching the regular expression {}",
    "format": "in {} format",
    "minItems": "at least {} items",
    "maxItems": "at most {} items",
    "uniqueItems": "no item repeated",
    "minProperties": "at least {} properties",
    "maxProperties": "at most {} properties",
    "default": "default {}",
    "examples": "for example {}",
}
# Keywords whose value is shown as JSON (a default "joy" is a string, not a word).
QUOTED = frozenset({"default", "examples"})
# Pairs that read better together: (low, high, phrase when they differ, phrase when they are equal).
RANGES = (
    ("minimum", "maximum", "between {} and {}", "exactly {}"),
    ("minItems", "maxItems", "between {} and {} items", "exactly {} items"),
    ("minLength", "maxLength", "between {} and {} characters", "exactly {} characters"),
)


def strict_json_schema(model: type[BaseModel], *, constraints: bool = False) -> dict[str, Any]:
    """The strict-mode schema of `model` (a new dict; the model's own schema is left alone).

    With `constraints` the per-type constraints OpenAI documents stay keywords instead of words: for OpenAI's
    own (not fine-tuned) models and for grammar-constrained servers; Azure refuses them.
    """
    return copy.deepcopy(cached_schema(model, constraints))


@cache
def cached_schema(model: type[BaseModel], constraints: bool) -> dict[str, Any]:
    """strict_json_schema, built once per model (callers get copies: requests may be changed on their way)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})
    keywords = {kind: TYPE_KEYWORDS[kind] | (OPENAI_CONSTRAINTS.get(kind, frozenset()) if constraints else set())
                for kind in TYPE_KEYWORDS}
    root = strict_node(schema, defs, keywords)
    if root.get("type") != "object" or "anyOf" in root:
        raise ValueError(f"{model.__name__}: a strict schema's root must be an object, not {root.get('type')}")
    if defs:
        root["$defs"] = {name: strict_node(sub, defs, keywords) for name, sub in defs.items()}
    return root


def strict_node(node: dict[str, Any], defs: dict[str, Any], keywords: dict[str, frozenset[str]]) -> dict[str, Any]:
    """One schema node and everything under it, keeping `keywords` per type (and ANY_TYPE_KEYWORDS)."""
    node = unwrap(node, defs)
    kinds = node.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds if isinstance(kinds, list) else []
    allowed = ANY_TYPE_KEYWORDS.union(*(keywords.get(kind, frozenset()) for kind in kinds))
    out: dict[str, Any] = {}
    moved: dict[str, Any] = {}
    for key, value in node.items():
        if key in allowed and (key != "format" or value in OPENAI_FORMATS):
            out[key] = value
        elif key not in SILENT_KEYWORDS:
            moved[key] = value
    if "oneOf" in moved:  # a union whose branches are exclusive: anyOf lets through the same values
        out["anyOf"] = moved.pop("oneOf")
    if "properties" in out:
        out["properties"] = {name: strict_node(sub, defs, keywords) for name, sub in out["properties"].items()}
    if "object" in kinds:
        out.setdefault("properties", {})
        out["required"] = list(out["properties"])
        out["additionalProperties"] = False
    if isinstance(out.get("items"), dict):
        out["items"] = strict_node(out["items"], defs, keywords)
    if "anyOf" in out:
        out["anyOf"] = [strict_node(branch, defs, keywords) for branch in out["anyOf"]]
    words = describe(moved)
    if words:
        out["description"] = with_words(out.get("description", ""), words)
    return out


def with_words(description: str, words: str) -> str:
    """The description with the removed keywords' words in brackets before its full stop (or the words alone)."""
    if not description:
        return words[0].upper() + words[1:] + "."
    stop = "." if description.endswith(".") else ""
    return f"{description.removesuffix('.')} ({words}){stop}"


def unwrap(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """`$ref` with sibling keywords and single-branch `allOf` (neither is in the subset) merged into one node."""
    node = dict(node)
    if isinstance(node.get("allOf"), list) and len(node["allOf"]) == 1:
        node = {**node.pop("allOf")[0], **node}
    ref = node.get("$ref")
    if isinstance(ref, str) and len(node) > 1 and ref.startswith("#/$defs/"):
        target = defs[ref.removeprefix("#/$defs/")]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return unwrap(node, defs)
    return node


def describe(moved: dict[str, Any]) -> str:
    """The removed keywords as words, e.g. {"minimum": 0, "maximum": 1} -> "between 0 and 1"."""
    moved = dict(moved)
    parts = []
    for low, high, differ, equal in RANGES:
        if low in moved and high in moved:
            a, b = number(moved.pop(low)), number(moved.pop(high))
            parts.append(equal.format(a) if a == b else differ.format(a, b))
    for key, value in moved.items():
        if key == "uniqueItems" and not value:
            continue
        plain = isinstance(value, (int, float, str)) and not isinstance(value, bool) and key not in QUOTED
        text = number(value) if plain else json.dumps(value, ensure_ascii=False)
        parts.append(PHRASES[key].format(text) if key in PHRASES else f"{key}: {text}")
    return "; ".join(parts)


def number(value: Any) -> Any:
    """1.0 -> 1, so bounds read as people write them."""
    return int(value) if isinstance(value, float) and value.is_integer() else value
