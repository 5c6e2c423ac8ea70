"""The SQL half of the job: parse, validate, classify late, deduplicate, count per minute.

Everything here runs in Flink's Java operators (several times faster than Python, see
docs/architecture.md); Python only sees the rows SQL cannot finish (tags, referrals) and the
rejected lines it logs.

Event time is the client ``ts``; the watermark trails the largest ``ts`` read by the allowed
lateness and is advanced after every record (``auto-watermark-interval: 0``). An event is
*late* when its ``ts`` is behind the watermark at the moment it is read. Late events are
written to ``late_events`` (and so counted in the warehouse) instead of vanishing, and kept
out of the minute metrics and the tags.
"""

from __future__ import annotations

import logging
import re

from pyflink.datastream import DataStream
from pyflink.table import DataTypes, Schema, StreamTableEnvironment, Table
from pyflink.table.udf import udf

from core.clock import DAY_MS, HOUR_MS, MINUTE_MS
from core.contract import Catalogue

logger = logging.getLogger(__name__)

IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")
EXPOSURE = "touchpoint_exposure"

JAVA_FUNCTIONS = {
    "parse_event": "io.touchstream.flink.ParseEvent",
    "user_shard": "io.touchstream.flink.UserShard",
    "epoch_ms": "io.touchstream.flink.EpochMillis",
    "late_fact": "io.touchstream.flink.LateFact",
}

# Stage 1, on the raw lines: parse each line once (PARSE_EVENT, Java) and classify it.
PARSE = """
SELECT
    line, e.ts_ms AS ts_ms, e.event_id AS event_id, e.user_id AS user_id, e.channel AS channel,
    e.event AS event, e.session_id AS session_id, e.page AS page, e.business AS business, e.flow AS flow,
    e.step AS step, e.amount AS amount, e.received_ms AS received_ms, e.share_id AS share_id,
    e.ref_share_id AS ref_share_id,
    CASE
        WHEN e IS NULL THEN 'not a JSON object'
        WHEN e.event_id IS NULL OR e.event_id = '' THEN 'missing event_id'
        WHEN e.user_id IS NULL OR e.user_id = '' THEN 'missing user_id'
        WHEN e.channel IS NULL OR e.channel = '' THEN 'missing channel'
        WHEN e.event IS NULL OR e.event = '' THEN 'missing event'
        WHEN e.ts_ms IS NULL THEN 'ts missing or not integer epoch milliseconds'
        ELSE CAST(NULL AS STRING)
    END AS reason
FROM (SELECT f0 AS line, parse_event(f0) AS e FROM src_lines)
"""

# Late = behind the watermark when read (Flink's own definition). Decided once, right after
# the watermark assigner, whose watermark follows every record in read order, so it is the
# same in a live run and a catch-up. Late events are kept out of the minute windows and land
# in late_events. A late *fact* (the contract's ``late`` policy, see :func:`late_fact_condition`)
# still reaches the tag engine, applied at ``applied_ms`` = the watermark when it was read + 1:
# a time fixed by the read order, so catch-up still equals live (docs/time.md).
LATE_STREAMING = "COALESCE(rt <= CURRENT_WATERMARK(rt), FALSE)"
LATE_BATCH = "FALSE"  # a batch job sorts by time before windowing: nothing is late
APPLIED_STREAMING = f"CASE WHEN {LATE_STREAMING} THEN epoch_ms(CURRENT_WATERMARK(rt)) + 1 ELSE ts_ms END"
APPLIED_BATCH = "ts_ms"

# Stage 2, on ``parsed`` (event time and watermark assigned): keep valid events, classify
# late, deduplicate by (user_id, event_id): one client reusing an id cannot suppress another
# user's event. Streaming keeps the first copy read (processing-time order = segment order,
# insert-only, state expires after the dedup TTL, which is therefore the dedup horizon);
# batch sorts, so it keeps the earliest received.
DEDUP = """
SELECT line, rt, ts_ms, event_id, user_id, channel, event, session_id, page, business, flow, step,
       amount, received_ms, share_id, ref_share_id, late, applied_ms
FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY user_id, event_id ORDER BY {order}) AS rn
    FROM (SELECT *, {late} AS late, {applied} AS applied_ms FROM parsed WHERE reason IS NULL)
)
WHERE rn = 1
"""

SINK_COLUMNS: dict[str, str] = {
    "events": "line STRING, late BOOLEAN",
    "minute_metrics": (
        "minute_ms BIGINT, channel STRING, event STRING, business STRING, events BIGINT, users BIGINT, amount DOUBLE"
    ),
    "late_events": "event_id STRING, user_id STRING, channel STRING, event STRING, ts_ms BIGINT, received_ms BIGINT",
    "rejects": "reason STRING, line STRING",
    "tag_changes": (
        "user_id STRING, tag STRING, action STRING, ts_ms BIGINT, expires_at_ms BIGINT, seq BIGINT, set_at_ms BIGINT"
    ),
    "profile_states": "user_id STRING, updated_at BIGINT, state STRING",
}

INSERTS: dict[str, str] = {
    "events": """
        SELECT line, late FROM deduped""",
    "minute_metrics": """
        SELECT MIN(ts_ms) - MOD(MIN(ts_ms), {minute}) AS minute_ms, channel, event, business,
               COUNT(*) AS events, COUNT(DISTINCT user_id) AS users, SUM(amount) AS amount
        FROM TABLE(TUMBLE(TABLE on_time, DESCRIPTOR(rt), INTERVAL '1' MINUTE))
        GROUP BY window_start, window_end, channel, event, business""",
    "late_events": """
        SELECT event_id, user_id, channel, event, ts_ms, received_ms FROM deduped WHERE late""",
    "rejects": """
        SELECT log_reject(reason, line) AS reason, line FROM parsed WHERE reason IS NOT NULL""",
    # from the tag step's one output stream (flink_jobs.tagging_ops.OUTPUT_TYPE)
    "tag_changes": """
        SELECT user_id, tag, action, ts_ms, expires_at_ms, seq, set_at_ms FROM tag_outputs WHERE kind = 'change'""",
    "profile_states": """
        SELECT user_id, updated_at, state FROM tag_outputs WHERE kind = 'state'""",
}
SQL_INSERTS = ("events", "minute_metrics", "late_events", "rejects")  # the rest follow the tag step


@udf(result_type=DataTypes.STRING())
def log_reject(reason: str, line: str) -> str:
    """Runs only for rejected lines: one log line each, so a bad producer is visible at once."""
    logging.getLogger("flink_jobs.rejects").warning("rejected event-log line (%s): %.200s", reason, line)
    return reason


def interval(ms: int) -> str:
    """A SQL interval literal of ``ms`` milliseconds (``SECOND`` alone only holds < 100 s)."""
    days, rest = divmod(ms, DAY_MS)
    hours, rest = divmod(rest, HOUR_MS)
    minutes, rest = divmod(rest, MINUTE_MS)
    return f"INTERVAL '{days} {hours:02d}:{minutes:02d}:{rest / 1000:06.3f}' DAY TO SECOND(3)"


def register_views(t_env: StreamTableEnvironment, lines: DataStream, lateness_ms: int, batch: bool) -> None:
    """``parsed`` (every line, parsed, with event time ``rt``), ``deduped`` and ``on_time``.

    Each stage is materialised once as a DataStream and read back as a table. Without that,
    every consumer (the statement set and each ``to_data_stream``) is planned on its own and
    the parse and the dedup run once per consumer; through the round trip they run once.
    ``deduped`` keeps ``rt`` as its event-time attribute, with the upstream watermarks.
    """
    t_env.create_temporary_function("log_reject", log_reject)
    for name, java_class in JAVA_FUNCTIONS.items():
        t_env.execute_sql(f"CREATE TEMPORARY SYSTEM FUNCTION {name} AS '{java_class}' LANGUAGE JAVA")
    t_env.create_temporary_view("src_lines", t_env.from_data_stream(lines))
    parsed_rows = t_env.to_data_stream(t_env.sql_query(PARSE))
    parsed_schema = (
        Schema.new_builder()
        .column_by_expression("rt", "TO_TIMESTAMP_LTZ(COALESCE(ts_ms, 0), 3)")
        .column_by_expression("pt", "PROCTIME()")
        .watermark("rt", f"rt - {interval(lateness_ms)}")
        .build()
    )
    t_env.create_temporary_view("parsed", t_env.from_data_stream(parsed_rows, parsed_schema))
    dedup = DEDUP.format(
        late=LATE_BATCH if batch else LATE_STREAMING,
        applied=APPLIED_BATCH if batch else APPLIED_STREAMING,
        order="rt, received_ms" if batch else "pt",
    )
    deduped_rows = t_env.to_data_stream(t_env.sql_query(dedup))
    deduped_schema = Schema.new_builder().watermark("rt", "SOURCE_WATERMARK()").build()
    t_env.create_temporary_view("deduped", t_env.from_data_stream(deduped_rows, deduped_schema))
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


def late_fact_condition(catalogue: Catalogue) -> str:
    """SQL over ``deduped``: true for the events a late arrival must still apply (the contract's
    ``late`` policy): ``apply`` events always, ``apply_last_step`` flow steps when they complete
    their flow. Names come from the validated catalogue (identifiers only)."""
    always = sorted(name for name, spec in catalogue.events.items() if spec.late == "apply")
    last_step = sorted(name for name, spec in catalogue.events.items() if spec.late == "apply_last_step")
    terms = [f"event IN ({', '.join(_quoted(n) for n in always)})"] if always else []
    flows = " OR ".join(
        f"(flow = {_quoted(name)} AND step >= {flow.last_step})" for name, flow in sorted(catalogue.flows.items())
    )
    terms += [f"(event = {_quoted(n)} AND ({flows}))" for n in last_step if flows]
    return " OR ".join(terms) or "FALSE"


def _quoted(identifier: str) -> str:
    if not IDENTIFIER.fullmatch(identifier):
        raise ValueError(f"not an identifier: {identifier!r}")
    return f"'{identifier}'"


def tag_batches(t_env: StreamTableEnvironment, batch_ms: int, shards: int, catalogue: Catalogue) -> Table:
    """Every event for the tag engine, as one row per shard and ``batch_ms`` window of event
    time: ``(shard, release_ms, lines)``: on-time events at their own time, late facts at
    ``applied_ms`` with their line restamped (``LATE_FACT``). ``shard`` is
    ``USER_SHARD(user_id, shards)`` (the user id itself when ``shards`` is 0). A window is
    emitted once the watermark has passed it, so the Python step gets many events per call,
    already complete up to ``release_ms`` (the window's last millisecond); ``lines`` are joined
    by newlines (JSON lines never contain a raw one).

    The tag input is materialised and read back with ``applied_ms`` as its event time: a late
    fact's ``applied_ms`` lies just past the watermark it was read at, so the window operator
    accepts it as on time. Touchpoint exposures come late or not: the tag step counts every
    one against the touchpoint caps (they change no tag)."""
    tag_rows = t_env.to_data_stream(
        t_env.sql_query(
            f"""
            SELECT user_shard(user_id, {shards}) AS shard, applied_ms,
                   CASE WHEN late THEN late_fact(line, applied_ms) ELSE line END AS line
            FROM deduped
            WHERE NOT late OR ({late_fact_condition(catalogue)}) OR event = '{EXPOSURE}'"""
        )
    )
    schema = (
        Schema.new_builder()
        .column_by_expression("applied_at", "TO_TIMESTAMP_LTZ(applied_ms, 3)")
        .watermark("applied_at", "SOURCE_WATERMARK()")
        .build()
    )
    t_env.create_temporary_view("tag_input", t_env.from_data_stream(tag_rows, schema))
    return t_env.sql_query(
        f"""
        SELECT shard, MAX(applied_ms) - MOD(MAX(applied_ms), {batch_ms}) + {batch_ms - 1} AS release_ms,
               LISTAGG(line, U&'\\000A') AS lines
        FROM TABLE(TUMBLE(TABLE tag_input, DESCRIPTOR(applied_at), {interval(batch_ms)}))
        GROUP BY window_start, window_end, shard"""
    )


def referral_input(t_env: StreamTableEnvironment) -> Table:
    """Shares and visits through a share, keyed later by share_id (tagging.referrals)."""
    return t_env.sql_query(
        """
        SELECT CASE WHEN event = 'share' THEN share_id ELSE ref_share_id END AS share_key, user_id, ts_ms, line
        FROM deduped
        WHERE NOT late AND ((event = 'share' AND share_id <> '') OR (event = 'page_view' AND ref_share_id <> ''))"""
    )
