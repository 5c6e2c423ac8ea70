"""Behaviour tags: declarative definitions, the engine-agnostic tag engine, the profile store.

Nothing here imports an execution engine: the Flink job (flink_jobs/) feeds events to
:class:`TagEngine` per user and writes its :class:`TagChange` output with a
:class:`~tagging.profiles.base.ProfileWriter`.
"""

from tagging.catalogue import (
    DEFINITIONS_DIR,
    TagCatalogue,
    TagDefinition,
    TagDefinitionError,
    default_tag_catalogue,
    load_tag_catalogue,
)
from tagging.changes import TagChange
from tagging.engine import TagEngine
from tagging.referrals import REFERRAL_EVENT, ReferralRouter, ShareRecord, referral_key
from tagging.state import BusinessState, UserState
from tagging.watcher import TagCatalogueWatcher

__all__ = [
    "DEFINITIONS_DIR",
    "REFERRAL_EVENT",
    "BusinessState",
    "ReferralRouter",
    "ShareRecord",
    "TagCatalogue",
    "TagCatalogueWatcher",
    "TagChange",
    "TagDefinition",
    "TagDefinitionError",
    "TagEngine",
    "UserState",
    "default_tag_catalogue",
    "load_tag_catalogue",
    "referral_key",
]
