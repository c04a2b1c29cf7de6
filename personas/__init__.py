"""The top-level folder personas/ is the package `personagen.personas` (pyproject.toml maps it; README "Developing")."""

if __name__ != "personagen.personas":  # e.g. `import personas` from the repository root: a second, separate copy
    raise ImportError(f"the folder personas/ is the package personagen.personas: import it as personagen.personas, "
                      f"not as {__name__!r} (under another name it would load a second copy of the package)")
