"""Keep the metric pre-aggregate (``events_daily``, sql/schema/0202_events_daily.sql) exact when the
loader repairs an interrupted file.

``events_daily`` is fed by a materialized view at every insert into ``events_store``. When the
loader finds a file that a crash cut short, it deletes the file's partial rows from
``events_store`` and loads the file again (warehouse/loader.py); the view already aggregated
those partial rows and would aggregate them again. So the days they touched are rebuilt from
``events_store`` once the partial rows are gone, before the file is loaded again.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

from core.processes import wait_until
from warehouse.base import Warehouse
from warehouse.loader import Source

logger = logging.getLogger(__name__)

COUNT_DAYS = "SELECT count() FROM events_daily WHERE has({days:Array(Date)}, day)"
# The view's SELECT (sql/schema/0202_events_daily.sql), restricted to some days.
REBUILD_DAYS = """
INSERT INTO events_daily
SELECT
    toDate(ts) AS day, event, channel, business, flow, step, slot, campaign, ref_share_id != '' AS referred,
    countState() AS events, sumState(amount) AS amount, uniqExactState(user_id) AS users
FROM events_store
WHERE has({days:Array(Date)}, toDate(ts))
GROUP BY day, event, channel, business, flow, step, slot, campaign, referred
"""


def repair_events_daily(warehouse: Warehouse, where: str, timeout_s: float = 120.0) -> Callable[[], None]:
    """Note the days the partial rows (``where`` over ``events_store``) touch; the returned callable,
    run once they are deleted, drops and rebuilds those days of ``events_daily``."""
    days = [r[0] for r in warehouse.query(f"SELECT DISTINCT toDate(ts) FROM events_store WHERE {where}").rows]

    def rebuild() -> None:
        if not days:
            return
        logger.warning("rebuilding events_daily for %d day(s) after a partial load", len(days))
        params = {"days": days}
        warehouse.query("ALTER TABLE events_daily DELETE WHERE has({days:Array(Date)}, day)", params)
        wait_until(
            lambda: int(warehouse.query(COUNT_DAYS, params).scalar()) == 0,
            timeout_s,
            "the pre-aggregate's days to be deleted",
            interval=0.2,
        )
        warehouse.query(REBUILD_DAYS, params)

    return rebuild


def with_preaggregate_repair(source: Source) -> Source:
    """The events source, repairing the pre-aggregate when it repairs an interrupted file."""
    return dataclasses.replace(source, repair=repair_events_daily)
