"""Imports the built-in critics so that they register themselves."""

from agents.critics import judges, rules  # noqa: F401
