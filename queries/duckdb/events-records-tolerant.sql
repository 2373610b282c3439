-- Events reader (tolerant, slower): {"Records": [...]} files where some record does not fit the
-- declared types (a record that is not an object, a string where an object belongs ...).
-- Each record is cast on its own: fields that do not fit become NULL, so such records end up
-- `bad` or unattributed instead of failing the file. Embedded by level1-insert.sql, which keeps
-- the events in the window [start, end).
-- Parameters: $files VARCHAR[], $format, $compression (as in events-records.sql).
    SELECT TRY_CAST(record AS cloudtrail_event) AS e
    FROM (
      SELECT unnest(Records) AS record
      FROM read_json(
        $files,
        format := $format,
        compression := $compression,
        maximum_object_size := 1073741824,
        columns := {Records: 'JSON[]'}
      )
    )
