"""Every loader source of the warehouse, composed in one place (the top layer knows them all).

The owner (`touchstream warehouse`) loads them continuously; a backfill loads them once when
no owner runs. The events source repairs the metric pre-aggregate when it repairs a file a
crash cut short (analytics/metrics/preaggregate.py).
"""

from __future__ import annotations

from analytics.audiences import audience_source
from analytics.metrics.collector_log import collector_log_source
from analytics.metrics.preaggregate import with_preaggregate_repair
from core.config import Settings
from flink_jobs.outputs import warehouse_sources
from warehouse.loader import Source
from warehouse.sources import quarantine_source


def loader_sources(settings: Settings) -> list[Source]:
    job = [with_preaggregate_repair(s) if s.name == "events" else s for s in warehouse_sources(settings)]
    return [quarantine_source(settings), collector_log_source(settings), *job, audience_source(settings)]
