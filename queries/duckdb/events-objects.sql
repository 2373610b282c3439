-- Events reader: files whose values are CloudTrail events themselves: JSON Lines (CloudTrail Lake
-- and Athena exports, Logstash), a JSON array of events, or one pretty-printed event per value.
-- Tolerant like events-records-tolerant.sql. Embedded by level1-insert.sql, which keeps the
-- events in the window [start, end).
-- Parameters: $files VARCHAR[]; $format 'newline_delimited', 'unstructured' or 'array';
-- $compression 'gzip' or 'uncompressed'.
    SELECT TRY_CAST(json AS cloudtrail_event) AS e
    FROM read_json_objects(
      $files,
      format := $format,
      compression := $compression,
      maximum_object_size := 1073741824
    )
