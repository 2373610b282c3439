-- Record counts of one usage() call, from `level1`: events in the window [start, end), and bad
-- records (no usable eventTime, eventSource or eventName). No parameters.
SELECT
  coalesce(sum(n) FILTER (WHERE NOT bad), 0)::BIGINT AS events_in_window,
  coalesce(sum(n) FILTER (WHERE bad), 0)::BIGINT AS bad_records
FROM level1
WHERE NOT is_day;
