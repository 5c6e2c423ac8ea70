"""The admin API under ``/v1/admin/``: campaigns, slots, the audit log, audience checks.

Slots are those of the contract (``core/contract/slots.yaml``) and those operators create
here (``POST /v1/admin/slots``, kept in the store beside the contract's settings);
campaigns may name both.

``Authorization: Bearer <admin token>`` is required: without it 401, with a wrong one 403.
Every change also names its operator (``X-Operator``), which the audit log keeps with the
time, the source address and the definition before and after. A change is visible to every
worker on its next request (the store's version counter).
"""

from __future__ import annotations

import hmac
import re
from typing import Any

import orjson
import redis
from flask import Blueprint, Response, request
from pydantic import ValidationError

from core.contract.definitions import Slot
from touchpoints import metrics
from touchpoints.api import touchpoints
from touchpoints.audience import AudienceError, compile_audience
from touchpoints.catalog import served_slots
from touchpoints.definitions import DefinitionError, validation_message
from touchpoints.errors import ApiError, json_response
from touchpoints.model import ID_PATTERN, Status, StoredSlot
from touchpoints.schemas import OPERATOR_PATTERN, AudienceCheckIn
from touchpoints.store import StoreConflict, Stored, parse_slots

admin = Blueprint("touchpoints_admin", __name__, url_prefix="/v1/admin")

ACTIONS: dict[str, Status] = {"pause": "paused", "resume": "active", "archive": "archived"}
STATUSES = ("active", "paused", "archived")
_OPERATOR = re.compile(OPERATOR_PATTERN)
_CAMPAIGN_ID = re.compile(ID_PATTERN)


QUERY_PARAMETERS = {"touchpoints_admin.list_campaigns": {"status"}, "touchpoints_admin.audit": {"limit", "id"}}


@admin.before_request
def authenticate() -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise ApiError(401, "unauthorized", "the admin API needs Authorization: Bearer <admin token>")
    expected = touchpoints().admin_token
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise ApiError(403, "forbidden", "the admin token is not valid")
    unknown = sorted(set(request.args) - QUERY_PARAMETERS.get(request.endpoint or "", set()))
    if unknown:
        raise ApiError(400, "unknown_parameter", f"unknown parameter(s): {', '.join(unknown)[:200]}")
    repeated = [name for name in request.args if len(request.args.getlist(name)) > 1]
    if repeated:
        raise ApiError(400, "repeated_parameter", f"{repeated[0][:64]} given more than once")


@admin.after_request
def count(response: Response) -> Response:
    metrics.REQUESTS.labels("admin", str(response.status_code)).inc()
    return response


@admin.errorhandler(redis.RedisError)
def store_unavailable(exc: redis.RedisError) -> Response:
    return json_response({"reason": "store_unavailable", "error": f"Redis is unavailable: {type(exc).__name__}"}, 503)


def _operator() -> str:
    operator = request.headers.get("X-Operator", "")
    if not operator:
        raise ApiError(400, "operator_required", "changes need X-Operator: <who is making them>")
    if not _OPERATOR.match(operator):
        raise ApiError(400, "invalid_operator", f"X-Operator must match {OPERATOR_PATTERN}")
    return operator


def _body() -> Any:
    if (request.mimetype or "") != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    try:
        return orjson.loads(request.get_data(cache=False))
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, "invalid_json", f"body is not valid JSON: {exc}") from None


def _campaign_id(campaign_id: str) -> str:
    if not _CAMPAIGN_ID.match(campaign_id):
        raise ApiError(404, "unknown_campaign", "no such campaign")
    return campaign_id


def _source() -> str:
    return request.remote_addr or ""


def _stored_campaign(campaign_id: str) -> Stored:
    stored = touchpoints().store.get("campaign", _campaign_id(campaign_id))
    if stored is None:
        raise ApiError(404, "unknown_campaign", f"no campaign {campaign_id}")
    return stored


def _conflict(exc: StoreConflict) -> ApiError:
    return ApiError(409, exc.reason, str(exc))


def _parse_campaign(raw: Any, campaign_id: str | None = None) -> Any:
    if campaign_id is not None and isinstance(raw, dict) and raw.setdefault("id", campaign_id) != campaign_id:
        raise ApiError(400, "id_mismatch", f"the body's id {str(raw['id'])[:64]!r} is not {campaign_id}")
    try:
        return touchpoints().context.parse_campaign(raw, _all_slots())
    except DefinitionError as exc:
        raise ApiError(400, exc.reason, str(exc)) from None


# -- campaigns ---------------------------------------------------------------------------
@admin.get("/campaigns")
def list_campaigns() -> Response:
    status = request.args.get("status")
    if status is not None and status not in STATUSES:
        raise ApiError(400, "invalid_status", f"status must be one of {', '.join(STATUSES)}")
    stored = touchpoints().store.list("campaign")
    chosen = [s.public() for s in stored if status is None or s.body.get("status") == status]
    return json_response({"campaigns": chosen})


@admin.post("/campaigns")
def create_campaign() -> tuple[Response, int]:
    operator = _operator()
    campaign = _parse_campaign(_body())
    try:
        stored = touchpoints().store.save_campaign(
            campaign, actor=operator, action="create", expected_revision=0, source_ip=_source()
        )
    except StoreConflict as exc:
        raise _conflict(exc) from None
    return json_response(stored.public()), 201


@admin.get("/campaigns/<campaign_id>")
def get_campaign(campaign_id: str) -> Response:
    return json_response(_stored_campaign(campaign_id).public())


@admin.put("/campaigns/<campaign_id>")
def update_campaign(campaign_id: str) -> Response:
    operator = _operator()
    current = _stored_campaign(campaign_id)
    expected = current.revision
    if_match = request.headers.get("If-Match")
    if if_match is not None:
        if not if_match.strip('"').isdigit():
            raise ApiError(400, "invalid_if_match", "If-Match must be the revision number you read")
        if int(if_match.strip('"')) != current.revision:
            raise ApiError(412, "revision_conflict", f"campaign is at revision {current.revision}, not {if_match}")
    if current.body.get("status") == "archived":
        raise ApiError(409, "archived", f"campaign {campaign_id} is archived; archived campaigns stay archived")
    campaign = _parse_campaign(_body(), campaign_id)
    try:
        stored = touchpoints().store.save_campaign(
            campaign, actor=operator, action="update", expected_revision=expected, source_ip=_source()
        )
    except StoreConflict as exc:
        raise _conflict(exc) from None
    return json_response(stored.public())


@admin.post("/campaigns/<campaign_id>/<action>")
def campaign_action(campaign_id: str, action: str) -> Response:
    if action not in ACTIONS:
        raise ApiError(404, "unknown_action", f"actions are {', '.join(ACTIONS)}")
    operator = _operator()
    store = touchpoints().store
    _stored_campaign(campaign_id)
    try:
        stored = store.set_status("campaign", campaign_id, ACTIONS[action], actor=operator, source_ip=_source())
    except StoreConflict as exc:
        raise _conflict(exc) from None
    return json_response(stored.public())


# -- slots -------------------------------------------------------------------------------
MAX_SLOT_ID_CHARS = 64


def _all_slots() -> dict[str, Slot]:
    """The contract's slots and the created ones, as the store has them now."""
    tp = touchpoints()
    return tp.context.slots_with(parse_slots(tp.store.list("slot")))


def _slot_view(slot_id: str, definition: Slot, stored: Stored | None) -> dict[str, Any]:
    settings = parse_slots([stored]) if stored else {}
    served = served_slots({slot_id: definition}, settings)[slot_id]
    return {
        "slot": {
            "id": slot_id,
            "channel": served.channel,
            "kind": served.kind,
            "capacity": served.capacity,
            "status": served.status,
            "contract_capacity": definition.capacity,
            "origin": "contract" if slot_id in touchpoints().context.contract.slots else "admin",
        },
        "revision": stored.revision if stored else 0,
        "updated_at": stored.updated_at if stored else None,
        "updated_by": stored.updated_by if stored else None,
    }


def _known_slot(slot_id: str) -> tuple[Slot, Stored | None, StoredSlot]:
    """The slot's definition, its stored document and settings, or 404."""
    tp = touchpoints()
    stored = tp.store.get("slot", slot_id) if len(slot_id) <= MAX_SLOT_ID_CHARS else None
    settings = parse_slots([stored]) if stored else {}
    definition = tp.context.slots_with(settings).get(slot_id)
    if definition is None:
        raise ApiError(404, "unknown_slot", "no such slot in core/contract/slots.yaml or created here")
    return definition, stored, settings.get(slot_id) or StoredSlot()


@admin.get("/slots")
def list_slots() -> Response:
    stored = {s.id: s for s in touchpoints().store.list("slot")}
    definitions = touchpoints().context.slots_with(parse_slots(stored.values()))
    return json_response({"slots": [_slot_view(i, d, stored.get(i)) for i, d in definitions.items()]})


@admin.post("/slots")
def create_slot() -> tuple[Response, int]:
    operator = _operator()
    tp = touchpoints()
    try:
        slot_id, definition, status = tp.context.parse_new_slot(_body())
    except DefinitionError as exc:
        raise ApiError(400, exc.reason, str(exc)) from None
    if slot_id in tp.context.contract.slots:
        raise ApiError(409, "exists", f"slot {slot_id} is in core/contract/slots.yaml")
    try:
        slot = StoredSlot(status=status, definition=definition)
        stored = tp.store.create_slot(slot_id, slot, actor=operator, source_ip=_source())
    except StoreConflict as exc:
        raise _conflict(exc) from None
    return json_response(_slot_view(slot_id, definition, stored)), 201


@admin.get("/slots/<slot_id>")
def get_slot(slot_id: str) -> Response:
    definition, stored, _ = _known_slot(slot_id)
    return json_response(_slot_view(slot_id, definition, stored))


@admin.put("/slots/<slot_id>")
def put_slot(slot_id: str) -> Response:
    operator = _operator()
    definition, _, own = _known_slot(slot_id)
    tp = touchpoints()
    try:
        settings = tp.context.parse_slot_settings(_body())
    except DefinitionError as exc:
        raise ApiError(400, exc.reason, str(exc)) from None
    if own.status == "archived":
        raise ApiError(409, "archived", f"slot {slot_id} is archived")
    kept = StoredSlot(**settings.model_dump(), definition=own.definition)  # a created slot keeps its definition
    try:
        stored = tp.store.save_slot(slot_id, kept, actor=operator, action="update", source_ip=_source())
    except StoreConflict as exc:
        raise _conflict(exc) from None
    return json_response(_slot_view(slot_id, definition, stored))


@admin.post("/slots/<slot_id>/<action>")
def slot_action(slot_id: str, action: str) -> Response:
    if action not in ACTIONS:
        raise ApiError(404, "unknown_action", f"actions are {', '.join(ACTIONS)}")
    operator = _operator()
    definition, current, _ = _known_slot(slot_id)
    tp = touchpoints()
    try:
        if current is None:
            settings = StoredSlot(status=ACTIONS[action])
            stored = tp.store.save_slot(slot_id, settings, actor=operator, action=action, source_ip=_source())
        else:
            stored = tp.store.set_status("slot", slot_id, ACTIONS[action], actor=operator, source_ip=_source())
    except StoreConflict as exc:
        raise _conflict(exc) from None
    return json_response(_slot_view(slot_id, definition, stored))


# -- audit and checks --------------------------------------------------------------------
@admin.get("/audit")
def audit() -> Response:
    raw_limit = request.args.get("limit", "100")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 1000:
        raise ApiError(400, "invalid_limit", "limit must be an integer from 1 to 1000")
    item_id = request.args.get("id")
    if item_id is not None and len(item_id) > 64:
        raise ApiError(400, "invalid_id", "id is at most 64 characters")
    return json_response({"entries": touchpoints().store.audit(int(raw_limit), item_id)})


@admin.post("/audiences/check")
def check_audience() -> Response:
    try:
        body = AudienceCheckIn.model_validate(_body())
    except ValidationError as exc:
        raise ApiError(400, "invalid_body", validation_message(exc)) from None
    try:
        compile_audience(body.expression, touchpoints().context.identifiers)
    except AudienceError as exc:
        raise ApiError(400, "invalid_audience", str(exc)) from None
    return json_response({"ok": True})
