"""Every schema an agent, critic or judge sends is clean in OpenAI strict mode, and answers to it parse.

The schemas come from the real code: the factories' variants enumerated here, plus the functions the graph sends
while it runs a persona on the scripted fake model (so a new `ask(...)` schema in a node shows up too).
They are checked with the stub server's strict-mode check (bench/stub_personalities.py), which plays OpenAI's
and, with Azure's narrower keyword set, Azure's.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any, ClassVar, Literal

import pytest
from pydantic import BaseModel, Field

from bench.stub_personalities import PERSONALITIES, strict_violations
from personagen.agents.context import AgentContext
from personagen.agents.critics.judges import OTHER, EmotionReading, Judgement, emotion_fidelity, reading_schema
from personagen.agents.critics.registry import Candidate, select_critics
from personagen.agents.emotion_writer import Texts, texts_schema
from personagen.agents.prompting import render
from personagen.agents.scenario_designer import SceneAnswer
from personagen.agents.socio_enricher import TABLE_FIELDS, Enrichment, enrichment_schema
from personagen.agents.strict_schema import strict_json_schema
from personagen.evaluation.human_likeness import JudgeScores
from personagen.graph.build import build_graph
from personagen.graph.runner import run_one
from personagen.personas.models import BasePersona, Expression, Stage
from tests.fakes import FakeModels, ScriptedChat, good_script


def enrichment_variants() -> list[type[BaseModel]]:
    """The enricher's schema for every set of table fields a locale may lack (in the order the node asks)."""
    names = tuple(TABLE_FIELDS)
    return [enrichment_schema(missing) for n in range(len(names) + 1) for missing in itertools.combinations(names, n)]


STATIC_SCHEMAS: list[type[BaseModel]] = [
    Judgement,
    EmotionReading,
    reading_schema(("joy",)),
    reading_schema(("joy", "anger")),
    reading_schema(("joy", "anger", "sadness", "fear", "surprise", "love")),
    Enrichment,
    *enrichment_variants(),
    SceneAnswer,
    Texts,
    texts_schema(1),
    texts_schema(3),
    JudgeScores,
]


class RecordingChat(ScriptedChat):
    """The scripted fake model, noting the function (name, parameters) of every request it answers."""

    sent: ClassVar[list[dict[str, Any]]] = []

    def _generate(self, messages: list[Any], stop: Any = None, run_manager: Any = None, **kwargs: Any) -> Any:
        RecordingChat.sent.extend(tool["function"] for tool in kwargs.get("tools", []))
        return super()._generate(messages, stop, run_manager, **kwargs)


BACKGROUND = {"residence": "a flat in town", "beliefs": "values family", "income": "modest"}


def sent_functions() -> list[dict[str, Any]]:
    """The functions one persona's graph run sends, per locale (jp has no income table: another variant)."""
    RecordingChat.sent.clear()
    for locale, emotions in (("us", ["joy"]), ("jp", ["joy", "anger"])):
        chat = RecordingChat(script=good_script(Enrichment=[BACKGROUND]))
        ctx = AgentContext(models=FakeModels(default=chat), emotions=emotions, locale=locale, texts_per_emotion=1,
                           critics=select_critics(None, ["constraints", "socio_constraints"]))
        assert asyncio.run(run_one(build_graph(), ctx, 0, 3))["status"] == "accepted"
    return list({json.dumps(f, sort_keys=True): f for f in RecordingChat.sent}.values())


def label(schema: type[BaseModel]) -> str:
    return f"{schema.__name__}[{','.join(schema.model_fields)}]"


AZURE_KEYWORDS = PERSONALITIES["azure"].strict_keywords


@pytest.mark.parametrize("model", STATIC_SCHEMAS, ids=label)
def test_the_strict_schema_passes_the_servers_strict_checks(model: type[BaseModel]) -> None:
    schema = strict_json_schema(model)
    assert strict_violations(schema) == [], json.dumps(schema, indent=1)
    assert strict_violations(schema, AZURE_KEYWORDS) == [], json.dumps(schema, indent=1)
    with_constraints = strict_json_schema(model, constraints=True)
    assert strict_violations(with_constraints) == [], json.dumps(with_constraints, indent=1)


@pytest.mark.parametrize("model", STATIC_SCHEMAS, ids=label)
def test_an_answer_valid_under_the_strict_schema_validates_with_the_model(model: type[BaseModel]) -> None:
    assert_answers_round_trip(model)


def test_every_schema_the_graph_sends_is_strict_clean_and_one_walked_here() -> None:
    sent = sent_functions()
    assert {f["name"] for f in sent} == {"Judgement", "Enrichment", "SceneAnswer", "Texts", "EmotionReading"}
    walked = [strict_json_schema(model, constraints=c) for model in STATIC_SCHEMAS for c in (False, True)]
    for function in sent:
        assert strict_violations(function["parameters"]) == [], function
        assert function["parameters"] in walked, function  # so the round-trip tests above cover it


def assert_answers_round_trip(model: type[BaseModel]) -> None:
    strict = strict_json_schema(model)
    for answer in answers(model.model_json_schema()):
        assert conforms(answer, strict, strict), answer
        model.model_validate(answer)


def test_judgement_has_no_default_and_requires_a_described_confidence() -> None:
    schema = Judgement.model_json_schema()
    assert "default" not in json.dumps(schema) and "confidence" in schema["required"]
    confidence = strict_json_schema(Judgement)["properties"]["confidence"]
    assert confidence["type"] == "number" and "between 0 and 1" in confidence["description"]


def test_the_fidelity_reading_can_always_answer_other() -> None:
    one = strict_json_schema(reading_schema(("joy",)))["properties"]["emotion"]
    assert one["enum"] == ["joy", OTHER] and "const" not in one
    many = strict_json_schema(reading_schema(("joy", "anger")))["properties"]["emotion"]
    assert many["enum"] == ["joy", "anger", OTHER]
    assert reading_schema(("joy",)).model_validate({"reason": "a timetable", "emotion": OTHER}).emotion == OTHER


def enforcing_asker(answer: dict[str, Any]):
    """A model behind a server that holds it to the strict schema: an answer outside the schema cannot happen."""

    async def ask(messages: list[Any], schema: type[BaseModel]) -> BaseModel:
        strict = strict_json_schema(schema)
        if not conforms(answer, strict, strict):
            raise AssertionError(f"the server would never let the model answer {answer}")
        return schema.model_validate(answer)

    return ask


def judge(text: str, emotions: list[str], answer: dict[str, Any]):
    persona = BasePersona(id="p1", index=0, locale="us", age=30, gender="female", occupation="Cashiers", mbti="ESFJ")
    candidate = Candidate(Stage.EXPRESSION, persona, expression=Expression(emotion=emotions[0], text=text),
                          emotions=emotions, asker=enforcing_asker(answer))
    return asyncio.run(emotion_fidelity(candidate))


def test_a_single_emotion_runs_judge_can_reject_a_text_without_that_emotion() -> None:
    verdict = judge("The bus leaves at 7:40.", ["joy"], {"reason": "a timetable, no feeling", "emotion": OTHER})
    assert not verdict.passed and verdict.reasons == ["reads as none of joy: a timetable, no feeling"]
    verdict = judge("What a day, we won!", ["joy"], {"reason": "delight at winning", "emotion": "joy"})
    assert verdict.passed


def test_with_several_emotions_the_judge_names_the_one_it_read() -> None:
    verdict = judge("Grandma's chair is empty.", ["joy", "sadness"], {"reason": "grief", "emotion": "sadness"})
    assert not verdict.passed and verdict.reasons == ["reads as sadness, not joy: grief"]
    verdict = judge("The bus leaves at 7:40.", ["joy", "sadness"], {"reason": "flat", "emotion": OTHER})
    assert verdict.reasons == ["reads as none of joy, sadness: flat"]


def test_the_fidelity_prompt_offers_other_and_shows_it() -> None:
    prompt = "\n".join(str(m.content) for m in render("emotion_fidelity", options="joy", text="hi"))
    assert 'choosing one of: joy. Answer "other"' in prompt and '"emotion": "other"}' in prompt


class Inner(BaseModel):
    """A nested object."""

    word: str = Field(min_length=2, description="A word.")


class Rich(BaseModel):
    """Everything pydantic emits that strict mode refuses."""

    score: float = Field(default=0.5, ge=0.0, le=1.0, description="A score.")
    count: int = Field(gt=0, description="How many")
    note: str | None = Field(default=None, description="A note, if any.")
    picks: list[str] = Field(min_length=2, max_length=2, description="Two picks.")
    mood: Literal["calm"] = "calm"
    inner: Inner = Field(description="The inner object.")
    inners: list[Inner] = Field(default_factory=list)


def test_refused_keywords_become_words_and_every_object_is_closed() -> None:
    schema = strict_json_schema(Rich)
    props = schema["properties"]
    assert schema["required"] == list(props) and schema["additionalProperties"] is False
    assert props["score"] == {"description": 'A score (between 0 and 1; default 0.5).', "type": "number"}
    assert props["count"]["description"] == "How many (more than 0)"
    assert props["picks"]["description"] == "Two picks (exactly 2 items)."
    assert {"type": "null"} in props["note"]["anyOf"]  # optional: a union with null, still required
    inner = schema["$defs"]["Inner"]
    assert inner["required"] == ["word"] and inner["additionalProperties"] is False
    assert inner["properties"]["word"]["description"] == "A word (at least 2 characters)."
    assert props["inner"]["additionalProperties"] is False  # a $ref with a description, inlined
    assert props["inners"]["items"] == {"$ref": "#/$defs/Inner"}
    assert "title" not in json.dumps(schema) and "default\"" not in json.dumps(schema)
    assert strict_violations(schema, AZURE_KEYWORDS) == []
    assert_answers_round_trip(Rich)


def test_constraints_true_keeps_openais_per_type_constraints_as_keywords() -> None:
    props = strict_json_schema(Rich, constraints=True)["properties"]
    assert props["score"] == {"description": "A score (default 0.5).", "type": "number", "minimum": 0, "maximum": 1}
    assert props["picks"]["minItems"] == props["picks"]["maxItems"] == 2
    assert props["picks"]["description"] == "Two picks."
    word = strict_json_schema(Rich, constraints=True)["$defs"]["Inner"]["properties"]["word"]
    assert "minLength" not in word and "at least 2 characters" in word["description"]  # not in OpenAI's list
    with_constraints = strict_json_schema(Rich, constraints=True)
    assert strict_violations(with_constraints) == [] and strict_violations(with_constraints, AZURE_KEYWORDS) != []


def test_the_models_own_schema_is_left_alone() -> None:
    before = json.dumps(Rich.model_json_schema())
    strict_json_schema(Rich)
    assert json.dumps(Rich.model_json_schema()) == before


# -- a tiny answer generator (honours the model's own constraints) and a validator for the strict subset --

def answers(schema: dict[str, Any]) -> list[Any]:
    """Answers to `schema`: one per value of each enum (the rest fixed), so every choice is tried."""
    first = example(schema, schema)
    out = [first]
    for name, prop in schema.get("properties", {}).items():
        for value in resolve(prop, schema).get("enum", [])[1:]:
            out.append({**first, name: value})
    return out


def resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    target = root if ref == "#" else root["$defs"][ref.removeprefix("#/$defs/")]
    return {**target, **{k: v for k, v in node.items() if k != "$ref"}}


def example(node: dict[str, Any], root: dict[str, Any]) -> Any:
    node = resolve(node, root)
    if "const" in node or "enum" in node:
        return node.get("const", (node.get("enum") or [None])[0])
    if "anyOf" in node:
        return example(node["anyOf"][0], root)
    kind = node.get("type")
    if kind == "object":
        return {name: example(sub, root) for name, sub in node.get("properties", {}).items()}
    if kind == "array":
        return [example(node.get("items", {}), root) for _ in range(max(1, node.get("minItems", 1)))]
    if kind in ("number", "integer"):
        low = node.get("minimum", node.get("exclusiveMinimum", 0) + 1 if "exclusiveMinimum" in node else 1)
        return int(low) if kind == "integer" else float(low)
    if kind == "boolean":
        return True
    return "word" * max(1, node.get("minLength", 1))


def conforms(value: Any, node: dict[str, Any], root: dict[str, Any]) -> bool:
    """Whether `value` is valid under a strict-subset schema (types, enum/const, anyOf, $ref, closed objects)."""
    node = resolve(node, root)
    if "anyOf" in node:
        return any(conforms(value, branch, root) for branch in node["anyOf"])
    if "enum" in node and value not in node["enum"] or "const" in node and value != node["const"]:
        return False
    kinds = node.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds or []
    checks = {"object": lambda v: isinstance(v, dict) and set(v) == set(node.get("required", []))
              and all(conforms(v[k], s, root) for k, s in node.get("properties", {}).items()),
              "array": lambda v: isinstance(v, list) and all(conforms(i, node.get("items", {}), root) for i in v),
              "string": lambda v: isinstance(v, str), "boolean": lambda v: isinstance(v, bool),
              "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
              "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
              "null": lambda v: v is None}
    return not kinds or any(checks[k](value) for k in kinds)

