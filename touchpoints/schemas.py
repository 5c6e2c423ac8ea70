"""Request and response shapes of the HTTP API, as pydantic models.

Requests are validated with them; responses are built as plain dicts on the hot path and
these models only describe them, in the OpenAPI document (touchpoints/openapi.py), whose
conformance the schemathesis tests check against the running service.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.contract.validate import ID_CHARS, MAX_ID_CHARS, MAX_PAGE_CHARS
from core.models import StrictModel
from touchpoints.model import ID_PATTERN, Campaign, Content, Tier

USER_ID_PATTERN = f"^[{ID_CHARS}]{{1,{MAX_ID_CHARS}}}$"  # the collector's identifiers
REQUEST_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
OPERATOR_PATTERN = r"^[A-Za-z0-9_.@-]{1,64}$"
MAX_SLOTS_PER_REQUEST = 12


class DecisionQuery(StrictModel):
    """``GET /v1/touchpoints`` query parameters."""

    user_id: str = Field(pattern=USER_ID_PATTERN, description="The user (letters, digits, _ . : @ + -; 1-64)")
    channel: str = Field(description="web, app or wechat")
    slot: list[str] = Field(
        min_length=1,
        max_length=MAX_SLOTS_PER_REQUEST,
        description="Slots of one page, in page order: a slot name (home_floor) or a full id (app.home_floor)",
    )
    context: str | None = Field(
        default=None, pattern=ID_PATTERN, description="The action the user just took (knowledge base), e.g. bill_query"
    )
    tz: str | None = Field(default=None, max_length=64, description="The user's IANA time zone, for quiet hours")
    request_id: str | None = Field(
        default=None, pattern=REQUEST_ID_PATTERN, description="Client's request id: a resend gets the same answer"
    )
    session_id: str | None = Field(default=None, pattern=USER_ID_PATTERN)
    page: str | None = Field(default=None, max_length=MAX_PAGE_CHARS)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ItemOut(_Out):
    decision_id: str
    campaign_id: str
    tier: Tier
    content: Content
    reason: str = Field(description="announcement | audience | trigger:<event> | recommendation:<action>")


class SlotDecisionOut(_Out):
    slot: str
    decision_id: str
    reason: str = Field(description="shown | empty | holdout | degraded | slot_paused | slot_archived")
    items: list[ItemOut]


class DecisionOut(_Out):
    request_id: str
    user_id: str
    channel: str
    degraded: bool
    replayed: bool
    slots: list[SlotDecisionOut]


class ErrorOut(_Out):
    reason: str = Field(description="machine-readable, e.g. unknown_slot")
    error: str = Field(description="what is wrong, for a person")


class StoredCampaignOut(_Out):
    campaign: Campaign
    revision: int
    updated_at: int
    updated_by: str
    origin: str


class CampaignListOut(_Out):
    campaigns: list[StoredCampaignOut]


class ServedSlotOut(_Out):
    id: str
    channel: str
    kind: str
    capacity: int
    status: Literal["active", "paused", "archived"]
    contract_capacity: int = Field(description="The capacity its definition gives (slots.yaml, or at creation)")
    origin: Literal["contract", "admin"] = Field(description="core/contract/slots.yaml, or POST /v1/admin/slots")


class StoredSlotOut(_Out):
    slot: ServedSlotOut
    revision: int
    updated_at: int | None
    updated_by: str | None


class SlotListOut(_Out):
    slots: list[StoredSlotOut]


class AuditEntryOut(_Out):
    audit_id: str
    at: int
    actor: str
    ip: str
    action: str
    kind: Literal["campaign", "slot"]
    id: str
    revision: int
    before: dict[str, Any] | None
    after: dict[str, Any]


class AuditOut(_Out):
    entries: list[AuditEntryOut]


class AudienceCheckIn(StrictModel):
    expression: str = Field(max_length=1000)


class AudienceCheckOut(_Out):
    ok: bool


class HealthOut(_Out):
    ok: bool
    redis: Literal["closed", "open", "half_open"]
    campaigns_version: int
