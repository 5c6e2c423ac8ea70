-- Event-log lines the stream job rejected, dated by the day the loader loaded their file
-- (a rejected line may have no readable time of its own). The files side is one row per
-- file (loaded_files may hold a file twice until it merges), so ALL keeps every line.
SELECT reason, day
FROM (SELECT reason, source_file FROM stream_rejects) AS rejects
ALL INNER JOIN (
    SELECT file AS source_file, toDate(min(loaded_at)) AS day
    FROM loaded_files
    WHERE source = 'stream_rejects'
    GROUP BY file
) AS files USING source_file
