"""Scenario vocabularies: the kinds of place, activity, partner, medium and language style a scene draws on.

Input: personas/tables/scenario_vocab.json (English), or the locale's vocabulary for the language of the texts
when it has one (personas/tables/<locale>/scenario_vocab.<language>.json, e.g. jp/scenario_vocab.ja.json: Japanese
places, media and registers for Japanese texts), optionally overridden per key by a dict from the user config.
Keys starting with "_" (such as "_about") are notes, not slots.
Output: a validated, immutable `Vocab`; personas/scenario_slots.py draws a persona's values from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from personagen.errors import InputError

TABLES_DIR = Path(__file__).parent / "tables"
VOCAB_FILE = TABLES_DIR / "scenario_vocab.json"

# vocabulary key -> Scenario field it fills
SLOTS = {
    "locations": "location",
    "activities": "activity",
    "partners": "partner",
    "media": "medium",
    "language_styles": "language_style",
}


@dataclass(frozen=True)
class Vocab:
    """One tuple of choices per scenario slot."""

    locations: tuple[str, ...]
    activities: tuple[str, ...]
    partners: tuple[str, ...]
    media: tuple[str, ...]
    language_styles: tuple[str, ...]


def _clean(key: str, values: object, origin: str) -> tuple[str, ...]:
    """Check one vocabulary list: a non-empty list of non-empty strings (duplicates dropped, order kept)."""
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise InputError(f"{origin}: scenario vocabulary {key!r} must be a list of strings")
    cleaned = tuple(dict.fromkeys(v.strip() for v in values if v.strip()))
    if not cleaned:
        raise InputError(f"{origin}: scenario vocabulary {key!r} is empty; give at least one value")
    return cleaned


def _check_keys(data: dict, origin: str, *, require_all: bool) -> None:
    unknown = sorted(set(data) - set(SLOTS))
    if unknown:
        raise InputError(f"{origin}: unknown scenario vocabulary key(s) {unknown}; valid keys: {list(SLOTS)}")
    missing = [k for k in SLOTS if k not in data]
    if require_all and missing:
        raise InputError(f"{origin}: scenario vocabulary is missing key(s) {missing}")


def vocab_file(locale: str | None = None, language: str | None = None) -> Path:
    """The shipped vocabulary for a locale and language of the texts: the locale's own file for that language
    when there is one (tables/<locale>/scenario_vocab.<language>.json), else the default (English) one."""
    if locale and language:
        own = TABLES_DIR / locale / f"scenario_vocab.{language}.json"
        if own.is_file():
            return own
    return VOCAB_FILE


def load_vocab(overrides: dict | None = None, path: Path | None = None, *, locale: str | None = None,
               language: str | None = None) -> Vocab:
    """The shipped vocabulary (for `locale` and `language`, see `vocab_file`; or the JSON file `path`) with each
    key in `overrides` replacing its list.

    Raises InputError naming the key when a list is empty or not a list of strings, or a key is unknown.
    """
    path = path or vocab_file(locale, language)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: cannot read scenario vocabulary ({exc})") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path}: scenario vocabulary must be a JSON object")
    data = {k: v for k, v in data.items() if not k.startswith("_")}
    _check_keys(data, str(path), require_all=True)
    merged = {k: _clean(k, v, str(path)) for k, v in data.items()}
    if overrides:
        if not isinstance(overrides, dict):
            raise InputError("scenario vocabulary overrides must be a mapping of key -> list of strings")
        _check_keys(overrides, "config", require_all=False)
        merged.update({k: _clean(k, v, "config") for k, v in overrides.items()})
    return Vocab(**merged)

