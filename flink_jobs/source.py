"""The event log as a FileSource of text lines, read in segment-name order.

Segment names sort by the time of their first write (docs/CONTRACTS.md), so handing the
splits out in name order to a single reader replays a backlog in the order it was received:
a first run over existing segments, or a catch-up after downtime, sees the same record
sequence as live processing did. Flink's default assigner gives no order, which fires
event-time timers early and drops window data as late (docs/architecture.md). The assigner is
the Java class ``io.touchstream.flink.OrderedSplitAssigner`` (flink_jobs/java), set on the
Java builder through the py4j gateway.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from pyflink.common import Duration, WatermarkStrategy
from pyflink.datastream import DataStream, StreamExecutionEnvironment
from pyflink.datastream.connectors.file_system import FileSource, StreamFormat
from pyflink.util.java_utils import load_java_class

logger = logging.getLogger(__name__)

ASSIGNER_PROVIDER = "io.touchstream.flink.OrderedSplitAssigner$Provider"


def ordered_assigner_provider() -> object:
    """A Java ``FileSplitAssigner.Provider`` that hands out splits in path-name order."""
    return load_java_class(ASSIGNER_PROVIDER).newInstance()


def event_log_source(paths: Sequence[Path], monitor_interval_ms: int | None) -> FileSource:
    """Lines of ``paths`` (directories or files); monitored for new files when an interval is given."""
    if not paths:
        raise ValueError("event_log_source needs at least one path")
    builder = FileSource.for_record_stream_format(StreamFormat.text_line_format(), *(str(p) for p in paths))
    if monitor_interval_ms is not None:
        builder.monitor_continuously(Duration.of_millis(monitor_interval_ms))
    builder._j_file_source_builder.setSplitAssigner(ordered_assigner_provider())
    return builder.build()


def event_lines(env: StreamExecutionEnvironment, source: FileSource) -> DataStream:
    """The raw lines, parallelism 1 (one reader keeps the name order); no watermarks here:
    the SQL layer assigns them from the parsed ``ts``."""
    return (
        env.from_source(source, WatermarkStrategy.no_watermarks(), "event-log")
        .uid("event-log-source")
        .set_parallelism(1)
    )
