"""Prometheus metrics of the touchpoint service (multiprocess under gunicorn, see core/serving.py)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

DECISIONS = Counter(
    "touchstream_touchpoints_decisions_total",
    "Slot decisions by the tier of the first item shown ('none' when empty) and the slot's reason",
    ["tier", "reason"],
)
REQUESTS = Counter(
    "touchstream_touchpoints_requests_total", "Requests by endpoint kind and HTTP status", ["api", "status"]
)
DEGRADED = Counter("touchstream_touchpoints_degraded_total", "Answers given without Redis (defaults only)")
REPLAYED = Counter("touchstream_touchpoints_replayed_total", "Resent request ids answered from the stored answer")
REDIS_ERRORS = Counter("touchstream_touchpoints_redis_errors_total", "Failed Redis round trips", ["step"])
RESERVE_CONFLICTS = Counter(
    "touchstream_touchpoints_reserve_conflicts_total", "Plans redone because a concurrent request used a cap"
)
LOG_DROPPED = Counter("touchstream_touchpoints_decision_log_dropped_total", "Decision records dropped: queue full")
LATENCY = Histogram(
    "touchstream_touchpoints_request_seconds",
    "Decision request latency, from request to answer",
    buckets=(0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0),
)
REDIS_LATENCY = Histogram(
    "touchstream_touchpoints_redis_seconds",
    "Redis round trips of a decision: the snapshot read and the atomic cap count",
    ["step"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05),
)

# the children a decision touches every time, labelled once (a lookup per request otherwise)
REDIS_READ_LATENCY = REDIS_LATENCY.labels("read")
REDIS_RESERVE_LATENCY = REDIS_LATENCY.labels("reserve")
PUBLIC_OK = REQUESTS.labels("public", "200")
PUBLIC_BAD = REQUESTS.labels("public", "400")
