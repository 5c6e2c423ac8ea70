-- tag_changes.set_at_ms: when a tag that a change sets went on (equal to ts_ms for a first
--   set, earlier for a refresh); null for clears and for changes recorded before it existed.
ALTER TABLE tag_changes_raw ADD COLUMN IF NOT EXISTS set_at_ms Nullable(UInt64);

DROP TABLE IF EXISTS tag_changes;

CREATE VIEW tag_changes AS
SELECT user_id, tag, action, ts, ts_ms, expires_at_ms, seq, set_at_ms
FROM tag_changes_raw FINAL;
