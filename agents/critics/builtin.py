"""Imports the built-in critics so that they register themselves."""

from personagen.agents.critics import judges, language, offline_emotion, offline_strength, rules  # noqa: F401
