"""What the `inspect` views ask of an event, and the filters they share.

Events are the typed models of agents/events.py (`Run.events` parses events.jsonl into them).
Events about one text (its writing call, verdicts, retries, drop, critic errors) carry its `emotion` and `slot`;
the emotion writer's `output` holds its candidate texts, each with its emotion.
"""

from __future__ import annotations

from dataclasses import dataclass

from personagen.agents.events import (
    CRITIC_PREFIX,
    AboutText,
    DropEvent,
    ErrorEvent,
    Event,
    LlmCallEvent,
    OutputEvent,
    RetryEvent,
    TextData,
    VerdictEvent,
)

STAGES = ("base", "socio", "scenario", "expression")


def critic_of(event: Event) -> str | None:
    """The critic behind a verdict, a critic's model call or a critic's error (agent `critic:<name>`)."""
    if isinstance(event, VerdictEvent):
        return event.data.critic
    return event.agent.removeprefix(CRITIC_PREFIX) if event.agent.startswith(CRITIC_PREFIX) else None


def texts_of(event: Event) -> list[TextData]:
    """The candidate texts of an emotion writer's `output` (none for any other event)."""
    if isinstance(event, OutputEvent) and isinstance(event.data, list):
        return event.data
    return []


def emotions_of(event: Event) -> list[str]:
    """The target emotions of an event: its own, or those of the texts it holds."""
    if isinstance(event, AboutText) and event.emotion:
        return [event.emotion]
    found: list[str] = []
    for text in texts_of(event):
        if text.emotion not in found:
            found.append(text.emotion)
    return found


def emotion_of(event: Event) -> str | None:
    """The target emotion an event is about, when it is about exactly one."""
    found = emotions_of(event)
    return found[0] if len(found) == 1 else None


def is_rejection(event: Event) -> bool:
    """A failed verdict, a retry, a drop, a model answer that did not parse, or a critic's error."""
    if isinstance(event, VerdictEvent):
        return not event.data.passed
    if isinstance(event, LlmCallEvent):
        return event.data.error is not None
    return isinstance(event, RetryEvent | DropEvent | ErrorEvent)


@dataclass(frozen=True)
class EventFilter:
    """What `--rejected`, `--critic NAME` and `--emotion NAME` keep.

    - critic: verdicts, model calls and errors of other critics are left out (other agents' events stay).
    - emotion: events not about that emotion (an output holding several texts is about each of their
      emotions), and expression-stage events about no emotion, are left out; persona-level events
      (base, socio, scenario) stay so the journey keeps its context.
    - rejected: only failed verdicts, retries, drops, failed calls and errors.
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
            if not emotions and event.stage == "expression":
                return False
        return not self.rejected or is_rejection(event)

    def apply(self, events: list[Event]) -> list[Event]:
        return [e for e in events if self.keep(e)] if self.active else list(events)
