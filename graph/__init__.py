"""The top-level folder graph/ is the package `personagen.graph` (pyproject.toml maps it; README "Developing")."""

if __name__ != "personagen.graph":  # e.g. `import graph` from the repository root: a second, separate copy
    raise ImportError(f"the folder graph/ is the package personagen.graph: import it as personagen.graph, "
                      f"not as {__name__!r} (under another name it would load a second copy of the package)")
