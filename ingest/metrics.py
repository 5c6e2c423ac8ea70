"""Prometheus metrics of the collector.

Under gunicorn every worker is a process, so ``ingest.serve`` sets
``PROMETHEUS_MULTIPROC_DIR`` before this module is imported and ``/metrics`` aggregates
all workers; in a single process (tests, the Flask dev server) metrics are in-process.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from core.serving import render_metrics

EVENTS_ACCEPTED = Counter("touchstream_collector_events_accepted_total", "Events durably logged", ["channel"])
EVENTS_REJECTED = Counter("touchstream_collector_events_rejected_total", "Events rejected and quarantined", ["field"])
REQUESTS = Counter("touchstream_collector_requests_total", "Collect requests by HTTP status", ["status"])
LATENCY = Histogram(
    "touchstream_collector_request_seconds",
    "Time from request to durable acknowledgement",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)

render = render_metrics
