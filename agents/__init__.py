"""The top-level folder agents/ is the package `personagen.agents` (pyproject.toml maps it; README "Developing")."""

if __name__ != "personagen.agents":  # e.g. `import agents` from the repository root: a second, separate copy
    raise ImportError(f"the folder agents/ is the package personagen.agents: import it as personagen.agents, "
                      f"not as {__name__!r} (under another name it would load a second copy of the package)")
