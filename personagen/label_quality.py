"""How far a run's labels can be trusted, from the run folder alone: the figures of the dataset card's
"Label quality" section.

Input: the run folder: labels.jsonl (people's answers, `personagen label`), records.jsonl (the accepted texts and
their verdicts), events.jsonl (every verdict on every draft, the writer's failed answers), personas.jsonl (the
texts dropped, with their last verdicts). Output: plain dicts, and the card's markdown section.
- measured: label accuracy from people's answers (personagen.evaluation.label_accuracy), or None;
- readers: per emotion, how often an emotion-reading critic (the offline classifier `offline_emotion`, the LLM
  judge `emotion_fidelity`) read the target emotion as the text's top emotion, on the accepted texts and on every
  draft it judged; texts it did not judge (another language, an emotion it does not know, no usable answer) are
  left out; a critic that never ran has no row;
- drops: per emotion, the text slots that ran out of attempts, by cause: the critic whose verdict blocked the last
  draft, or the writer's last answer that could not be used (its error kind: e.g. truncated, invalid, a content
  filter), since losses skew the label balance.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from personagen.agents.events import LlmCallEvent, VerdictEvent
from personagen.evaluation.label_accuracy import label_accuracy, rate
from personagen.personas.models import Verdict, blocking_verdicts
from personagen.runformat.folder import iter_events
from personagen.runformat.lines import iter_jsonl

READERS = ("offline_emotion", "emotion_fidelity")
WRITER = "emotion_writer"


def reads_target(verdict: Verdict, target: str) -> bool | None:
    """Whether an emotion-reading critic's verdict read `target` as the top emotion; None when it judged nothing.

    Both readers open their reason with what they read: "reads as <emotion> (0.62)" / "reads as <emotion>: ..."
    for the target, "reads as <other> ...", "leans to <other> ..." or "reads as none of ..." otherwise
    (agents/critics/offline_emotion.py `judge_reading`, agents/critics/judges.py `emotion_fidelity`)."""
    reason = (verdict.reasons or [""])[0]
    if reason.startswith((f"reads as {target} (", f"reads as {target}:")):
        return True
    if reason.startswith(("reads as ", "leans to ")):
        return False
    return None


class Tally:
    """Agreements (k of n) per critic, emotion and population ('kept' or 'drafts')."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])

    def add(self, critic: str, emotion: str, where: str, verdict: Verdict) -> None:
        agrees = reads_target(verdict, emotion)
        if agrees is not None:
            cell = self.counts[(critic, emotion, where)]
            cell[0] += agrees
            cell[1] += 1

    def to_json(self) -> dict[str, dict[str, dict[str, Any]]]:
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for (critic, emotion, where), (k, n) in sorted(self.counts.items()):
            out.setdefault(critic, {}).setdefault(emotion, {})[where] = rate(k, n)
        return out


def scan_events(folder: Path) -> tuple[Tally, dict[tuple[str, str], str]]:
    """(the readers' verdicts on every draft, the error kind of the writer's last failed call per (persona,
    emotion)), from one streaming pass over the typed events."""
    tally, last_error = Tally(), {}
    for event in iter_events(folder / "events.jsonl"):
        if isinstance(event, VerdictEvent) and event.emotion and event.data.critic in READERS:
            tally.add(event.data.critic, event.emotion, "drafts", event.data)
        elif (isinstance(event, LlmCallEvent) and event.agent == WRITER and event.emotion and event.persona_id
              and event.data.error is not None):
            last_error[(event.persona_id, event.emotion)] = event.data.error_kind or "invalid"
    return tally, last_error


def drop_cause(dropped: dict[str, Any], persona_id: str, last_error: dict[tuple[str, str], str]) -> str:
    """Why a text slot was dropped: 'critic <name>' (the first enforced verdict against its last draft), or
    'model answer: <error kind>' (the writer's last answer was unusable), or 'no usable text'."""
    blocking = blocking_verdicts(dropped.get("verdicts") or [])
    if blocking:
        return f"critic {blocking[0].critic}"
    kind = last_error.get((persona_id, str(dropped.get("emotion"))))
    return f"model answer: {kind}" if kind else "no usable text"


def label_quality(folder: Path) -> dict[str, Any]:
    """The figures of the module doc, for the run in `folder`."""
    tally, last_error = scan_events(folder)
    kept: Counter[str] = Counter()
    for record in iter_jsonl(folder / "records.jsonl"):
        emotion = str(record.get("emotion"))
        kept[emotion] += 1
        for verdict in map(Verdict.model_validate, record.get("verdicts") or []):
            if verdict.critic in READERS:
                tally.add(verdict.critic, emotion, "kept", verdict)
    drops: dict[str, Counter[str]] = defaultdict(Counter)
    for persona in iter_jsonl(folder / "personas.jsonl"):
        for dropped in persona.get("dropped_texts") or []:
            drops[str(dropped.get("emotion"))][drop_cause(dropped, str(persona.get("id")), last_error)] += 1
    return {"measured": label_accuracy(folder), "readers": tally.to_json(), "accepted": dict(kept),
            "drops": {emotion: dict(causes) for emotion, causes in sorted(drops.items())}}
