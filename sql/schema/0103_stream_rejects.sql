-- stream_rejects: event-log lines the Flink job could not use (not JSON, a required field
--   missing), with the reason. The collector validates first, so any row here means a
--   writer other than the collector, or a damaged segment.
-- Keyed by the FileSink part file and line it came from: that pair is unique per rejected
--   line and identical when the same file is loaded again.
CREATE TABLE IF NOT EXISTS stream_rejects_raw (
    reason String,
    line String,
    source_file String,
    source_line UInt32
) ENGINE = ReplacingMergeTree()
ORDER BY (source_file, source_line);

CREATE VIEW IF NOT EXISTS stream_rejects AS
SELECT reason, line, source_file, source_line
FROM stream_rejects_raw FINAL;
