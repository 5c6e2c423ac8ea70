-- loaded_files.state: 'loading' is recorded before a file's rows are inserted and 'done' after,
--   so a loader that died in between knows to delete the file's partial rows (by source_file)
--   and load it again: exactly once without FINAL (warehouse/loader.py). Rows recorded before
--   this column existed were complete loads.
ALTER TABLE loaded_files ADD COLUMN IF NOT EXISTS state String DEFAULT 'done';
