-- tag_changes: every behaviour tag set or cleared by the tag engine, at event time, with the
--   user's change sequence number (tagging.changes.TagChange): the history behind each live
--   profile in Redis, for "who had tag X when" and tag-to-order analysis.
-- ReplacingMergeTree on (user_id, ts_ms, seq, tag): a change is identified by its user and
--   sequence number, so a re-loaded file or a replay after recovery collapses.
CREATE TABLE IF NOT EXISTS tag_changes_raw (
    user_id String,
    tag String,
    action String,
    ts DateTime('UTC'),
    ts_ms UInt64,
    expires_at_ms Nullable(UInt64),
    seq UInt64
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(ts)
ORDER BY (user_id, ts_ms, seq, tag);

CREATE VIEW IF NOT EXISTS tag_changes AS
SELECT user_id, tag, action, ts, ts_ms, expires_at_ms, seq
FROM tag_changes_raw FINAL;
