"""Holdout hashing: GrowthBook's published vectors, stability, share, independence."""

from __future__ import annotations

import subprocess
import sys

import pytest

from touchpoints.holdout import bucket, in_holdout

# growthbook-python tests/cases.json, "hash" cases of version 2
GROWTHBOOK_V2 = [
    ("seed", "a", 0.0505),
    ("seed", "b", 0.2696),
    ("foo", "ab", 0.2575),
    ("foo", "def", 0.2019),
    ("89123klj", "8952klfjas09ujkasdf", 0.124),
    ("90850943850283058242805", "123", 0.7516),
    ("()**(%$##$%#$#", '___)((*":&', 0.0128),
]


@pytest.mark.parametrize(("seed", "value", "expected"), GROWTHBOOK_V2)
def test_matches_growthbook_hash_v2(seed: str, value: str, expected: float) -> None:
    assert bucket(seed, value) == expected


def test_share_over_many_users_is_close_to_the_configured_share() -> None:
    users = [f"u{i:07d}" for i in range(20_000)]
    for share in (0.05, 0.1, 0.5):
        held = sum(in_holdout("campaign-x", u, share) for u in users) / len(users)
        assert abs(held - share) < 0.01, (share, held)


def test_campaigns_with_different_seeds_hold_out_different_users() -> None:
    users = [f"u{i:07d}" for i in range(10_000)]
    a = {u for u in users if in_holdout("a", u, 0.1)}
    b = {u for u in users if in_holdout("b", u, 0.1)}
    overlap = len(a & b) / len(a)
    assert 0.05 < overlap < 0.15  # independent: about share x share / share


def test_stable_across_processes() -> None:
    code = "from touchpoints.holdout import bucket; print([bucket('s', f'u{i}') for i in range(50)])"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert other.stdout.strip() == str([bucket("s", f"u{i}") for i in range(50)])
