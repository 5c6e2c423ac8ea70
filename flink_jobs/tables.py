"""The SQL half of the job: parse, validate, classify late, deduplicate, count per minute.

Everything here runs in Flink's Java operators (several times faster than Python, see
ARCHITECTURE.md); Python only sees the rows SQL cannot finish (tags, referrals) and the
rejected lines it logs.

Event time is the client ``ts``; the watermark trails the largest ``ts`` read by the allowed
lateness and is advanced after every record (``auto-watermark-interval: 0``). An event is
*late* when its ``ts`` is behind the watermark at the moment it is read. Late events are
written to ``late_events`` (and so counted in the warehouse) instead of vanishing, and kept
out of the minute metrics and the tags.
"""

from __future__ import annotations

import logging

from pyflink.datastream import DataStream
from pyflink.table import DataTypes, Schema, StreamTableEnvironment, Table
from pyflink.table.udf import udf

logger = logging.getLogger(__name__)

MINUTE_MS = 60_000

PARSED = """
CREATE TEMPORARY VIEW parsed AS
SELECT
    line, rt, pt, ts_ms, event_id, user_id, channel, event, session_id, page, business, flow, step,
    amount, received_ms, share_id, ref_share_id,
    CASE
        WHEN NOT (line IS JSON OBJECT) THEN 'not a JSON object'
        WHEN event_id IS NULL OR event_id = '' THEN 'missing event_id'
        WHEN user_id IS NULL OR user_id = '' THEN 'missing user_id'
        WHEN channel IS NULL OR channel = '' THEN 'missing channel'
        WHEN event IS NULL OR event = '' THEN 'missing event'
        WHEN ts_ms IS NULL THEN 'ts missing or not integer epoch milliseconds'
        ELSE CAST(NULL AS STRING)
    END AS reason,
    {late} AS late
FROM (
    SELECT
        f0 AS line, rt, pt,
        TRY_CAST(JSON_VALUE(f0, '$.ts') AS BIGINT) AS ts_ms,
        JSON_VALUE(f0, '$.event_id') AS event_id,
        JSON_VALUE(f0, '$.user_id') AS user_id,
        JSON_VALUE(f0, '$.channel') AS channel,
        JSON_VALUE(f0, '$.event') AS event,
        COALESCE(JSON_VALUE(f0, '$.session_id'), '') AS session_id,
        COALESCE(JSON_VALUE(f0, '$.page'), '') AS page,
        COALESCE(JSON_VALUE(f0, '$.props.business'), '') AS business,
        COALESCE(JSON_VALUE(f0, '$.props.flow'), '') AS flow,
        COALESCE(TRY_CAST(JSON_VALUE(f0, '$.props.step') AS INT), 0) AS step,
        COALESCE(TRY_CAST(JSON_VALUE(f0, '$.props.amount') AS DOUBLE), 0.0) AS amount,
        COALESCE(TRY_CAST(JSON_VALUE(f0, '$.received_at') AS BIGINT), 0) AS received_ms,
        COALESCE(JSON_VALUE(f0, '$.props.share_id'), '') AS share_id,
        COALESCE(JSON_VALUE(f0, '$.props.ref_share_id'), '') AS ref_share_id
    FROM src_lines
)
"""

# Late = behind the watermark when read (Flink's own definition). Decided once, at the
# source, whose watermark follows every record in read order, so it is the same in a live
# run and a catch-up. Late events are kept out of the minute windows and the tag engine
# (where applying them would depend on timing) and land in late_events instead.
LATE_STREAMING = "COALESCE(rt <= CURRENT_WATERMARK(rt), FALSE)"
LATE_BATCH = "FALSE"  # a batch job sorts by time before windowing: nothing is late

# Streaming keeps the first copy read (processing-time order = segment order, insert-only,
# state expires after the dedup TTL); batch sorts, so it keeps the earliest received.
DEDUPED = """
CREATE TEMPORARY VIEW deduped AS
SELECT line, rt, ts_ms, event_id, user_id, channel, event, session_id, page, business, flow, step,
       amount, received_ms, share_id, ref_share_id, late
FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY {order}) AS rn
    FROM parsed WHERE reason IS NULL
)
WHERE rn = 1
"""

SINK_COLUMNS: dict[str, str] = {
    "stream_events": (
        "event_id STRING, user_id STRING, channel STRING, event STRING, ts_ms BIGINT, received_ms BIGINT, "
        "session_id STRING, page STRING, business STRING, flow STRING, step INT, amount DOUBLE, "
        "late BOOLEAN"
    ),
    "minute_metrics": (
        "minute_ms BIGINT, channel STRING, event STRING, business STRING, events BIGINT, users BIGINT, amount DOUBLE"
    ),
    "late_events": "event_id STRING, user_id STRING, channel STRING, event STRING, ts_ms BIGINT, received_ms BIGINT",
    "rejects": "reason STRING, line STRING",
    "tag_changes": ("user_id STRING, tag STRING, action STRING, ts_ms BIGINT, expires_at_ms BIGINT, seq BIGINT"),
    "profile_states": "user_id STRING, updated_at BIGINT, state STRING",
}

INSERTS: dict[str, str] = {
    "stream_events": """
        SELECT event_id, user_id, channel, event, ts_ms, received_ms, session_id, page, business, flow, step,
               amount, late
        FROM deduped""",
    "minute_metrics": """
        SELECT MIN(ts_ms) - MOD(MIN(ts_ms), {minute}) AS minute_ms, channel, event, business,
               COUNT(*) AS events, COUNT(DISTINCT user_id) AS users, SUM(amount) AS amount
        FROM TABLE(TUMBLE(TABLE on_time, DESCRIPTOR(rt), INTERVAL '1' MINUTE))
        GROUP BY window_start, window_end, channel, event, business""",
    "late_events": """
        SELECT event_id, user_id, channel, event, ts_ms, received_ms FROM deduped WHERE late""",
    "rejects": """
        SELECT log_reject(reason, line) AS reason, line FROM parsed WHERE reason IS NOT NULL""",
}


@udf(result_type=DataTypes.STRING())
def log_reject(reason: str, line: str) -> str:
    """Runs only for rejected lines: one log line each, so a bad producer is visible at once."""
    logging.getLogger("flink_jobs.rejects").warning("rejected event-log line (%s): %.200s", reason, line)
    return reason


def register_source(t_env: StreamTableEnvironment, lines: DataStream, lateness_ms: int) -> None:
    """``src_lines``: the raw lines with event time ``rt`` (epoch 0 when unparseable) and a watermark."""
    schema = (
        Schema.new_builder()
        .column("f0", DataTypes.STRING())
        .column_by_expression(
            "rt",
            "COALESCE(TO_TIMESTAMP_LTZ(TRY_CAST(JSON_VALUE(f0, '$.ts') AS BIGINT), 3), TO_TIMESTAMP_LTZ(0, 3))",
        )
        .column_by_expression("pt", "PROCTIME()")
        .watermark("rt", f"rt - INTERVAL '{lateness_ms / 1000:.3f}' SECOND")
        .build()
    )
    t_env.create_temporary_view("src_lines", t_env.from_data_stream(lines, schema))


def register_views(t_env: StreamTableEnvironment, batch: bool) -> None:
    t_env.create_temporary_function("log_reject", log_reject)
    late = LATE_BATCH if batch else LATE_STREAMING
    t_env.execute_sql(PARSED.format(late=late))
    t_env.execute_sql(DEDUPED.format(order="rt, received_ms" if batch else "pt"))
    t_env.execute_sql("CREATE TEMPORARY VIEW on_time AS SELECT * FROM deduped WHERE NOT late")


def register_sink(t_env: StreamTableEnvironment, table: str, directory: str, checkpoint_ms: int) -> None:
    """A JSON-lines FileSink table: part files become visible only when a checkpoint commits them.

    Row formats do not roll on checkpoints by themselves, so a part file could stay in progress
    (invisible) across a savepoint; a 1 ms rollover interval makes every checkpoint, savepoint
    included, close what it holds, and the check interval keeps extra rolls to one per interval.
    """
    t_env.execute_sql(
        f"""
        CREATE TEMPORARY TABLE sink_{table} ({SINK_COLUMNS[table]}) WITH (
            'connector' = 'filesystem',
            'path' = '{directory}',
            'format' = 'json',
            'sink.rolling-policy.rollover-interval' = '1 ms',
            'sink.rolling-policy.check-interval' = '{checkpoint_ms} ms'
        )"""
    )


def insert_sql(table: str) -> str:
    return f"INSERT INTO sink_{table} {INSERTS[table].format(minute=MINUTE_MS)}"


def tag_input(t_env: StreamTableEnvironment) -> Table:
    """Every accepted, deduplicated, on-time event for the tag engine."""
    return t_env.sql_query("SELECT user_id, ts_ms, line FROM deduped WHERE NOT late")


def referral_input(t_env: StreamTableEnvironment) -> Table:
    """Shares and visits through a share, keyed later by share_id (tagging.referrals)."""
    return t_env.sql_query(
        """
        SELECT CASE WHEN event = 'share' THEN share_id ELSE ref_share_id END AS share_key, user_id, ts_ms, line
        FROM deduped
        WHERE NOT late AND ((event = 'share' AND share_id <> '') OR (event = 'page_view' AND ref_share_id <> ''))"""
    )
