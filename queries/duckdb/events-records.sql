-- Events reader (strict, fast): CloudTrail log files as delivered to S3, one {"Records": [...]}
-- object per file or per line. Not a query on its own: level1-insert.sql embeds it, and keeps
-- the events in the window [start, end).
-- Parameters: $files VARCHAR[]; $format 'newline_delimited' (one object per line, the fast path)
-- or 'unstructured' (pretty-printed); $compression 'gzip' or 'uncompressed'.
-- A record whose fields have unexpected JSON types fails the whole file here; the loader then
-- retries that file with events-records-tolerant.sql.
-- maximum_object_size: a delivery file is one JSON object, which can pass the 16 MiB default.
    SELECT unnest(Records) AS e
    FROM read_json(
      $files,
      format := $format,
      compression := $compression,
      maximum_object_size := 1073741824,
      columns := {Records: 'cloudtrail_event[]'}
    )
