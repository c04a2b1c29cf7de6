"""Imports the built-in critics so that they register themselves."""

from personagen.agents.critics import judges, offline_emotion, rules  # noqa: F401
