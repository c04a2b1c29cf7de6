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
    """The event's data when it is an object (an agent's output may be a list: see `texts_of`)."""
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


def texts_of(event: Event) -> list[Any]:
    """The candidate texts an event holds: a list as data, or under `texts` / `expressions` / `parsed`."""
    data = event.get("data")
    if isinstance(data, list):
        return data
    data = data_of(event)
    parsed = data.get("parsed") if isinstance(data.get("parsed"), dict) else {}
    for holder in (data, parsed):
        for key in ("texts", "expressions"):
            if isinstance(holder.get(key), list):
                return holder[key]
    return []


def emotions_of(event: Event) -> list[str]:
    """The target emotions of an event: its own, its slot's ('joy#1'), or those of the texts it holds."""
    data = data_of(event)
    emotion = event.get("emotion") or data.get("emotion")
    if not emotion and isinstance(data.get("candidate"), dict):
        emotion = data["candidate"].get("emotion")
    if not emotion and isinstance(data.get("slot"), str) and "#" in data["slot"]:
        emotion = data["slot"].rsplit("#", 1)[0]
    if emotion:
        return [str(emotion)]
    found: list[str] = []
    for item in texts_of(event):
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


def attribute_texts(events: list[Event]) -> list[Event]:
    """Events with `emotion` and `slot` filled in on expression-stage critic events that lack them.

    The expression critics judge the texts of each writer `output` one after the other, every critic in a
    fixed order, stopping at the first rejection. So within a persona, a critic event belongs to the next text
    when the current text was rejected, or when this critic already judged the current text.
    """
    state: dict[str, dict[str, Any]] = {}
    out = []
    for event in events:
        pid = event.get("persona_id")
        if stage_of(event) != "expression" or pid is None:
            out.append(event)
            continue
        track = state.setdefault(pid, {"queue": [], "text": None, "seen": set(), "closed": True})
        if event.get("type") == "output":
            track.update(queue=[t for t in texts_of(event) if isinstance(t, dict)], text=None, closed=True)
        critic = critic_of(event)
        if critic is None or event.get("emotion") or data_of(event).get("emotion"):
            out.append(event)
            continue
        judged = event.get("type") in ("verdict", "error")
        if (track["closed"] or critic in track["seen"] or track["text"] is None) and track["queue"]:
            track.update(text=track["queue"].pop(0), seen=set(), closed=False)
        text = track["text"]
        if judged:
            track["seen"].add(critic)
            track["closed"] = event.get("type") == "verdict" and not data_of(event).get("passed")
        out.append({**event, "emotion": text.get("emotion"), "slot": text.get("slot")} if text else event)
    return out
