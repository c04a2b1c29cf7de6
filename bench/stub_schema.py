"""JSON-schema -> example value generator for the stub model server (stdlib only).

`generate(schema, rng)` returns a value that satisfies the common subset of JSON Schema that pydantic and
LangChain emit: objects (all properties filled), arrays (minItems/maxItems, uniqueItems for enums), strings
(minLength/maxLength, enum/const, a few formats), integers/numbers within bounds (incl. exclusive bounds and
multipleOf), booleans (always true, so critics built on `passed: bool` accept), null, `$ref` into
`$defs`/`definitions`, `anyOf`/`oneOf` (the first non-null branch) and `allOf` (merged objects).
The same `random.Random` seed gives the same value, so answers are deterministic per request. Strings are
phrases of a `Lexicon`: English words by default, Japanese ones (`JAPANESE`) when the request asks for Japanese.
`strict_violations(schema)` checks a schema against OpenAI's strict Structured Outputs subset (personalities).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

WORDS = (
    "calm bright morning river quiet friend letter garden coffee rain window train city evening "
    "music laugh walk memory warm small kitchen message promise street light hope dinner sister"
).split()


@dataclass(frozen=True)
class Lexicon:
    """The words generated strings are made of, what joins them (a space; の in Japanese) and ends them."""

    words: tuple[str, ...]
    sep: str = " "
    end: str = ""

    def phrase(self, rng: random.Random, lo: int, hi: int) -> str:
        return self.sep.join(rng.choice(self.words) for _ in range(rng.randint(lo, hi))) + self.end


ENGLISH = Lexicon(tuple(WORDS))
JAPANESE = Lexicon(tuple(
    "静けさ 朝 川 友達 手紙 庭 コーヒー 雨 窓 電車 街 夕方 音楽 笑い声 散歩 思い出 ぬくもり 小道 台所 "
    "メッセージ 約束 通り 光 希望 夕ご飯 姉".split()), sep="の", end="。")

_FORMATS = {
    "date": "2024-05-17",
    "date-time": "2024-05-17T09:30:00Z",
    "time": "09:30:00",
    "email": "stub@example.com",
    "uri": "https://example.com/stub",
    "uuid": "00000000-0000-4000-8000-000000000000",
}
MAX_DEPTH = 12


def generate(
    schema: dict[str, Any] | bool,
    rng: random.Random,
    root: dict[str, Any] | None = None,
    name: str = "value",
    depth: int = 0,
    lexicon: Lexicon = ENGLISH,
) -> Any:
    """A value valid for `schema`; `root` resolves `$ref`s (defaults to `schema` itself); strings from `lexicon`."""
    if schema is True or schema is False or not isinstance(schema, dict):
        return _text(rng, name, 1, 40, lexicon)
    root = schema if root is None else root
    if depth > MAX_DEPTH:
        return None
    if "$ref" in schema:
        return generate(resolve_ref(root, schema["$ref"]), rng, root, name, depth + 1, lexicon)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return rng.choice(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return generate(_pick_branch(schema[key]), rng, root, name, depth + 1, lexicon)
    if "allOf" in schema:
        return generate(_merge_all_of(schema["allOf"], root), rng, root, name, depth + 1, lexicon)
    kind = _type_of(schema)
    if kind == "object":
        return _object(schema, rng, root, depth, lexicon)
    if kind == "array":
        return _array(schema, rng, root, name, depth, lexicon)
    if kind == "integer":
        return _integer(schema, rng)
    if kind == "number":
        return _number(schema, rng)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string(schema, rng, name, lexicon)


def resolve_ref(root: dict[str, Any], ref: str) -> dict[str, Any]:
    """Follow a local JSON pointer such as `#/$defs/Verdict`; unknown refs resolve to `{}` (a string)."""
    node: Any = root
    if not ref.startswith("#"):
        return {}
    for part in ref.lstrip("#").strip("/").split("/"):
        if not part:
            continue
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return {}
        node = node[part]
    return node if isinstance(node, dict) else {}


def _type_of(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        non_null = [k for k in kind if k != "null"]
        kind = non_null[0] if non_null else "null"
    if kind:
        return str(kind)
    if "properties" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    return "string"


def _pick_branch(branches: list[Any]) -> dict[str, Any]:
    for branch in branches:
        if isinstance(branch, dict) and branch.get("type") != "null":
            return branch
    return branches[0] if branches else {}


def _merge_all_of(parts: list[Any], root: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for part in parts:
        if isinstance(part, dict) and "$ref" in part:
            part = resolve_ref(root, part["$ref"])
        if not isinstance(part, dict):
            continue
        props = {**merged.get("properties", {}), **part.get("properties", {})}
        merged.update(part)
        if props:
            merged["properties"] = props
    return merged


def _object(
    schema: dict[str, Any], rng: random.Random, root: dict[str, Any], depth: int, lexicon: Lexicon
) -> dict[str, Any]:
    props = schema.get("properties") or {}
    out = {key: generate(sub, rng, root, key, depth + 1, lexicon) for key, sub in props.items()}
    for key in schema.get("required", []):
        if key not in out:
            out[key] = _text(rng, key, 1, 40, lexicon)
    return out


def _array(
    schema: dict[str, Any], rng: random.Random, root: dict[str, Any], name: str, depth: int, lexicon: Lexicon
) -> list[Any]:
    prefix = schema.get("prefixItems") or []
    lo = int(schema.get("minItems", 0))
    hi = int(schema.get("maxItems", max(lo, 3)))
    count = max(lo, min(hi, max(lo, 2), 50))
    items = [generate(sub, rng, root, name, depth + 1, lexicon) for sub in prefix[:count]]
    item_schema = schema.get("items", {})
    if schema.get("uniqueItems") and isinstance(item_schema, dict) and "enum" in item_schema:
        pool = list(item_schema["enum"])
        rng.shuffle(pool)
        return items + pool[: max(0, count - len(items))]
    while len(items) < count:
        items.append(generate(item_schema, rng, root, f"{name}{len(items)}", depth + 1, lexicon))
    return items


def _bounds(schema: dict[str, Any], default_span: float) -> tuple[float, float]:
    lo = schema.get("minimum", -math.inf)
    hi = schema.get("maximum", math.inf)
    if "exclusiveMinimum" in schema:
        lo = max(lo, schema["exclusiveMinimum"])
    if "exclusiveMaximum" in schema:
        hi = min(hi, schema["exclusiveMaximum"])
    if lo == -math.inf and hi == math.inf:
        lo, hi = 0.0, default_span
    elif lo == -math.inf:
        lo = hi - default_span
    elif hi == math.inf:
        hi = lo + default_span
    return float(lo), float(hi)


def _integer(schema: dict[str, Any], rng: random.Random) -> int:
    lo, hi = _bounds(schema, 100)
    ilo = (
        math.floor(lo) + 1
        if "exclusiveMinimum" in schema and lo == schema["exclusiveMinimum"]
        else math.ceil(lo)
    )
    ihi = (
        math.ceil(hi) - 1
        if "exclusiveMaximum" in schema and hi == schema["exclusiveMaximum"]
        else math.floor(hi)
    )
    step = int(schema.get("multipleOf", 1)) or 1
    first = math.ceil(ilo / step) * step
    if first > ihi:
        return int(ilo)
    return first + step * rng.randint(0, (ihi - first) // step)


def _number(schema: dict[str, Any], rng: random.Random) -> float:
    lo, hi = _bounds(schema, 1.0)
    if "multipleOf" in schema:
        step = float(schema["multipleOf"])
        first, last = math.ceil(lo / step), math.floor(hi / step)
        return round(step * rng.randint(first, max(first, last)), 10)
    if hi - lo <= 1e-9:
        return lo
    value = round(lo + (hi - lo) * (0.1 + 0.8 * rng.random()), 3)
    return min(max(value, lo), hi)


def _string(schema: dict[str, Any], rng: random.Random, name: str, lexicon: Lexicon) -> str:
    fmt = schema.get("format")
    if fmt in _FORMATS:
        return _FORMATS[fmt]
    lo = int(schema.get("minLength", 1))
    hi = int(schema.get("maxLength", max(lo, 120)))
    return _text(rng, name, lo, hi, lexicon)


def _text(rng: random.Random, name: str, lo: int, hi: int, lexicon: Lexicon = ENGLISH) -> str:
    """A short readable phrase of length within [lo, hi] (padded or cut as needed)."""
    text = f"{name.replace('_', ' ')}: {lexicon.phrase(rng, 3, 8)}"[: max(hi, 0)]
    return text + "x" * max(0, lo - len(text))


# Strict Structured Outputs: the keywords a strict schema may use. OpenAI's "Supported schemas" section
# (https://platform.openai.com/docs/guides/structured-outputs#supported-schemas, as of 2025): types string,
# number, boolean, integer, object, array, enum, anyOf; string pattern/format; number multipleOf, (exclusive)
# minimum/maximum; array minItems/maxItems; $defs and $ref (recursion included); "composition: allOf, not,
# dependentRequired, dependentSchemas, if, then, else" unsupported. minLength/maxLength are listed only as
# unsupported "for fine-tuned models", so they are allowed here. Anything else (`default`, `oneOf`,
# `uniqueItems`, ...) is refused; the API's wording for `default` is "'default' is not permitted".
_STRICT_CORE = frozenset(
    "type properties required additionalProperties items enum const anyOf $ref $defs definitions description title"
    .split()
)
OPENAI_STRICT_KEYWORDS = _STRICT_CORE | frozenset(
    "pattern format multipleOf minimum maximum exclusiveMinimum exclusiveMaximum minItems maxItems minLength maxLength"
    .split()
)
# Azure: "Azure OpenAI structured outputs support the same subset ... as OpenAI" but its table of unsupported
# keywords still lists minLength, maxLength, pattern, format, minimum, maximum, multipleOf, minItems, maxItems,
# uniqueItems, ... (MicrosoftDocs/azure-ai-docs articles/ai-foundry/openai/how-to/structured-outputs.md, commit
# 02381ea7f30b7b04d90d1ddbeffea3496ffd7089, ms.date 12/6/2025): only the core keywords pass.
AZURE_STRICT_KEYWORDS = _STRICT_CORE


def strict_violations(schema: Any, allowed: frozenset[str] = OPENAI_STRICT_KEYWORDS) -> list[str]:
    """What a strict (Structured Outputs) schema breaks, worded like the API's 400 messages; [] when valid.

    Rules: the root is an object and not anyOf; every keyword is in `allowed`; every object sets
    additionalProperties: false and lists every property in `required`."""
    if not isinstance(schema, dict) or _types(schema) != {"object"} or "anyOf" in schema:
        got = schema.get("type") if isinstance(schema, dict) else None
        return [f"schema must be a JSON Schema of 'type: \"object\"', got 'type: \"{got}\"'."]
    out: list[str] = []
    _strict_walk(schema, (), allowed, out)
    return out


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("type", "object" if "properties" in node else None)
    return {k for k in (kind if isinstance(kind, list) else [kind]) if k and k != "null"}


def _strict_walk(node: Any, path: tuple[Any, ...], allowed: frozenset[str], out: list[str]) -> None:
    if not isinstance(node, dict):
        return
    where = f"In context={path!r}, "
    out.extend(f"{where}'{key}' is not permitted." for key in node if key not in allowed)
    if "object" in _types(node):
        props = node.get("properties") or {}
        if node.get("additionalProperties") is not False:
            out.append(f"{where}'additionalProperties' is required to be supplied and to be false.")
        missing = [key for key in props if key not in (node.get("required") or [])]
        if missing:
            out.append(f"{where}'required' is required to be supplied and to be an array including every key in "
                       f"properties. Missing '{missing[0]}'.")
        for key, sub in props.items():
            _strict_walk(sub, (*path, "properties", key), allowed, out)
    for key in ("$defs", "definitions"):
        for name, sub in (node.get(key) or {}).items():
            _strict_walk(sub, (*path, key, name), allowed, out)
    for i, sub in enumerate(node.get("anyOf") or []):
        _strict_walk(sub, (*path, "anyOf", i), allowed, out)
    _strict_walk(node.get("items"), (*path, "items"), allowed, out)
