"""Deterministic control groups, hashed as GrowthBook does (hash version 2).

``bucket(seed, user)`` maps a user to [0, 1) from the FNV-1a 32-bit hash of the hash of
``seed + user``: stable across processes, machines and restarts (no salt, no state), and
independent between campaigns because each has its own seed. A user is in a campaign's
control group when the bucket is below the holdout share.
"""

from __future__ import annotations

FNV_OFFSET = 0x811C9DC5
FNV_PRIME = 0x01000193


def fnv1a32(text: str) -> int:
    value = FNV_OFFSET
    for byte in text.encode("utf-8"):
        value ^= byte
        value = (value * FNV_PRIME) & 0xFFFFFFFF
    return value


def bucket(seed: str, user_id: str) -> float:
    """GrowthBook's hash v2: ``(fnv1a32(str(fnv1a32(seed + id))) % 10000) / 10000``."""
    return (fnv1a32(str(fnv1a32(seed + user_id))) % 10000) / 10000


def in_holdout(seed: str, user_id: str, share: float) -> bool:
    return bucket(seed, user_id) < share
