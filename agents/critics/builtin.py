"""Imports the built-in critics so that they register themselves."""

from personagen.agents.critics import judges, language, offline_emotion, rules  # noqa: F401
