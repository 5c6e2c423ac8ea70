-- Event-log lines the stream job rejected, dated by the day the loader loaded their file
-- (a rejected line may have no readable time of its own).
SELECT reason, day
FROM (SELECT reason, source_file FROM stream_rejects) AS rejects
ANY INNER JOIN (
    SELECT file AS source_file, toDate(loaded_at) AS day FROM loaded_files WHERE source = 'stream_rejects'
) AS files USING source_file
