"""Prompt templates: markdown files rendered into chat messages.

A template file has a `## system` and a `## user` section. Placeholders are `$name` (string.Template), so JSON
examples in a prompt need no escaping. The agents' templates live in agents/prompts/<name>.md (`load_template`,
`render`); any other template file, such as the evaluation judge's, is read with `read_template(path)` and
turned into messages with `fill`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from string import Template

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

PROMPTS_DIR = Path(__file__).parent / "prompts"
SECTIONS = ("system", "user")


@cache
def read_template(path: Path) -> tuple[Template, Template]:
    """The (system, user) templates of the template file at `path`."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = line[3:].strip().lower()
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    missing = [name for name in SECTIONS if name not in sections]
    if missing:
        raise ValueError(f"prompt template {Path(path).name} lacks a '## {missing[0]}' section")
    system, user = ("\n".join(sections[name]).strip() for name in SECTIONS)
    return Template(system), Template(user)


@cache
def load_template(name: str) -> tuple[Template, Template]:
    """The (system, user) templates of agents/prompts/<name>.md (cached by name: building and hashing the path cost
    ~10 us, about twice per model call)."""
    return read_template(PROMPTS_DIR / f"{name}.md")


def fill(templates: tuple[Template, Template], **values: object) -> list[BaseMessage]:
    """The system and user messages of `templates` with `values` filled in (a missing value is an error)."""
    system, user = templates
    strings = {k: str(v) for k, v in values.items()}
    return [SystemMessage(system.substitute(strings)), HumanMessage(user.substitute(strings))]


def render(name: str, **values: object) -> list[BaseMessage]:
    """The chat messages of agents/prompts/<name>.md with `values` filled in (a missing value is an error)."""
    return fill(load_template(name), **values)
