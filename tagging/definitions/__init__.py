"""Data only: the shipped tag and slot definitions (YAML), loaded by tagging.catalogue."""
