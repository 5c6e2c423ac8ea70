"""What a profile store offers: the Flink job writes through a ProfileWriter, services read."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from tagging.changes import TagChange
from tagging.state import BusinessState

Profile = dict[str, Any]
"""``{"user_id", "tags": [{"tag", "set_at", "expires_at"}], "state": {...}}``"""


class ProfileWriter(ABC):
    """Buffers many users' updates and writes them in one round trip.

    Writes must be idempotent: applying the same changes again (a replay after recovery)
    leaves the same profile, and a change older than what is stored is ignored.
    """

    @abstractmethod
    def add(self, user_id: str, changes: Sequence[TagChange], business: BusinessState | None = None) -> None:
        """Queue a user's tag changes (in order) and, optionally, their business state now."""

    @abstractmethod
    def flush(self) -> int:
        """Write everything queued; returns how many users were written."""

    @property
    @abstractmethod
    def pending(self) -> int:
        """Queued items (changes + states) not yet written."""

    def close(self) -> None:
        self.flush()

    def __enter__(self) -> ProfileWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ProfileStore(ABC):
    """One live profile per user: tags, business state and contact counters."""

    @abstractmethod
    def get_profile(self, user_id: str, now_ms: int | None = None) -> Profile:
        """The user's profile (empty tags/state if unknown). With ``now_ms``, tags whose
        ``expires_at`` has passed are left out even if the pipeline has not cleared them yet."""

    @abstractmethod
    def writer(self, max_pending: int = 1000) -> ProfileWriter: ...

    @abstractmethod
    def increment_contact(self, user_id: str, campaign: str, slot: str, ts_ms: int) -> dict[str, int]:
        """Count one contact (an exposure decided for the user); returns the updated counters."""

    @abstractmethod
    def contacts(self, user_id: str) -> dict[str, int]: ...

    @abstractmethod
    def close(self) -> None: ...

    def apply(self, user_id: str, changes: Sequence[TagChange], business: BusinessState | None = None) -> None:
        """Write one user's update now (tools, tests); streaming code uses :meth:`writer`."""
        with self.writer() as writer:
            writer.add(user_id, changes, business)
