"""Embedded backend: ClickHouse in-process through chDB."""
