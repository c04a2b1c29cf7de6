"""docs/configuration.md, generated from the settings model (personagen/settings.py): every `[section] key`, its
type, default and meaning (the field's description).

    python -m personagen.config_reference            # rewrite docs/configuration.md
    python -m personagen.config_reference --check    # exit 1 when the file is not what the model gives

tests/docs/test_configuration_reference.py runs the check, so a new setting cannot land without its line.
"""

from __future__ import annotations

import json
import sys
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from personagen.errors import PersonaGenError
from personagen.settings import ModelSettings, Settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"
HEADER = """# Configuration reference

<!-- Generated from personagen/settings.py by `python -m personagen.config_reference`; do not edit by hand. -->

`personagen run --config FILE` reads a TOML file; every section is optional, and an option given on the command line
overrides the file. An unknown key is an error that names it. Keys are never read from the file: `api_key_env`
names the environment variable that holds one. The README's "Config file (TOML)" shows a whole file.
"""
BOUNDS = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}


class UndescribedSetting(PersonaGenError):
    """A field of the settings model has no description (a developer's error: the reference cannot be made)."""


def type_name(annotation: Any) -> str:
    """`int`, `"skip" | "stop"`, `list[str]`, ... as a reader of the TOML file sees the type."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return " | ".join(json.dumps(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_name(a) for a in args if a is not type(None))
    if origin in (list, dict):
        return f"{origin.__name__}[{', '.join(type_name(a) for a in args)}]"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    return getattr(annotation, "__name__", str(annotation))


def bounds(field: FieldInfo) -> str:
    """`> 0, <= 100` from the field's constraints; a pattern as `matches ...`."""
    parts = []
    for item in field.metadata:
        for name, sign in BOUNDS.items():
            if getattr(item, name, None) is not None:
                parts.append(f"{sign} {getattr(item, name)}")
        if getattr(item, "pattern", None):
            parts.append(f"matches `{item.pattern}`")
    return ", ".join(parts)


def default_of(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
    elif field.default is PydanticUndefined:
        return "required"
    else:
        value = field.default
    if value is None:
        return "not set"
    if isinstance(value, BaseModel):
        return "see below"
    return f"`{json.dumps(value, ensure_ascii=False)}`"


def rows(model: type[BaseModel]) -> list[str]:
    """One table row per field: key, type, default, meaning."""
    out = []
    for name, field in model.model_fields.items():
        if not field.description:
            raise UndescribedSetting(f"{model.__name__}.{name} has no description: give it Field(description=...)")
        kind = type_name(field.annotation)
        limit = bounds(field)
        kind = f"{kind} ({limit})" if limit else kind
        meaning = " ".join(field.description.split())
        out.append(f"| `{name}` | {kind.replace('|', '&#124;')} | {default_of(field)} | {meaning} |")
    return out


def section(title: str, model: type[BaseModel], about: str) -> str:
    table = ["| key | type | default | meaning |", "|---|---|---|---|", *rows(model)]
    return f"## `{title}`\n\n{' '.join(about.split())}\n\n" + "\n".join(table) + "\n"


def sections() -> list[str]:
    out = []
    for name, field in Settings.model_fields.items():
        if not field.description:
            raise UndescribedSetting(f"Settings.{name} has no description: give it Field(description=...)")
        annotation = field.annotation
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out.append(section(f"[{name}]", annotation, field.description))
        elif typing.get_origin(annotation) is dict and args[-1] is ModelSettings:
            out.append(section(f"[{name}.<name>]", ModelSettings, field.description))
        else:
            out.append(f"## `[{name}]`\n\n{' '.join(field.description.split())} Type: "
                       f"{type_name(annotation)}; default: {default_of(field)}.\n")
    return out


def render() -> str:
    return HEADER + "\n" + "\n".join(sections())


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if DOC.is_file() and DOC.read_text(encoding="utf-8") == text:
            return 0
        print(f"{DOC} is out of date: run python -m personagen.config_reference", file=sys.stderr)
        return 1
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
