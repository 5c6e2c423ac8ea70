"""The OpenAPI 3.1 document of the public and admin endpoints, built from the pydantic models.

Schemas come from :mod:`touchpoints.schemas` and :mod:`touchpoints.model` (JSON Schema
2020-12, which OpenAPI 3.1 uses as is); channels, slots and knowledge-base actions are
enumerated from the contract and the data files, so the document says exactly what the
service accepts. Served at ``/openapi.json``; tests/touchpoints/test_openapi.py runs
schemathesis against the running service with it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from core.contract.definitions import SLOT_NAME_PATTERN
from touchpoints.definitions import DefinitionContext
from touchpoints.model import Campaign, NewSlot, SlotSettings
from touchpoints.schemas import (
    OPERATOR_PATTERN,
    AudienceCheckIn,
    AudienceCheckOut,
    AuditOut,
    CampaignListOut,
    DecisionOut,
    DecisionQuery,
    ErrorOut,
    HealthOut,
    SlotListOut,
    StoredCampaignOut,
    StoredSlotOut,
)

REF = "#/components/schemas/{model}"
JSON = "application/json"


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _json(model: type[BaseModel], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": _ref(model)}}}


TOO_LONG = {
    "414": {
        "description": "Request line over 8190 bytes (refused by gunicorn before the app, as HTML)",
        "content": {"text/html": {"schema": {"type": "string"}}},
    }
}


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _errors(*statuses: int) -> dict[str, Any]:
    text = {
        400: "Bad parameter or body (see reason)",
        401: "No admin token",
        403: "Wrong admin token",
        404: "No such campaign, slot or action",
        409: "Conflict: exists, archived, or changed meanwhile",
        412: "If-Match revision is not the current one",
        415: "Body is not application/json",
        503: "Redis (the campaign store) is unavailable",
    }
    return {str(s): _json(ErrorOut, text[s]) for s in statuses}


def _query_parameters(context: DefinitionContext) -> list[dict[str, Any]]:
    schema = DecisionQuery.model_json_schema()
    properties, required = schema["properties"], set(schema.get("required", []))
    slot_names = sorted({*context.contract.slots, *(s.split(".", 1)[1] for s in context.contract.slots)})
    enums = {
        "channel": list(context.contract.channels),
        "context": sorted(context.knowledge_base.actions),
    }
    parameters = []
    for name, prop in properties.items():
        prop = {k: v for k, v in prop.items() if k not in ("title", "default")}
        if "anyOf" in prop:  # optional: document the non-null form
            prop = {**next(p for p in prop["anyOf"] if p.get("type") != "null"), "description": prop.get("description")}
            prop = {k: v for k, v in prop.items() if v is not None}
        if name in enums:
            prop["enum"] = enums[name]
        if name == "slot":  # the contract's, or (well-formed) created through POST /v1/admin/slots
            created = {"type": "string", "pattern": f"^(?:{context.slot_id.pattern}|{SLOT_NAME_PATTERN})$"}
            prop["items"] = {"anyOf": [{"type": "string", "enum": slot_names}, created]}
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": name in required,
                "schema": prop,
                **({"style": "form", "explode": True} if name == "slot" else {}),
            }
        )
    return parameters


def build_openapi(context: DefinitionContext) -> dict[str, Any]:
    models: list[type[BaseModel]] = [
        DecisionOut,
        ErrorOut,
        HealthOut,
        Campaign,
        SlotSettings,
        NewSlot,
        StoredCampaignOut,
        CampaignListOut,
        StoredSlotOut,
        SlotListOut,
        AuditOut,
        AudienceCheckIn,
        AudienceCheckOut,
    ]
    _, defs = models_json_schema([(m, "validation") for m in models], ref_template=REF)
    security = [{"adminToken": []}]
    operator = {
        "name": "X-Operator",
        "in": "header",
        "required": True,
        "description": "Who makes the change (kept in the audit log)",
        "schema": {"type": "string", "pattern": OPERATOR_PATTERN},
    }
    campaign_id = {"name": "campaign_id", "in": "path", "required": True, "schema": {"type": "string"}}
    slot_id = {"name": "slot_id", "in": "path", "required": True, "schema": {"type": "string"}}
    action = {
        "name": "action",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "enum": ["pause", "resume", "archive"]},
    }
    if_match = {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    }
    body = {"required": True, "content": {JSON: {"schema": _ref(Campaign)}}}

    def admin_op(summary: str, ok: dict[str, Any], *errors: int, **extra: Any) -> dict[str, Any]:
        return {
            "summary": summary,
            "security": security,
            "responses": {**ok, **_errors(401, 403, 503, *errors)},
            **extra,
        }

    def create_op(summary: str, model: type[BaseModel], request: type[BaseModel]) -> dict[str, Any]:
        created = {"201": _json(model, "Created")}
        request_body = {"required": True, "content": {JSON: {"schema": _ref(request)}}}
        return admin_op(summary, created, 400, 409, 415, parameters=[operator], requestBody=request_body)

    def status_op(kind: str, model: type[BaseModel], item: dict[str, Any]) -> dict[str, Any]:
        summary = f"Pause, resume or archive a {kind}"
        return admin_op(summary, {"200": _json(model, "Changed")}, 400, 404, 409, parameters=[item, action, operator])

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Touchstream touchpoint decision service",
            "version": "1",
            "description": "What each slot of a page shows a user now (docs/touchpoints.md).",
        },
        "paths": {
            "/v1/touchpoints": {
                "get": {
                    "summary": "Decide the content of the slots of one page",
                    "parameters": _query_parameters(context),
                    "responses": {"200": _json(DecisionOut, "What to show per slot"), **_errors(400), **TOO_LONG},
                }
            },
            "/healthz": {"get": {"summary": "Liveness", "responses": {"200": _json(HealthOut, "Alive")}}},
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics",
                    "responses": {
                        "200": {"description": "Text format", "content": {"text/plain": {"schema": {"type": "string"}}}}
                    },
                }
            },
            "/v1/admin/campaigns": {
                "get": admin_op(
                    "List campaigns",
                    {"200": _json(CampaignListOut, "Campaigns")},
                    400,
                    parameters=[_query("status", {"type": "string", "enum": ["active", "paused", "archived"]})],
                ),
                "post": create_op("Create a campaign", StoredCampaignOut, Campaign),
            },
            "/v1/admin/campaigns/{campaign_id}": {
                "get": admin_op(
                    "One campaign", {"200": _json(StoredCampaignOut, "The campaign")}, 404, parameters=[campaign_id]
                ),
                "put": admin_op(
                    "Replace a campaign",
                    {"200": _json(StoredCampaignOut, "Updated")},
                    400,
                    404,
                    409,
                    412,
                    415,
                    parameters=[campaign_id, operator, if_match],
                    requestBody=body,
                ),
            },
            "/v1/admin/campaigns/{campaign_id}/{action}": {
                "post": status_op("campaign", StoredCampaignOut, campaign_id)
            },
            "/v1/admin/slots": {
                "get": admin_op("List slots as served", {"200": _json(SlotListOut, "Slots")}),
                "post": create_op(
                    "Create a slot beside the contract's (served on the next request of every worker)",
                    StoredSlotOut,
                    NewSlot,
                ),
            },
            "/v1/admin/slots/{slot_id}": {
                "get": admin_op("One slot", {"200": _json(StoredSlotOut, "The slot")}, 404, parameters=[slot_id]),
                "put": admin_op(
                    "Set a slot's capacity or status",
                    {"200": _json(StoredSlotOut, "Updated")},
                    400,
                    404,
                    409,
                    415,
                    parameters=[slot_id, operator],
                    requestBody={"required": True, "content": {JSON: {"schema": _ref(SlotSettings)}}},
                ),
            },
            "/v1/admin/slots/{slot_id}/{action}": {"post": status_op("slot", StoredSlotOut, slot_id)},
            "/v1/admin/audit": {
                "get": admin_op(
                    "Who changed what, when (newest first)",
                    {"200": _json(AuditOut, "Audit entries")},
                    400,
                    parameters=[
                        _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}),
                        _query("id", {"type": "string", "maxLength": 64}),
                    ],
                )
            },
            "/v1/admin/audiences/check": {
                "post": admin_op(
                    "Check an audience expression",
                    {"200": _json(AudienceCheckOut, "Valid")},
                    400,
                    415,
                    requestBody={"required": True, "content": {JSON: {"schema": _ref(AudienceCheckIn)}}},
                )
            },
        },
        "components": {
            "schemas": defs["$defs"],
            "securitySchemes": {"adminToken": {"type": "http", "scheme": "bearer"}},
        },
    }
