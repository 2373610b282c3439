-- What the logs cover: per recipient account and region, the first and last event and the UTC
-- days that have at least one event. Reads `level1` (window [start, end) applied while loading).
-- No parameters. Missing days are derived from the window by the caller.
SELECT
  account,
  coalesce(region, 'unknown') AS region,
  epoch_ms(min(first_seen)) AS first_event_ms,
  epoch_ms(max(last_seen)) AS last_event_ms,
  list_sort(list_distinct(list(strftime(day, '%Y-%m-%d')))) AS days
FROM level1
WHERE is_day AND NOT bad
GROUP BY account, coalesce(region, 'unknown')
ORDER BY account, region;
