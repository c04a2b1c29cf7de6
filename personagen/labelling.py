"""Labelling by people: which texts a labelling session shows, in what order, and where the answers go.

Input: a run folder (its kept texts: accepted, minus the near-duplicates set aside by a current curation), how
many to sample, a seed, and optionally a real labelled corpus to draw controls from (`text<TAB>label[<TAB>id]`
files, e.g. GoEmotions-6: a folder's test.tsv, or one .tsv).
Output: `RUN/labels.jsonl`, one `LabelRow` per answer, appended whole (one write of one line, flushed and synced).

The plan is deterministic for a seed: each emotion's kept texts are shuffled by (seed, emotion) and taken in turn,
one emotion after the other, so a sample of N is balanced across emotions and a larger N extends a smaller one;
controls are the real rows whose label is one of the run's emotions, shuffled by the seed; both are mixed by the
seed. Items a labeller already answered are skipped, so a stopped session resumes where it stopped. The text's
target (or a control's real label) is written with the answer, never shown before it.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from personagen.errors import InputError
from personagen.runformat.atomic import atomic_write
from personagen.runformat.lines import iter_jsonl

LABELS_FILE = "labels.jsonl"
OTHER, NO_EMOTION = "other", "no clear emotion"
LABEL_FORMAT = 1


class LabelError(InputError):
    """The labelling cannot start as asked (no kept texts, an unreadable control corpus, ...): exit code 2."""


class LabelRow(BaseModel):
    """One answer of a labelling session: one line of RUN/labels.jsonl (docs/run-format.md, "labels.jsonl")."""

    v: int = Field(default=LABEL_FORMAT, description="Format version.")
    ts: float = Field(description="Unix seconds of the answer.")
    labeller: str = Field(description="Who answered (--labeller).")
    item: str = Field(description="A record id of the run, or 'control:<source file>:<row id>' for a control.")
    kind: Literal["text", "control"] = Field(description="'text': a kept text of the run; 'control': a real one.")
    answer: str = Field(description=f"One of the run's emotions, '{OTHER}' or '{NO_EMOTION}'.")
    truth: str = Field(description="The text's target emotion, or the control's real label (written after the "
                                   "answer, never shown before it).")
    seconds: float = Field(description="Seconds from showing the text to the answer.")
    seed: int = Field(description="Seed of the session's sample.")


@dataclass(frozen=True)
class Item:
    """One text to label: its id, words, kind, and the truth kept from the labeller."""

    item: str
    text: str
    kind: str
    truth: str


def answers(emotions: Iterable[str]) -> list[str]:
    """The choices of a session, in key order: the run's emotions, then "other" and "no clear emotion"."""
    return [*dict.fromkeys(emotions), OTHER, NO_EMOTION]


def run_items(records: list[dict], emotions: list[str], n: int, seed: int) -> list[Item]:
    """N kept texts, balanced across emotions (each emotion's texts shuffled by (seed, emotion), taken in turn)."""
    pools = []
    for emotion in emotions:
        pool = [r for r in records if r.get("emotion") == emotion]
        random.Random(f"{seed}:{emotion}").shuffle(pool)
        pools.append(pool)
    picked: list[Item] = []
    for depth in range(max((len(p) for p in pools), default=0)):
        for pool in pools:
            if depth < len(pool) and len(picked) < n:
                r = pool[depth]
                picked.append(Item(str(r["id"]), str(r["text"]), "text", str(r["emotion"])))
    return picked


def control_file(source: Path) -> Path:
    """The file controls come from: `source` itself, or a folder's test.tsv (else dev.tsv, else train.tsv)."""
    if source.is_file():
        return source
    for name in ("test.tsv", "dev.tsv", "train.tsv"):
        if (source / name).is_file():
            return source / name
    raise LabelError(f"--controls-from {source}: expected a .tsv file (text<TAB>label[<TAB>id]) or a folder with "
                     "test.tsv, dev.tsv or train.tsv")


def control_items(source: Path, emotions: list[str], n: int, seed: str) -> list[Item]:
    """N real labelled texts whose label is one of the run's emotions, shuffled by the seed (the command's seed and
    the run's name: each run gets its own controls, so a labeller who reads several runs does not meet the same
    ones again and their answers to them stay independent)."""
    from personagen.evaluation.corpus import read_tsv
    from personagen.evaluation.errors import EvalError

    path = control_file(source)
    try:
        split = read_tsv(path)
    except EvalError as exc:
        raise LabelError(str(exc)) from None
    rows = [(i, t, lb) for i, (t, lb) in enumerate(zip(split.texts, split.labels, strict=True)) if lb in emotions]
    if not rows:
        raise LabelError(f"{path}: no row is labelled with one of the run's emotions ({', '.join(emotions)})")
    random.Random(f"{seed}:controls").shuffle(rows)
    return [Item(f"control:{path.name}:{i}", text, "control", label) for i, text, label in rows[:n]]


def plan(texts: list[Item], controls: list[Item], seed: int) -> list[Item]:
    """The session's order: texts and controls mixed by the seed."""
    mixed = texts + controls
    random.Random(f"{seed}:order").shuffle(mixed)
    return mixed


def read_labels(folder: Path, warnings: list[str] | None = None) -> list[LabelRow]:
    """The answers in RUN/labels.jsonl (none when there is no file); unreadable lines are skipped with a warning."""
    rows = []
    for line in iter_jsonl(folder / LABELS_FILE, warnings):
        try:
            rows.append(LabelRow.model_validate(line))
        except ValueError:
            if warnings is not None:
                warnings.append(f"{folder / LABELS_FILE}: a line that is no label row skipped")
    return rows


def append_label(folder: Path, row: LabelRow) -> None:
    """Append one answer as one whole line (O_APPEND, a single write, then fsync): a crash loses at most it."""
    data = (row.model_dump_json() + "\n").encode("utf-8")
    fd = os.open(folder / LABELS_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


Ask = Callable[[Item, int, int], str | None]  # (item, its number, how many) -> an answer, UNDO, or None to stop
UNDO = "\x00undo"  # what `ask` returns to take back the previous answer of this session


def drop_answer(folder: Path, labeller: str, item: str) -> None:
    """Take the labeller's last answer to `item` out of labels.jsonl (the file rewritten through a temporary file,
    then swapped in whole)."""
    path = folder / LABELS_FILE
    lines = path.read_bytes().splitlines(keepends=True)
    for i in range(len(lines) - 1, -1, -1):
        try:
            row = json.loads(lines[i])
        except ValueError:
            continue
        if isinstance(row, dict) and row.get("labeller") == labeller and row.get("item") == item:
            del lines[i]
            break
    atomic_write(path, b"".join(lines))


def label_session(folder: Path, items: list[Item], ask: Ask, labeller: str, seed: int) -> tuple[int, int]:
    """Ask for each item the labeller has not answered yet and append each answer; UNDO takes back the previous
    answer of this session and asks that item again. Returns (answered now, left)."""
    done = {r.item for r in read_labels(folder) if r.labeller == labeller}
    todo = [item for item in items if item.item not in done]
    first, at = len(items) - len(todo) + 1, 0
    while at < len(todo):
        item, shown = todo[at], time.monotonic()
        answer = ask(item, first + at, len(items))
        if answer is None:
            break
        if answer == UNDO:
            if at > 0:
                at -= 1
                drop_answer(folder, labeller, todo[at].item)
            continue
        append_label(folder, LabelRow(ts=time.time(), labeller=labeller, item=item.item, kind=item.kind,
                                      answer=answer, truth=item.truth, seconds=round(time.monotonic() - shown, 2),
                                      seed=seed))
        at += 1
    return at, len(todo) - at


def kept_texts(folder: Path) -> tuple[list[dict], str]:
    """(the run's kept texts, which view): the curated view when the run's curation is current, else every
    accepted text (personagen.inspection.coverage.dataset_records, the one place this is decided)."""
    from personagen.curation.corpus import usable
    from personagen.inspection.coverage import dataset_records

    records, _, note = dataset_records(folder)
    return [r for r in records if usable(r) and r.get("emotion")], note
