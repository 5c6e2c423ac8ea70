-- loaded_files: the loader's bookkeeping, one row per source file loaded, so a restart
--   loads nothing twice. Lives with the data it describes: wiping the warehouse resets it.
-- ReplacingMergeTree on (source, file): recording a file twice is harmless.
CREATE TABLE IF NOT EXISTS loaded_files (
    source String,
    file String,
    rows UInt64,
    bad_lines UInt64,
    loaded_at DateTime('UTC')
) ENGINE = ReplacingMergeTree()
ORDER BY (source, file);
