"""Human-likeness: an LLM judge rates each text 1-5 on five criteria, with a reason.

Input: a `ModelHandle` for the judge, texts with their emotion labels, a sample size and a concurrency bound.
Output: one `Judgement` per judged text (scores or the error that prevented them) and `summarise()` of them:
mean and 1-5 distribution per criterion, means per emotion, and the lowest-rated texts with their reasons.
The prompt is prompts/judge.md, a template in the agents' format (read by `personagen.agents.prompting`).
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage
from pydantic import BaseModel, Field

from personagen.agents.llm import ModelHandle, ask
from personagen.agents.prompting import fill, read_template
from personagen.evaluation.errors import EvalError

PROMPT_PATH = Path(__file__).parent / "prompts" / "judge.md"
JUDGE_TEMPERATURE = 0.0  # the judge's default (a config file's [models.judge] temperature wins): repeatable scores
CRITERIA = ("grammaticality", "logical_structure", "vocabulary", "naturalness", "emotion_clarity")


class JudgeScores(BaseModel):
    """The judge's ratings of one text."""

    grammaticality: int = Field(
        ge=1, le=5, description="1-5: spelling, grammar and punctuation for the register."
    )
    logical_structure: int = Field(
        ge=1, le=5, description="1-5: the text is coherent and its sentences connect."
    )
    vocabulary: int = Field(
        ge=1, le=5, description="1-5: the words suit the situation, speaker and register."
    )
    naturalness: int = Field(ge=1, le=5, description="1-5: reads as written by a real person, not a machine.")
    emotion_clarity: int = Field(
        ge=1, le=5, description="1-5: a reader can tell the writer feels the emotion."
    )
    reason: str = Field(description="One sentence explaining the ratings, especially the lowest ones.")


@dataclass
class Judgement:
    """The judge's answer for one text, or the error that prevented one."""

    record_id: str
    emotion: str
    text: str
    scores: dict[str, int] | None = None
    reason: str = ""
    error: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    latency_s: float = 0.0


def judge_messages(text: str, emotion: str) -> list[BaseMessage]:
    """The judge prompt for one text."""
    return fill(read_template(PROMPT_PATH), text=text, emotion=emotion)


async def judge_one(handle: ModelHandle, record: dict[str, Any]) -> Judgement:
    """Ask the judge about one record; a failed call becomes a Judgement with `error` set."""
    judgement = Judgement(str(record.get("id", "")), str(record["emotion"]), str(record["text"]))
    try:
        answer = await ask(handle, judge_messages(judgement.text, judgement.emotion), JudgeScores)
    except Exception as exc:  # noqa: BLE001 - one failed call must not sink the whole evaluation
        judgement.error = f"{type(exc).__name__}: {str(exc)[:300]}"
        return judgement
    parsed = answer.parsed
    judgement.scores = {name: int(getattr(parsed, name)) for name in CRITERIA}
    judgement.reason = parsed.reason
    judgement.tokens_in, judgement.tokens_out, judgement.latency_s = (
        answer.tokens_in,
        answer.tokens_out,
        round(answer.latency_s, 3),
    )
    return judgement


def sample_records(records: list[dict[str, Any]], size: int, seed: int = 0) -> list[dict[str, Any]]:
    """A seeded sample of `size` records (all when fewer), in their original order."""
    if size <= 0 or size >= len(records):
        return list(records)
    chosen = sorted(random.Random(seed).sample(range(len(records)), size))
    return [records[i] for i in chosen]


async def judge_records(
    handle: ModelHandle, records: list[dict[str, Any]], concurrency: int = 8
) -> list[Judgement]:
    """Judge every record, at most `concurrency` calls in flight; raises EvalError when every call fails."""
    gate = asyncio.Semaphore(max(1, concurrency))

    async def bounded(record: dict[str, Any]) -> Judgement:
        async with gate:
            return await judge_one(handle, record)

    judgements = list(await asyncio.gather(*(bounded(r) for r in records)))
    if judgements and all(j.error for j in judgements):
        raise EvalError(
            f"the judge model {handle.name!r} failed on every text (first error: {judgements[0].error}); "
            "check --judge-model / --base-url, or skip the judge with --no-judge"
        )
    return judgements


def summarise(judgements: list[Judgement], worst: int = 5) -> dict[str, Any]:
    """Means, 1-5 distributions and per-emotion means of the scores, plus the lowest-rated texts."""
    scored = [j for j in judgements if j.scores]
    summary: dict[str, Any] = {"n_judged": len(scored), "n_failed": len(judgements) - len(scored)}
    if not scored:
        return summary
    summary["mean"] = {c: round(sum(j.scores[c] for j in scored) / len(scored), 3) for c in CRITERIA}
    summary["overall_mean"] = round(sum(summary["mean"].values()) / len(CRITERIA), 3)
    summary["distribution"] = {
        c: {str(k): Counter(j.scores[c] for j in scored).get(k, 0) for k in range(1, 6)} for c in CRITERIA
    }
    groups: dict[str, list[Judgement]] = defaultdict(list)
    for j in scored:
        groups[j.emotion].append(j)
    summary["per_label"] = {
        label: {c: round(sum(j.scores[c] for j in group) / len(group), 3) for c in CRITERIA}
        | {"n": len(group)}
        for label, group in sorted(groups.items())
    }
    ranked = sorted(scored, key=lambda j: sum(j.scores.values()))[:worst]
    summary["lowest"] = [asdict(j) for j in ranked]
    summary["errors"] = [j.error for j in judgements if j.error][:5]
    return summary
