"""Request limits of the collector, with their defaults."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CollectorLimits:
    max_body_bytes: int = 1024 * 1024  # after gzip decompression, too (gzip bombs)
    max_events_per_batch: int = 1000
    quarantine_raw_bytes: int = 64 * 1024  # how much of an unparseable body is kept
