"""The probe's second question: the largest schema a run sends, so a mode that handles a toy schema but refuses
the real ones (a strict-schema rule, a cap too small for the longest answer) is not chosen.

The candidates are the agents' own output schemas at their largest: the writer's texts at the run's count, the
enricher's background with every table field the model may have to write, and the LLM critics' judgement. The
largest by the size of its strict JSON schema is asked for.
"""

from __future__ import annotations

import json

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from personagen.agents.critics.judges import Judgement
from personagen.agents.emotion_writer import texts_schema
from personagen.agents.socio_enricher import TABLE_FIELDS, enrichment_schema
from personagen.agents.strict_schema import strict_json_schema

LARGE_MESSAGES = [SystemMessage("You fill in forms with short, plausible example values about a person."),
                  HumanMessage("Fill in the form for this person: a 34-year-old nurse in Columbus, Ohio, who feels "
                               "joy today after a long night shift.")]


def largest_schema(texts_per_emotion: int = 2) -> type[BaseModel]:
    """The largest of the run's output schemas (by its strict JSON schema's size)."""
    candidates = [texts_schema(texts_per_emotion), enrichment_schema(tuple(TABLE_FIELDS)), Judgement]
    return max(candidates, key=lambda schema: len(json.dumps(strict_json_schema(schema))))
