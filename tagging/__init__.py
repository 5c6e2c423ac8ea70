"""Behaviour tags: declarative definitions and an engine that does not know who runs it."""
