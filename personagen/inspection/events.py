"""Reading single events of events.jsonl, and the filters shared by `inspect` views.

Events are plain dicts (docs/run-format.md); these accessors tolerate missing keys so that a run written by an
older or newer version still reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

STAGES = ("base", "socio", "scenario", "expression")

Event = dict[str, Any]


def data_of(event: Event) -> dict[str, Any]:
    data = event.get("data")
    return data if isinstance(data, dict) else {}


def stage_of(event: Event) -> str | None:
    """The stage an event belongs to: its own `stage`, or the one in its data."""
    stage = event.get("stage") or data_of(event).get("stage")
    return str(stage) if stage else None


def critic_of(event: Event) -> str | None:
    """The critic behind a verdict or a critic's model call (agent `critic:<name>`)."""
    name = data_of(event).get("critic") if event.get("type") == "verdict" else None
    agent = str(event.get("agent") or "")
    if not name and agent.startswith("critic:"):
        name = agent.removeprefix("critic:")
    return str(name) if name else None


def emotions_of(event: Event) -> list[str]:
    """The target emotions an event is about: its own, its candidate's, or those of the texts it holds."""
    data = data_of(event)
    emotion = event.get("emotion") or data.get("emotion")
    if not emotion and isinstance(data.get("candidate"), dict):
        emotion = data["candidate"].get("emotion")
    if emotion:
        return [str(emotion)]
    found: list[str] = []
    parsed = data.get("parsed") if isinstance(data.get("parsed"), dict) else {}
    for key, holder in ((k, h) for h in (data, parsed) for k in ("texts", "expressions")):
        for item in holder.get(key) or []:
            value = item.get("emotion") if isinstance(item, dict) else None
            if value and str(value) not in found:
                found.append(str(value))
    return found


def emotion_of(event: Event) -> str | None:
    """The target emotion an event is about, when it is about exactly one."""
    found = emotions_of(event)
    return found[0] if len(found) == 1 else None


def passed_of(event: Event) -> bool | None:
    """For a verdict: whether it passed."""
    if event.get("type") != "verdict":
        return None
    return bool(data_of(event).get("passed"))


def is_rejection(event: Event) -> bool:
    """A failed verdict, a retry, a drop, a failed model call, an error or a dropped persona."""
    kind = event.get("type")
    data = data_of(event)
    if kind == "verdict":
        return not data.get("passed")
    if kind in ("retry", "drop", "error"):
        return True
    if kind == "llm_call":
        return bool(data.get("error"))
    if kind == "persona_done":
        return data.get("status") == "dropped"
    return False


@dataclass(frozen=True)
class EventFilter:
    """What `--rejected`, `--critic NAME` and `--emotion NAME` keep.

    - critic: verdicts and model calls of other critics are left out (other agents' events stay).
    - emotion: events not about that emotion (an output holding several texts is about each of their
      emotions), and expression-stage events about no known emotion, are left out; persona-level events
      (base, socio, scenario) stay so the journey keeps its context.
    - rejected: only failed verdicts, retries, drops, failed calls, errors and dropped personas.
    """

    rejected: bool = False
    critic: str | None = None
    emotion: str | None = None

    @property
    def active(self) -> bool:
        return self.rejected or self.critic is not None or self.emotion is not None

    def keep(self, event: Event) -> bool:
        if self.critic is not None:
            critic = critic_of(event)
            if critic is not None and critic != self.critic:
                return False
        if self.emotion is not None:
            emotions = emotions_of(event)
            if emotions and self.emotion not in emotions:
                return False
            if not emotions and stage_of(event) == "expression":
                return False
        return not self.rejected or is_rejection(event)

    def apply(self, events: list[Event]) -> list[Event]:
        return [e for e in events if self.keep(e)] if self.active else list(events)
