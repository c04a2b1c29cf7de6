"""Reading run folders written by other versions of personagen (CHANGELOG.md says what changed).

config.json holds `version` (the personagen that wrote the run) and, from format 2, `format` (this package's
FORMAT when written; runs without it are format 1). A run in an older format is read through the upgrades below;
a newer format, or stored settings this version cannot read, is refused with a RunFormatError (exit 2) that says
which version wrote the run and what does not fit.

Format history:
  1  (personagen 0.1.0 before `format`) the stored settings leave out `run.curate`: a resume cannot know whether
     the run was curated, so it takes `--curate/--no-curate` as given (`UNKNOWN_IN`).
  2  `run.curate` is stored and part of the resume signature.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

import personagen
from personagen.runformat.errors import RunFormatError
from personagen.runformat.models import FORMAT, RunConfig
from personagen.settings import Settings, describe

#: settings a run of that format did not store: a resume takes them as given (not part of its signature)
UNKNOWN_IN: dict[int, set[str]] = {1: {"curate"}}


def written_by(raw: dict[str, Any]) -> str:
    version = raw.get("version")
    return f"personagen {version}" if version else "a version of personagen that did not record its version"


def run_format(raw: dict[str, Any]) -> int:
    """The run format of a raw config.json (1 when it has none)."""
    value = raw.get("format", 1)
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def newer_format(raw: dict[str, Any], name: str) -> str | None:
    """Why this version cannot read run `name` in full (a format it does not know), or None."""
    if 1 <= run_format(raw) <= FORMAT:
        return None
    return (f"run {name} is in run format {raw.get('format')!r}, written by {written_by(raw)}; this personagen "
            f"{personagen.__version__} reads formats 1 to {FORMAT}")


def read_run_config(raw: dict[str, Any], name: str) -> RunConfig:
    """config.json of run `name` as a RunConfig; a format this version does not read is a RunFormatError."""
    if (newer := newer_format(raw, name)) is not None:
        raise RunFormatError(f"{newer}: use the version that wrote it (or a newer one)")
    fmt = run_format(raw)
    try:
        return RunConfig.model_validate({**raw, "format": fmt})
    except ValidationError as exc:
        raise RunFormatError(f"run {name} was written by {written_by(raw)} and this is {personagen.__version__}: "
                             f"{describe(exc, 'config.json')}") from None


def stored_settings(raw: dict[str, Any], name: str) -> Settings:
    """The full settings run `name` was started with (config.json `settings`, or a Ray run's ray.json); a run
    whose settings this version cannot read is refused with the version that wrote it."""
    if "settings" not in raw:
        raise RunFormatError(f"run {name} was written by {written_by(raw)}, which kept no settings to resume "
                             "or merge with: start a new run")
    try:
        return Settings.model_validate(raw["settings"])
    except ValidationError as exc:
        raise RunFormatError(f"run {name} was written by {written_by(raw)} and this is {personagen.__version__}: "
                             f"its settings do not fit ({describe(exc, 'config.json')}); resume it with the version "
                             "that wrote it, or start a new run") from None


def unknown_settings(raw: dict[str, Any]) -> set[str]:
    """The [run] settings a run of this format did not store (see UNKNOWN_IN)."""
    return set().union(*(keys for fmt, keys in UNKNOWN_IN.items() if run_format(raw) <= fmt))
