"""What a new definition set changes against the one in force, and whether it may go live.

A tag that disappears from the definitions is cleared for every user on their next event
(``TagEngine._reconcile``), so losing tags by accident (a truncated or wrong file) is the
costly mistake. A set may drop at most ``max_removed_share`` of the tags in force unless it
names the dropped ones under ``retired:``, which makes a large removal a deliberate,
reviewed act instead of a side effect.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the CLI reads the default share without loading the catalogue machinery
    from tagging.catalogue import TagCatalogue, TagDefinition

logger = logging.getLogger(__name__)

DEFAULT_MAX_REMOVED_SHARE = 0.1


@dataclass(frozen=True)
class DefinitionDiff:
    """Tags added, removed and changed (tag -> what changed) from ``before`` tags to after."""

    before: int
    after: int
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: dict[str, tuple[str, ...]]
    retired: frozenset[str]

    @property
    def unannounced(self) -> tuple[str, ...]:
        """Removed tags the new set does not list under ``retired:``."""
        return tuple(tag for tag in self.removed if tag not in self.retired)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def refusal(self, max_removed_share: float = DEFAULT_MAX_REMOVED_SHARE) -> str | None:
        """Why this change must not go live, or ``None`` if it may."""
        dropped = self.unannounced
        if not dropped or len(dropped) <= max_removed_share * self.before:
            return None
        shown = ", ".join(dropped[:8]) + (f" and {len(dropped) - 8} more" if len(dropped) > 8 else "")
        return (
            f"would remove {len(dropped)} of {self.before} tags in force (more than {max_removed_share:.0%}) "
            f"and clear them for every user: {shown}. List them under `retired:` if that is intended"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "before": self.before,
            "after": self.after,
            "added": list(self.added),
            "removed": list(self.removed),
            "retired": sorted(self.retired & set(self.removed)),
            "changed": {tag: list(what) for tag, what in self.changed.items()},
        }


def _changes(old: TagDefinition, new: TagDefinition) -> tuple[str, ...]:
    before, after = old.params.model_dump(), new.params.model_dump()
    out = [f"{key}: {before.get(key)} -> {after.get(key)}" for key in sorted(before) if before[key] != after.get(key)]
    if old.description != new.description:
        out.append("description")
    return tuple(out)


def diff_catalogues(old: TagCatalogue | None, new: TagCatalogue) -> DefinitionDiff:
    """Compare ``new`` with the set in force (``None``: nothing is in force yet)."""
    before = old.tags if old is not None else {}
    changed = {
        tag: what for tag in sorted(before.keys() & new.tags.keys()) if (what := _changes(before[tag], new.tags[tag]))
    }
    return DefinitionDiff(
        before=len(before),
        after=len(new.tags),
        added=tuple(sorted(new.tags.keys() - before.keys())),
        removed=tuple(sorted(before.keys() - new.tags.keys())),
        changed=changed,
        retired=new.retired,
    )
