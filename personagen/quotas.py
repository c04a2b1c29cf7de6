"""Quotas: `--texts N` sizes a run by the texts it must yield, not by its personas.

Input: the target N, the run's emotions, the texts each persona writes per emotion (k), the shard, and, after each
round, the texts counted per emotion. Output: rounds of personas, each persona asked for some of the emotions,
until every emotion has its quota; quota.json in the run folder records each round before it runs, so a resumed
run replays the same rounds and then plans on from the same counts.

- Each emotion's quota is ceil(N / emotions); a shard I/M gets ceil(quota / M) of it (the merged run has them all).
- Round 1 asks ceil(quota / k) personas for every emotion, as if every text were kept.
- After a round, the counted texts (accepted ones, minus those curation sets aside as near-duplicates when
  curation is on) give each emotion's yield per persona asked for it; the next round asks, per emotion still
  short, ceil(shortfall / yield) personas (at most twice the personas so far). A round's first
  personas write every emotion still short, the later ones only those that need more (persona i of a round
  writes emotion e when i < asks[e]).
- Rounds depend only on counts, never on timing: the same seed and model answers give the same rounds, however
  many personas run at once. Personas are numbered on from round to round (shard I/M: indices I, I+M, ...).
- A run stops short (failed, resumable) when an emotion has no text after STALL_ASKED personas were asked for
  it, or after MAX_ROUNDS rounds; the message names the emotions and what to look at.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Container, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from personagen.errors import RunFailure
from personagen.graph.runner import RunPlan, RunStopped, parse_shard
from personagen.kept import kept_per_emotion
from personagen.runformat.lines import iter_jsonl, read_json
from personagen.settings import Settings

QUOTA_FILE = "quota.json"
MAX_ROUNDS = 30
STALL_ASKED = 10


class QuotaShort(RunFailure):
    """The quota cannot be met as the run stands; the message says which emotions are short and why."""


@dataclass(frozen=True)
class Round:
    """One round: personas at positions start .. start + size - 1, each asked for some emotions."""

    number: int
    start: int
    asks: dict[str, int]  # emotion -> how many of the round's personas write it (the first ones)
    counted: dict[str, int]  # texts counted per emotion when the round was planned

    @property
    def size(self) -> int:
        return max(self.asks.values(), default=0)

    def emotions_at(self, position: int, emotions: list[str]) -> list[str]:
        """The emotions the persona at `position` (a run-wide position) writes, in the run's order."""
        return [e for e in emotions if position - self.start < self.asks.get(e, 0)]


def quota_per_emotion(texts: int, emotions: list[str], shards: int = 1) -> dict[str, int]:
    share = math.ceil(math.ceil(texts / len(emotions)) / shards)
    return dict.fromkeys(emotions, share)


def asked_so_far(rounds: list[Round]) -> Counter[str]:
    asked: Counter[str] = Counter()
    for r in rounds:
        asked.update(r.asks)
    return asked


def next_round(rounds: list[Round], counted: dict[str, int], quota: dict[str, int], per_persona: int) -> Round | None:
    """The round after `rounds` given the texts counted now; None when every emotion has its quota.

    Raises QuotaShort when an emotion cannot get there (see the module doc)."""
    short = {e: q - counted.get(e, 0) for e, q in quota.items() if counted.get(e, 0) < q}
    if not short:
        return None
    asked = asked_so_far(rounds)
    stalled = [e for e in short if counted.get(e, 0) == 0 and asked[e] >= STALL_ASKED]
    if stalled or len(rounds) >= MAX_ROUNDS:
        raise QuotaShort(short_message(short, quota, asked, stalled, len(rounds)))
    so_far = sum(r.size for r in rounds)
    asks = {e: personas_for(need, counted.get(e, 0), asked[e], per_persona) for e, need in short.items()}
    if so_far:  # a yield measured on few personas may be far off: a round adds at most twice the personas so far
        asks = {e: min(n, 2 * so_far) for e, n in asks.items()}
    return Round(len(rounds) + 1, so_far, asks, dict(counted))


def personas_for(need: int, counted: int, asked: int, per_persona: int) -> int:
    """Personas to ask for an emotion short by `need` texts, from its yield so far (k per persona at first)."""
    if asked == 0:
        return math.ceil(need / per_persona)
    per_persona_kept = max(counted, 0.5) / asked  # no text yet: assume half of one over all asked
    return max(1, math.ceil(need / per_persona_kept))


def short_message(short: dict[str, int], quota: dict[str, int], asked: Counter[str], stalled: list[str],
                  rounds: int) -> str:
    state = ", ".join(f"{e} {quota[e] - n} of {quota[e]} ({asked[e]} personas asked)" for e, n in short.items())
    why = (f"no {', '.join(stalled)} text was kept after {STALL_ASKED} or more personas"
           if stalled else f"the quota was not met in {rounds} rounds")
    return (f"quota not met: {why}; texts kept so far: {state}. See which critic rejects them with `personagen "
            "inspect RUN --critics`; make it advisory or disable it, or lower --texts")


def count_texts(folder: Path, emotions: list[str], curated: bool, language: str,
                note: Callable[[str], None]) -> tuple[dict[str, int], bool]:
    """Kept texts per emotion in the run so far (personagen/kept.py), near-duplicates set aside only when
    `curated` (and curation can run); (counts, whether curation was applied)."""
    records = folder / "records.jsonl"  # streamed (read again below): memory does not grow with the run
    accepted = kept_per_emotion(iter_jsonl(records))
    counts = {e: accepted.get(e, 0) for e in emotions}
    if not curated or not any(counts.values()):
        return counts, curated
    try:
        from personagen.curation.corpus import load_corpus
        from personagen.curation.engine import CACHE_FOLDER, CurationOptions, curate_corpus

        options = CurationOptions(cache_dir=folder / CACHE_FOLDER, write=False)  # the live worker writes edges
        removed = {r.id for r in curate_corpus(load_corpus(folder, language), options).removals}
    except (ImportError, ValueError) as exc:  # a missing extra or model (CurationError): count accepted texts
        note(f"quota counts accepted texts, near-duplicates included: curation cannot run ({exc})")
        return counts, False
    kept = kept_per_emotion(iter_jsonl(records), removed)
    return {e: kept.get(e, 0) for e in emotions}, True


@dataclass
class QuotaBook:
    """quota.json: the target, the quotas, and every round planned so far."""

    texts: int
    quota: dict[str, int]
    per_persona: int
    rounds: list[Round]
    curated: bool

    def as_json(self, counted: dict[str, int] | None = None) -> dict[str, Any]:
        doc = {"texts": self.texts, "quota": self.quota, "texts_per_emotion": self.per_persona,
               "curated": self.curated, "rounds": [asdict(r) for r in self.rounds]}
        return {**doc, "counted": counted} if counted is not None else doc

    def summary(self, counted: dict[str, int]) -> dict[str, Any]:
        """The run summary's `quota` entry."""
        return {"texts": self.texts, "rounds": len(self.rounds), "curated": self.curated,
                "per_emotion": {e: {"quota": q, "counted": counted.get(e, 0)} for e, q in self.quota.items()}}


def read_rounds(folder: Path) -> list[Round]:
    """The rounds a run recorded (none for a new run)."""
    doc = read_json(folder / QUOTA_FILE) or {}
    return [Round(**r) for r in doc.get("rounds", [])]


class QuotaRounds:
    """Plans a `--texts` run round by round (see the module doc) and records each round in quota.json.

    `plans()` yields one RunPlan per round that still has personas to run: first the rounds a resumed run
    recorded (without the personas in `done`), then new ones until the quota is met; it raises RunStopped
    (failed) when the quota cannot be met. `counted` holds the last counts."""

    def __init__(self, settings: Settings, emotions: list[str], folder: Path, write_json: Callable[[str, Any], None],
                 done: Container[int], note: Callable[[str], None]) -> None:
        run = settings.run
        self.run, self.emotions, self.folder, self.write_json = run, emotions, folder, write_json
        self.done, self.note = done, note
        self.shard = parse_shard(run.shard)
        self.book = QuotaBook(int(run.texts or 0), quota_per_emotion(int(run.texts or 0), emotions, self.shard[1]),
                              run.texts_per_emotion, read_rounds(folder), run.curate)
        self.counted: dict[str, int] = {}
        self.planned = 0  # personas of all rounds so far

    def plans(self) -> Iterator[RunPlan]:
        for recorded in list(self.book.rounds):
            self.planned += recorded.size
            yield self.plan_of(recorded)
        while True:
            self.counted, self.book.curated = count_texts(self.folder, self.emotions, self.book.curated,
                                                          self.run.language, self.note)  # a fallback is said once
            try:
                upcoming = next_round(self.book.rounds, self.counted, self.book.quota, self.book.per_persona)
            except QuotaShort as exc:
                raise RunStopped("failed", str(exc)) from None
            if upcoming is None:
                self.write_json(QUOTA_FILE, self.book.as_json(self.counted))
                return
            self.book.rounds.append(upcoming)
            self.write_json(QUOTA_FILE, self.book.as_json())
            self.planned += upcoming.size
            self.note(round_note(upcoming, self.book.quota))
            yield self.plan_of(upcoming)

    def index_of(self, position: int) -> int:
        first, step = self.shard
        return first + position * step

    def plan_of(self, r: Round) -> RunPlan:
        indices = [self.index_of(p) for p in range(r.start, r.start + r.size) if self.index_of(p) not in self.done]
        first, step = self.shard
        return RunPlan(indices, self.run.seed, self.run.concurrency, len(indices),
                       emotions_of=lambda index: r.emotions_at((index - first) // step, self.emotions))


def round_note(r: Round, quota: dict[str, int]) -> str:
    asks = ", ".join(f"{e} {n}" for e, n in r.asks.items())
    have = ", ".join(f"{e} {r.counted.get(e, 0)}/{q}" for e, q in quota.items())
    return f"quota round {r.number}: {r.size} personas (asked per emotion: {asks}); texts kept so far: {have}"
