-- quarantine_raw: every rejected event or body with the reason the client was given, so
--   nothing is silently dropped and a fixed client's data can be replayed from `raw`.
-- ReplacingMergeTree keyed by (source_file, line): a quarantine file loaded twice counts once.
-- Sorted by reception time first: inspection is "what was rejected lately, and why".
CREATE TABLE IF NOT EXISTS quarantine_raw (
    received_at DateTime('UTC'),
    received_ms UInt64,
    ip String,
    batch_index Int32,
    reason String,
    raw String,
    source_file String,
    line UInt32
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(received_at)
ORDER BY (received_ms, source_file, line);

CREATE VIEW IF NOT EXISTS quarantine AS
SELECT received_at, received_ms, ip, batch_index, reason, raw, source_file, line
FROM quarantine_raw FINAL;
