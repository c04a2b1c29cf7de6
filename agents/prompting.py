"""Prompt templates: markdown files beside the agents, rendered into chat messages.

A template file (agents/prompts/<name>.md) has a `## system` and a `## user` section. Placeholders are
`$name` (string.Template), so JSON examples in a prompt need no escaping.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from string import Template

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

PROMPTS_DIR = Path(__file__).parent / "prompts"


@cache
def load_template(name: str) -> tuple[Template, Template]:
    """The (system, user) templates of agents/prompts/<name>.md."""
    text = (PROMPTS_DIR / f"{name}.md").read_text(encoding="utf-8")
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("## "):
            current = line[3:].strip().lower()
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    try:
        system, user = ("\n".join(sections[k]).strip() for k in ("system", "user"))
    except KeyError as missing:
        raise ValueError(f"prompt template {name}.md lacks a '## {missing.args[0]}' section") from None
    return Template(system), Template(user)


def render(name: str, **values: object) -> list[BaseMessage]:
    """The chat messages of template `name` with `values` filled in (a missing value is an error)."""
    system, user = load_template(name)
    strings = {k: str(v) for k, v in values.items()}
    return [SystemMessage(system.substitute(strings)), HumanMessage(user.substitute(strings))]
