-- Events reader: `aws cloudtrail lookup-events` output,
-- {"Events": [{"CloudTrailEvent": "<json>"}, ...]}, pretty-printed or not. The event is a JSON
-- string inside each item; one that is not valid JSON becomes a `bad` record. Embedded by
-- level1-insert.sql, which keeps the events in the window [start, end).
-- Parameters: $files VARCHAR[]; $format 'unstructured' or 'newline_delimited';
-- $compression 'gzip' or 'uncompressed'.
    SELECT TRY_CAST(TRY_CAST(item.CloudTrailEvent AS JSON) AS cloudtrail_event) AS e
    FROM (
      SELECT unnest(Events) AS item
      FROM read_json(
        $files,
        format := $format,
        compression := $compression,
        maximum_object_size := 1073741824,
        columns := {Events: 'STRUCT("CloudTrailEvent" VARCHAR)[]'}
      )
    )
