"""The texts curation works on: a run's accepted records in generation order, and their normalised forms.

Input: a run folder (records.jsonl, read tolerantly through personagen.runformat.lines: a torn last line or a line that
is not a JSON object is skipped with a warning). Output: a `Corpus` whose rows are ordered by persona index, then
by position in the file, so "the earliest text" means the same thing on every run with the same seed (the order
of lines in records.jsonl depends on which persona finished first).

`normalise` is what the exact pass compares (Unicode NFKC, case-folded, punctuation dropped, whitespace
collapsed); `shingles` what the lexical pass compares (word trigrams; character trigrams for Japanese, which has
no spaces between words).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from personagen.runformat.lines import iter_jsonl

PUNCTUATION = re.compile(r"[^\w\s]+")
PERSONA_ID = re.compile(r"p(\d+)")
UNSPACED_LANGUAGES = ("ja", "zh", "th")


@dataclass
class Corpus:
    """Texts to curate, in generation order (row i was generated before row i + 1)."""

    ids: list[str]
    texts: list[str]
    emotions: list[str]
    language: str = "en"
    key: str = ""  # fingerprint of the records read (ids in file order): a later curation compares it
    warnings: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)


def records_key(ids_in_file_order: list[str]) -> str:
    """A fingerprint of a run's records: changes when a record is added, removed or reordered."""
    digest = hashlib.sha256()
    for record_id in ids_in_file_order:
        digest.update(record_id.encode("utf-8") + b"\n")
    return f"{len(ids_in_file_order)}:{digest.hexdigest()[:20]}"


def read_record_ids(folder: Path) -> list[str]:
    """The ids of a run's usable records in file order (what `records_key` fingerprints)."""
    return [str(r["id"]) for r in iter_jsonl(folder / "records.jsonl") if usable(r)]


def usable(record: dict[str, Any]) -> bool:
    return bool(record.get("id")) and isinstance(record.get("text"), str) and bool(record["text"].strip())


def generation_order(persona_id: str, line: int) -> tuple[int, int, str, int]:
    """Sort key: persona index (p000012 -> 12), then the record's line; unusual ids sort after, by name."""
    match = PERSONA_ID.fullmatch(persona_id)
    return (0, int(match.group(1)), "", line) if match else (1, 0, persona_id, line)


def load_corpus(folder: Path, language: str = "en") -> Corpus:
    """The run's accepted texts in generation order; skipped lines are listed in `warnings`. Only the four fields
    curation reads are kept per record (a whole record's persona, scenario and verdicts are ~30 times larger)."""
    warnings: list[str] = []
    rows = [Row(str(r["id"]), r["text"], str(r.get("emotion", "")), str(r.get("persona_id", "")))
            for r in iter_jsonl(folder / "records.jsonl", warnings) if usable(r)]
    key = records_key([r.id for r in rows])
    rows = first_of_each_id(rows, warnings)
    order = sorted(range(len(rows)), key=lambda i: generation_order(rows[i].persona_id, i))
    rows = [rows[i] for i in order]
    return Corpus(ids=[r.id for r in rows], texts=[r.text for r in rows], emotions=[r.emotion for r in rows],
                  language=language, key=key, warnings=warnings)


class Row(NamedTuple):
    """What curation reads of a record."""

    id: str
    text: str
    emotion: str
    persona_id: str


def first_of_each_id(rows: list[Row], warnings: list[str]) -> list[Row]:
    """Rows with a new id (a repeated id is a repeated record: export writes it once)."""
    seen: set[str] = set()
    kept = []
    for row in rows:
        if row.id in seen:
            warnings.append(f"record {row.id} appears more than once in records.jsonl: the later copy is ignored")
            continue
        seen.add(row.id)
        kept.append(row)
    return kept


def normalise(text: str) -> str:
    """The form the exact pass compares: NFKC, case-folded, without punctuation, single spaces."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(PUNCTUATION.sub(" ", folded).split())


def shingles(normalised: str, language: str = "en", size: int = 3) -> set[str]:
    """Word `size`-grams (character `size`-grams for languages written without spaces); a text too short to
    have one is its own single shingle."""
    if language in UNSPACED_LANGUAGES:
        units: list[str] = list(normalised.replace(" ", ""))
        joiner = ""
    else:
        units, joiner = normalised.split(), " "
    if len(units) < size:
        return {joiner.join(units)}
    return {joiner.join(units[i : i + size]) for i in range(len(units) - size + 1)}
